import ast
from pathlib import Path

from bot.settings import (
    TELEGRAM_SECRET_VAR,
    TELEGRAM_TOKEN_VAR,
    TOKEN_VAR,
    ensure_messenger_secrets,
    ensure_telegram_secret,
    ensure_token,
    load_settings,
    read_env_file,
)
from kb.settings import database_url


def test_env_file_parsing_ignores_comments_and_strips_quotes(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("# comment\nA=1\nB = 'two'\nC=\"three\"\nnot a pair\n")
    assert read_env_file(env) == {"A": "1", "B": "two", "C": "three"}


def test_token_is_generated_once_and_reused(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    first = ensure_token(env, environ={})
    assert len(first) >= 32
    assert ensure_token(env, environ={}) == first
    assert read_env_file(env)[TOKEN_VAR] == first
    assert env.stat().st_mode & 0o077 == 0  # secret: owner-only


def test_token_from_environment_wins_and_writes_nothing(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    assert ensure_token(env, environ={TOKEN_VAR: "from-env"}) == "from-env"
    assert not env.exists()


def test_settings_defaults_bind_to_loopback(tmp_path: Path) -> None:
    settings = load_settings(environ={}, root=tmp_path)
    assert settings.host == "127.0.0.1"
    assert (settings.rasa_port, settings.action_port) == (5005, 5055)
    assert settings.database_url == f"sqlite:///{tmp_path / 'var' / 'kb.sqlite3'}"
    assert settings.action_endpoint_url == "http://127.0.0.1:5055/webhook"


def test_environment_overrides_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("PNS_RASA_PORT=6000\nPNS_ACTION_PORT=6001\n")
    settings = load_settings(environ={"PNS_RASA_PORT": "7000"}, root=tmp_path)
    assert (settings.rasa_port, settings.action_port) == (7000, 6001)


def test_web_page_defaults_and_its_origin_may_call_rasa(tmp_path: Path) -> None:
    settings = load_settings(environ={}, root=tmp_path)
    assert settings.web_url == "http://127.0.0.1:8000"
    assert settings.web_socket_url == "http://127.0.0.1:5005"
    assert settings.web_origins == ("http://127.0.0.1:8000", "http://localhost:8000")
    assert settings.credentials_path == tmp_path / "var" / "credentials.yml"


def test_web_origins_and_socket_url_can_be_set(tmp_path: Path) -> None:
    settings = load_settings(
        environ={
            "PNS_WEB_ORIGINS": "https://clinic.example.org/, http://localhost:8000",
            "PNS_WEB_SOCKET_URL": "https://chat.example.org",
        },
        root=tmp_path,
    )
    assert settings.web_origins == ("https://clinic.example.org", "http://localhost:8000")
    assert settings.web_socket_url == "https://chat.example.org"


def test_telegram_secret_is_generated_only_once_telegram_is_configured(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    assert ensure_telegram_secret(env, environ={}) is None and not env.exists()
    secret = ensure_telegram_secret(env, environ={TELEGRAM_TOKEN_VAR: "1:abc"})
    assert secret and read_env_file(env)[TELEGRAM_SECRET_VAR] == secret
    assert ensure_telegram_secret(env, environ={TELEGRAM_TOKEN_VAR: "1:abc"}) == secret
    assert (
        ensure_telegram_secret(
            env, environ={TELEGRAM_TOKEN_VAR: "1:abc", TELEGRAM_SECRET_VAR: "given"}
        )
        == "given"
    )


def test_kb_and_actions_import_nothing_from_bot() -> None:
    """The layers: bot/ (runtime) builds on kb/ and actions/, never the other way round."""
    root = Path(__file__).resolve().parents[1]
    upward = []
    for path in sorted([*root.glob("kb/**/*.py"), *root.glob("actions/**/*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            upward += [f"{path.relative_to(root)}: {n}" for n in names if n.split(".")[0] == "bot"]
    assert upward == []


def test_the_database_url_is_the_same_from_every_layer(tmp_path: Path) -> None:
    env = {"PNS_VAR_DIR": str(tmp_path)}
    assert load_settings(environ=env).database_url == database_url(env)
    assert database_url(env).endswith(f"{tmp_path}/kb.sqlite3")
    assert database_url({"PNS_DATABASE_URL": "postgresql://x/y"}) == "postgresql://x/y"


def test_messenger_secrets_are_generated_for_configured_messengers_only(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    assert ensure_messenger_secrets(env, environ={}) == {} and not env.exists()
    found = ensure_messenger_secrets(env, environ={"PNS_MAX_TOKEN": "t"})
    assert set(found) == {"PNS_MAX_SECRET"}
    assert found["PNS_MAX_SECRET"].isalnum() and len(found["PNS_MAX_SECRET"]) == 40
    assert read_env_file(env)["PNS_MAX_SECRET"] == found["PNS_MAX_SECRET"]
    again = ensure_messenger_secrets(env, environ={"PNS_MAX_TOKEN": "t", "PNS_VK_TOKEN": "v"})
    assert again["PNS_MAX_SECRET"] == found["PNS_MAX_SECRET"]
    assert again["PNS_VK_SECRET"].isalnum() and again["PNS_VK_SECRET"] != again["PNS_MAX_SECRET"]
