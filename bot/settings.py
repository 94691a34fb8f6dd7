"""Runtime settings, read from the environment and a git-ignored ``.env`` file.

One place decides ports, hosts, paths and secrets so that ``make run``, the tests and the
action server agree. Environment variables win over ``.env``; ``.env`` wins over defaults.
The ``.env`` reader and the database URL are in :mod:`kb.settings`, which ``kb/`` and
``actions/`` use without importing the runtime.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# the ground floor (also read by kb/ and actions/): .env, the database URL
from kb.settings import (
    ROOT,
    database_url,
    ensure_secret,
    read_env_file,
    settings_environ,
    var_dir,
)

ENV_FILE = ROOT / ".env"
TOKEN_VAR = "PNS_RASA_TOKEN"
TELEGRAM_TOKEN_VAR = "PNS_TELEGRAM_TOKEN"
TELEGRAM_SECRET_VAR = "PNS_TELEGRAM_SECRET"
ACTION_SECRET_VAR = "PNS_ACTION_SECRET"
#: Messengers whose webhook secret is generated once their token is set: token, secret.
MESSENGER_SECRETS = {
    "MAX webhook secret": ("PNS_MAX_TOKEN", "PNS_MAX_SECRET"),
    "VK Callback API secret key (enter it in the community's Callback API settings)": (
        "PNS_VK_TOKEN",
        "PNS_VK_SECRET",
    ),
}


def ensure_token(path: Path = ENV_FILE, environ: Mapping[str, str] = os.environ) -> str:
    """Return the Rasa HTTP API token; generate one into ``.env`` on first run."""
    return ensure_secret(TOKEN_VAR, "Rasa HTTP API token", path, environ)


def ensure_action_secret(path: Path = ENV_FILE, environ: Mapping[str, str] = os.environ) -> str:
    """The secret the Rasa servers send the action server; generated into ``.env`` on first run."""
    return ensure_secret(ACTION_SECRET_VAR, "action server shared secret", path, environ)


def ensure_telegram_secret(
    path: Path = ENV_FILE, environ: Mapping[str, str] = os.environ
) -> str | None:
    """The webhook secret Telegram must send back, generated once the channel is configured.

    Only when ``PNS_TELEGRAM_TOKEN`` is set (here or in ``.env``): without a bot token the
    channel stays off and no secret is needed.
    """
    if not (environ.get(TELEGRAM_TOKEN_VAR) or read_env_file(path).get(TELEGRAM_TOKEN_VAR)):
        return None
    return ensure_secret(TELEGRAM_SECRET_VAR, "Telegram webhook secret token", path, environ)


def ensure_messenger_secrets(
    path: Path = ENV_FILE, environ: Mapping[str, str] = os.environ
) -> dict[str, str]:
    """The MAX and VK webhook secrets, generated for each messenger whose token is set."""
    found: dict[str, str] = {}
    file_values = read_env_file(path)
    for purpose, (token_var, secret_var) in MESSENGER_SECRETS.items():
        if environ.get(token_var) or file_values.get(token_var):
            found[secret_var] = ensure_secret(secret_var, purpose, path, environ, alphanumeric=True)
    return found


@dataclass(frozen=True)
class Settings:
    """Everything a process of the assistant needs to know about its surroundings."""

    root: Path
    database_url: str
    host: str
    rasa_port: int
    action_port: int
    rasa_token: str | None
    var_dir: Path
    models_dir: Path
    web_port: int = 8000
    #: Where the browser reaches Rasa's socket.io channel (differs behind a reverse proxy).
    web_socket_url: str = ""
    #: Page origins allowed to call the Rasa server from a browser (CORS, socket.io polling).
    web_origins: tuple[str, ...] = ()
    #: Behind a TLS-terminating proxy: believe its X-Forwarded-Proto (admin cookies get Secure).
    trust_proxy: bool = False
    #: Shared secret the Rasa servers send the action server (``X-PNS-Action-Secret``).
    action_secret: str | None = None

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

    @property
    def web_url(self) -> str:
        """The clinic demo page with the chat widget (served by :mod:`bot.web`)."""
        return f"http://{self.host}:{self.web_port}"

    @property
    def endpoints_path(self) -> Path:
        """The endpoints Rasa is started with, generated from ``endpoints.yml``."""
        return self.var_dir / "endpoints.yml"

    @property
    def credentials_path(self) -> Path:
        """The channel configuration Rasa is started with, generated from ``credentials.yml``."""
        return self.var_dir / "credentials.yml"


def load_settings(environ: Mapping[str, str] | None = None, root: Path = ROOT) -> Settings:
    """Build :class:`Settings` from ``environ`` (default: the process environment + ``.env``)."""
    env = settings_environ(environ, root)
    host = env.get("PNS_HOST", "127.0.0.1")
    rasa_port = int(env.get("PNS_RASA_PORT", "5005"))
    web_port = int(env.get("PNS_WEB_PORT", "8000"))
    # The demo page's own origin; on loopback also as "localhost", which people type too.
    default_origins = [f"http://{host}:{web_port}"] + (
        [f"http://localhost:{web_port}"] if host == "127.0.0.1" else []
    )
    origins = env.get("PNS_WEB_ORIGINS") or ",".join(default_origins)
    return Settings(
        root=root,
        database_url=database_url(env, root),
        host=host,
        rasa_port=rasa_port,
        action_port=int(env.get("PNS_ACTION_PORT", "5055")),
        rasa_token=env.get(TOKEN_VAR) or None,
        var_dir=var_dir(env, root),
        models_dir=Path(env.get("PNS_MODELS_DIR", root / "models")),
        web_port=web_port,
        web_socket_url=env.get("PNS_WEB_SOCKET_URL") or f"http://{host}:{rasa_port}",
        web_origins=tuple(o.strip().rstrip("/") for o in origins.split(",") if o.strip()),
        trust_proxy=env.get("PNS_TRUST_PROXY", "") == "1",
        action_secret=env.get(ACTION_SECRET_VAR) or None,
    )
