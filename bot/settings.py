"""Runtime settings, read from the environment and a git-ignored ``.env`` file.

One place decides ports, hosts, paths and secrets so that ``make run``, the tests and the
action server agree. Environment variables win over ``.env``; ``.env`` wins over defaults.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Optional

ROOT = Path(__file__).resolve().parent.parent
ENV_FILE = ROOT / ".env"
TOKEN_VAR = "PNS_RASA_TOKEN"


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


def ensure_token(path: Path = ENV_FILE, environ: Mapping[str, str] = os.environ) -> str:
    """Return the Rasa HTTP API token; generate one into ``.env`` on first run.

    A token set in the environment is used as it is and nothing is written.
    """
    if environ.get(TOKEN_VAR):
        return environ[TOKEN_VAR]
    existing = read_env_file(path).get(TOKEN_VAR)
    if existing:
        return existing
    token = secrets.token_urlsafe(32)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(f"# generated on first run: Rasa HTTP API token (keep secret)\n{TOKEN_VAR}={token}\n")
    path.chmod(0o600)
    return token


@dataclass(frozen=True)
class Settings:
    """Everything a process of the assistant needs to know about its surroundings."""

    root: Path
    database_url: str
    host: str
    rasa_port: int
    action_port: int
    rasa_token: Optional[str]
    var_dir: Path
    models_dir: Path

    @property
    def spacy_model_dir(self) -> Path:
        """Where the project's spaCy pipeline (blank English + KB entity ruler) is built.

        Fixed under the project (not ``var_dir``): ``config.yml`` names this path.
        """
        return self.root / "var" / "spacy" / "pns_en"

    @property
    def action_endpoint_url(self) -> str:
        return f"http://{self.host}:{self.action_port}/webhook"

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"


def load_settings(environ: Optional[Mapping[str, str]] = None, root: Path = ROOT) -> Settings:
    """Build :class:`Settings` from ``environ`` (default: the process environment + ``.env``)."""
    env: dict[str, str] = dict(read_env_file(root / ".env"))
    env.update(os.environ if environ is None else environ)
    var_dir = Path(env.get("PNS_VAR_DIR", root / "var"))
    return Settings(
        root=root,
        database_url=env.get("PNS_DATABASE_URL", f"sqlite:///{var_dir / 'kb.sqlite3'}"),
        host=env.get("PNS_HOST", "127.0.0.1"),
        rasa_port=int(env.get("PNS_RASA_PORT", "5005")),
        action_port=int(env.get("PNS_ACTION_PORT", "5055")),
        rasa_token=env.get(TOKEN_VAR) or None,
        var_dir=var_dir,
        models_dir=Path(env.get("PNS_MODELS_DIR", root / "models")),
    )
