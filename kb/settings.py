"""Where the knowledge base is: the one setting ``kb/`` and ``actions/`` need.

The ground floor of the settings: the ``.env`` reader and the database URL live here, so the
KB command line and the action server find the database without importing the runtime
(:mod:`bot.settings`, which builds on this module for ports, hosts and secrets).
Environment variables win over ``.env``; ``.env`` wins over the default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL_VAR = "PNS_DATABASE_URL"


def read_env_file(path: Path) -> dict[str, str]:
    """Parse ``KEY=VALUE`` lines (``#`` comments, optional quotes); missing file → empty."""
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def settings_environ(environ: Mapping[str, str] | None = None, root: Path = ROOT) -> dict[str, str]:
    """The variables settings are read from: ``.env`` overlaid by the environment."""
    env: dict[str, str] = dict(read_env_file(root / ".env"))
    env.update(os.environ if environ is None else environ)
    return env


def var_dir(env: Mapping[str, str], root: Path = ROOT) -> Path:
    """Where runtime state lives (``PNS_VAR_DIR``, default ``var/`` in the project)."""
    return Path(env.get("PNS_VAR_DIR", root / "var"))


def database_url(env: Mapping[str, str] | None = None, root: Path = ROOT) -> str:
    """``PNS_DATABASE_URL``; default SQLite in ``var/kb.sqlite3``.

    ``env``: variables already read by :func:`settings_environ` (default: read them now).
    """
    env = settings_environ(root=root) if env is None else env
    return env.get(DATABASE_URL_VAR, f"sqlite:///{var_dir(env, root) / 'kb.sqlite3'}")
