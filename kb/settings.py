"""Where the knowledge base is: the one setting ``kb/`` and ``actions/`` need.

The ground floor of the settings: the ``.env`` reader and the database URL live here, so the
KB command line and the action server find the database without importing the runtime
(:mod:`bot.settings`, which builds on this module for ports, hosts and secrets).
Environment variables win over ``.env``; ``.env`` wins over the default.
"""

from __future__ import annotations

import os
import secrets
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


ENV_FILE = ROOT / ".env"
PRIVACY_KEY_VAR = "PNS_PRIVACY_KEY"


def ensure_secret(
    name: str,
    purpose: str,
    path: Path = ENV_FILE,
    environ: Mapping[str, str] = os.environ,
    alphanumeric: bool = False,
) -> str:
    """Return the secret ``name``; generate one into ``.env`` (owner-only) if there is none.

    A value set in the environment is used as it is and nothing is written, so operators
    can keep secrets out of files; generating them saves a set-up step on one machine.
    """
    if environ.get(name):
        return environ[name]
    existing = read_env_file(path).get(name)
    if existing:
        return existing
    # letters and digits only where a platform's rules for the secret are not documented
    value = secrets.token_hex(20) if alphanumeric else secrets.token_urlsafe(32)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(f"# generated on first run: {purpose} (keep secret)\n{name}={value}\n")
    path.chmod(0o600)
    return value


def ensure_privacy_key(path: Path = ENV_FILE, environ: Mapping[str, str] = os.environ) -> str:
    """The key conversation ids are hashed with before they are stored (:mod:`kb.privacy`).

    Generated into ``.env`` on first run. Keep it: with a new key, stored conversations can
    no longer be found by their id (for erasure or export), only by retention.
    """
    return ensure_secret(PRIVACY_KEY_VAR, "key of the stored conversation hashes", path, environ)
