"""Staff accounts, sessions, throttling and audit in the KB database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.web.admin import accounts, security
from kb.db import session_scope
from kb.errors import ContentError
from kb.staff import AuditEvent, StaffSession, StaffUser

PASSWORD = "a long enough passphrase"


def make_user(url: str, name: str = "ann", role: str = "editor") -> None:
    with session_scope(url) as session:
        accounts.create_user(session, name, PASSWORD, role, "test")


def login(
    url: str, name: str, password: str, client: str = "10.0.0.1", now=None
) -> accounts.LoginResult:
    with session_scope(url) as session:
        result = accounts.login(session, name, password, client, now)
        session.flush()
        return result


def test_accounts_store_only_a_hash_and_refuse_bad_input(fresh_kb_url: str) -> None:
    make_user(fresh_kb_url)
    with session_scope(fresh_kb_url) as session:
        user = session.execute(select(StaffUser)).scalar_one()
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
        for name, password, role, problem in [
            ("ANN", PASSWORD, "editor", "already exists"),
            ("seed", PASSWORD, "editor", "reserved"),
            ("bob smith", PASSWORD, "editor", "letters, digits"),
            ("bob", "short", "editor", "at least 12"),
            ("bob", PASSWORD, "owner", "not one of"),
        ]:
            with pytest.raises(ContentError, match=problem):
                accounts.create_user(session, name, password, role, "test")


def test_login_creates_a_session_and_audits_every_attempt(fresh_kb_url: str) -> None:
    make_user(fresh_kb_url)
    assert not login(fresh_kb_url, "ann", "wrong password!!").ok
    assert not login(fresh_kb_url, "nobody", PASSWORD).ok
    result = login(fresh_kb_url, "Ann", PASSWORD)
    assert result.ok and result.token
    with session_scope(fresh_kb_url) as session:
        stored = session.execute(select(StaffSession)).scalar_one()
        assert stored.token_hash == security.token_digest(result.token) != result.token
        assert accounts.current_session(session, result.token).user.username == "ann"
        assert accounts.current_session(session, "forged") is None
        actions = [
            e.action for e in session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()
        ]
        assert actions == ["user_created", "login_failed", "login_failed", "login"]
        accounts.logout(session, result.token, "10.0.0.1")
    with session_scope(fresh_kb_url) as session:
        assert accounts.current_session(session, result.token) is None
        assert accounts.audit_events(session, logins=True)[0].action == "logout"


def test_wrong_passwords_are_throttled_per_account_even_with_the_right_one(
    fresh_kb_url: str,
) -> None:
    make_user(fresh_kb_url)
    start = accounts.utcnow()
    for n in range(security.ACCOUNT_RULE.limit):
        assert not login(
            fresh_kb_url, "ann", f"wrong password {n}", now=start + timedelta(seconds=n)
        ).ok
    locked = login(fresh_kb_url, "ann", PASSWORD, now=start + timedelta(seconds=10))
    assert not locked.ok and locked.retry_at is not None
    # another account from another address is not affected
    make_user(fresh_kb_url, "bea")
    assert login(
        fresh_kb_url, "bea", PASSWORD, client="10.0.0.2", now=start + timedelta(seconds=11)
    ).ok
    later = locked.retry_at + timedelta(seconds=1)
    assert login(fresh_kb_url, "ann", PASSWORD, now=later).ok
    with session_scope(fresh_kb_url) as session:
        assert "login_throttled" in {e.action for e in accounts.audit_events(session)}


def test_one_address_guessing_many_accounts_is_throttled(fresh_kb_url: str) -> None:
    make_user(fresh_kb_url)
    start = accounts.utcnow()
    for n in range(security.ADDRESS_RULE.limit):
        login(
            fresh_kb_url,
            f"user{n}",
            "whatever password",
            client="10.9.9.9",
            now=start + timedelta(seconds=n),
        )
    assert login(
        fresh_kb_url, "ann", PASSWORD, client="10.9.9.9", now=start + timedelta(seconds=30)
    ).retry_at
    assert login(
        fresh_kb_url, "ann", PASSWORD, client="10.0.0.1", now=start + timedelta(seconds=31)
    ).ok


def test_sessions_expire_and_disabled_users_are_logged_out(fresh_kb_url: str) -> None:
    make_user(fresh_kb_url)
    make_user(fresh_kb_url, "root", "admin")
    token = login(fresh_kb_url, "ann", PASSWORD).token
    with session_scope(fresh_kb_url) as session:
        assert (
            accounts.current_session(session, token, accounts.utcnow() + security.SESSION_IDLE * 2)
            is None
        )
    token = login(fresh_kb_url, "ann", PASSWORD).token
    with session_scope(fresh_kb_url) as session:
        accounts.update_user(session, accounts.find_user(session, "ann"), "editor", False, "root")
    with session_scope(fresh_kb_url) as session:
        assert accounts.current_session(session, token) is None
    assert not login(fresh_kb_url, "ann", PASSWORD).ok


def test_the_last_admin_cannot_be_demoted_and_a_new_password_ends_sessions(
    fresh_kb_url: str,
) -> None:
    make_user(fresh_kb_url, "root", "admin")
    with session_scope(fresh_kb_url) as session:
        with pytest.raises(ContentError, match="last active admin"):
            accounts.update_user(
                session, accounts.find_user(session, "root"), "editor", True, "root"
            )
    token = login(fresh_kb_url, "root", PASSWORD).token
    with session_scope(fresh_kb_url) as session:
        accounts.set_password(
            session, accounts.find_user(session, "root"), "another long passphrase", "root"
        )
    with session_scope(fresh_kb_url) as session:
        assert accounts.current_session(session, token) is None
    assert login(fresh_kb_url, "root", "another long passphrase").ok
