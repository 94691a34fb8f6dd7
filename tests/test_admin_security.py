"""Security decisions of the staff admin (bot/web/admin/security.py, roles.py): pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.web.admin import roles, security
from kb.items import parse_ref

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def test_passwords_are_hashed_with_argon2id_and_verified() -> None:
    stored = security.hash_password("correct horse battery")
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    assert security.verify_password(stored, "correct horse battery")
    assert not security.verify_password(stored, "correct horse batterY")
    assert not security.verify_password(None, "correct horse battery")  # unknown account
    assert not security.verify_password("not a hash", "x")
    assert security.hash_password("same password!") != security.hash_password(
        "same password!"
    )  # salted


def test_weak_passwords_are_refused_with_a_reason() -> None:
    assert (
        security.password_problem("short", "ann") == "the password must have at least 12 characters"
    )
    assert "user name" in security.password_problem("ann-is-my-password", "Ann")
    assert "repetitive" in security.password_problem("aaaaaaaaaaaaab", "bob")
    assert "at most" in security.password_problem("x" * 2000, "bob")
    assert security.password_problem("plain long passphrase", "bob") is None


def test_session_tokens_are_random_and_stored_as_digests() -> None:
    a, b = security.new_token(), security.new_token()
    assert a != b and len(a) >= 43
    assert security.token_digest(a) != a and len(security.token_digest(a)) == 64
    assert security.token_digest(a) == security.token_digest(a)


def test_tokens_match_only_when_both_present_and_equal() -> None:
    assert security.tokens_match("abc", "abc")
    assert not security.tokens_match("abc", "abd")
    assert not security.tokens_match(None, None)
    assert not security.tokens_match("", "")
    assert not security.tokens_match("abc", None)


def test_sessions_end_when_idle_or_too_old() -> None:
    assert security.session_alive(T0, T0, T0 + timedelta(minutes=29))
    assert not security.session_alive(T0, T0, T0 + timedelta(minutes=31))
    busy = T0 + timedelta(hours=12, minutes=1)
    assert not security.session_alive(T0, busy - timedelta(minutes=1), busy)


def test_cookies_are_httponly_strict_and_secure_over_https() -> None:
    plain = security.cookie_options(secure=False)
    assert plain["httponly"] is True and plain["samesite"] == "Strict" and plain["secure"] is False
    assert plain["path"] == "/admin"
    assert security.cookie_options(secure=True, max_age=60) == {
        **plain,
        "secure": True,
        "max_age": 60,
    }
    assert security.is_https("https", None, trust_proxy=False)
    assert not security.is_https("http", "https", trust_proxy=False)  # a client cannot claim https
    assert security.is_https("http", "https, http", trust_proxy=True)


def test_throttle_locks_after_the_limit_until_failures_age_out() -> None:
    rule = security.ThrottleRule(limit=3, window=timedelta(minutes=10))
    failures = [T0, T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)]
    assert security.locked_until(failures[:2], T0 + timedelta(minutes=2), rule) is None
    assert security.locked_until(failures, T0 + timedelta(minutes=3), rule) == T0 + timedelta(
        minutes=10
    )
    assert security.locked_until(failures, T0 + timedelta(minutes=10, seconds=1), rule) is None
    old = [T0 - timedelta(hours=1)] * 10
    assert security.locked_until(old, T0, rule) is None


@given(
    st.lists(st.integers(min_value=0, max_value=3600), max_size=30),
    st.integers(min_value=0, max_value=3600),
)
def test_throttle_never_locks_below_the_limit_and_always_ends(
    offsets: list[int], now_offset: int
) -> None:
    rule = security.ACCOUNT_RULE
    now = T0 + timedelta(seconds=now_offset)
    failures = [T0 + timedelta(seconds=s) for s in offsets]
    recent = [t for t in failures if now - rule.window < t <= now]
    until = security.locked_until(failures, now, rule)
    if len(recent) < rule.limit:
        assert until is None
    else:
        assert now < until <= now + rule.window


def test_roles_are_cumulative_and_only_admins_change_centre_and_settings() -> None:
    assert roles.can("editor", "edit") and not roles.can("editor", "publish")
    assert roles.can("reviewer", "publish") and not roles.can("reviewer", "users")
    assert roles.can("admin", "users") and roles.can("admin", "publish")
    assert not roles.can("nobody", "view")
    answer, centre, setting = (
        parse_ref(r) for r in ("answer:ask_tests", "centre", "setting:emergency_number")
    )
    assert roles.can_edit("editor", answer) and roles.can_edit("reviewer", answer)
    assert not roles.can_edit("editor", centre) and not roles.can_edit("reviewer", setting)
    assert roles.can_edit("admin", centre) and roles.can_edit("admin", setting)
