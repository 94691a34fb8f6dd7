from pathlib import Path

from bot.settings import TOKEN_VAR, ensure_token, load_settings, read_env_file


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
