"""Security decisions of the staff admin UI, as small pure functions (unit-tested alone).

Why our own ~150 lines instead of a framework: the admin lives inside the existing aiohttp
page server (one server, one strict Content-Security-Policy, nothing new to install), and
the libraries that fit Rasa's pins (sqladmin, Flask-Admin) would bring a second web stack
plus their own session/CSRF add-ons, and still not know our review workflow. What a login
system must get right is short, so it is written out here where it can be read and tested:

* passwords: argon2id (argon2-cffi, OWASP's first choice); parameters upgraded on login;
* sessions: a random 256-bit token in an HttpOnly, SameSite=Strict cookie (Secure over
  https); the database keeps only its SHA-256, with idle and absolute time-outs;
* CSRF: a per-session synchronizer token in every form and API call (double-submit cookie
  for the login form, which has no session yet), compared in constant time;
* throttling: too many failed logins for one account or from one address within a window
  lock further attempts until the oldest counted failure leaves the window.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

SESSION_COOKIE = "pns_staff"
LOGIN_CSRF_COOKIE = "pns_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # argon2 hashes anything, but a megabyte "password" is a DoS, not a secret
SESSION_IDLE = timedelta(minutes=30)
SESSION_MAX = timedelta(hours=12)

_HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
# verified against when the account does not exist, so a miss takes as long as a wrong password
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; an unknown account (None) costs the same time."""
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _HASHER.check_needs_rehash(stored_hash)


def password_problem(password: str, username: str) -> str | None:
    """Why a new password is refused, or None. Length over composition rules (NIST 800-63B)."""
    if len(password) < MIN_PASSWORD:
        return f"the password must have at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"the password must have at most {MAX_PASSWORD} characters"
    if username and username.casefold() in password.casefold():
        return "the password must not contain the user name"
    if len(set(password)) < 5:
        return "the password is too repetitive"
    return None


def new_token() -> str:
    """A random 256-bit token (session ids, CSRF tokens)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What the database stores for a session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def tokens_match(expected: str | None, given: str | None) -> bool:
    """Constant-time comparison; a missing token on either side never matches."""
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def session_alive(
    created_at: datetime,
    last_seen_at: datetime,
    now: datetime,
    idle: timedelta = SESSION_IDLE,
    maximum: timedelta = SESSION_MAX,
) -> bool:
    """A session ends after ``idle`` without requests or ``maximum`` after login."""
    return now - last_seen_at <= idle and now - created_at <= maximum


def cookie_options(secure: bool, max_age: int | None = None) -> dict[str, object]:
    """Attributes of every cookie the admin sets: never readable by scripts, never sent
    with cross-site requests, and only over https when the page is served over https."""
    options: dict[str, object] = {
        "httponly": True,
        "samesite": "Strict",
        "path": "/admin",
        "secure": secure,
    }
    if max_age is not None:
        options["max_age"] = max_age
    return options


@dataclass(frozen=True)
class ThrottleRule:
    """At most ``limit`` failures per ``window`` for one key (an account or an address)."""

    limit: int
    window: timedelta


ACCOUNT_RULE = ThrottleRule(limit=5, window=timedelta(minutes=15))
# higher: several staff may share one clinic address (NAT)
ADDRESS_RULE = ThrottleRule(limit=20, window=timedelta(minutes=15))


def locked_until(
    failures: Iterable[datetime], now: datetime, rule: ThrottleRule
) -> datetime | None:
    """When login attempts for a key are allowed again, or None if they are allowed now.

    Counts the failures inside the window ending now; at ``limit`` or more, attempts wait
    until enough of them have left the window to drop below the limit.
    """
    recent = sorted((t for t in failures if now - rule.window < t <= now), reverse=True)
    if len(recent) < rule.limit:
        return None
    return recent[rule.limit - 1] + rule.window


def is_https(scheme: str, forwarded_proto: str | None, trust_proxy: bool) -> bool:
    """Whether the browser talks https to us (behind a trusted proxy: what the proxy says)."""
    if trust_proxy and forwarded_proto:
        return forwarded_proto.split(",")[0].strip().lower() == "https"
    return scheme == "https"
