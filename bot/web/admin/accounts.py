"""Staff accounts, login sessions and the audit log in the KB database.

Every function works on a caller's session (one unit of work per request,
:func:`kb.db.session_scope`); the decisions themselves (hashing, throttling, time-outs) are
in :mod:`bot.web.admin.security`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.web.admin import security
from kb.errors import ContentError, ReviewError
from kb.review import check_user
from kb.staff import STAFF_ROLES, AuditEvent, StaffSession, StaffUser

MAX_CLIENT = 64
#: Audit actions that are login attempts (what throttling counts and the audit page filters).
LOGIN_FAILED, LOGIN_OK, LOGIN_THROTTLED, LOGOUT = (
    "login_failed",
    "login",
    "login_throttled",
    "logout",
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """SQLite gives times back without their zone; they were stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def audit(
    session: Session,
    action: str,
    username: str | None,
    client: str | None = None,
    item_ref: str | None = None,
    detail: str | None = None,
) -> AuditEvent:
    event = AuditEvent(
        action=action,
        username=(username or "")[:64] or None,
        client=(client or "")[:MAX_CLIENT] or None,
        item_ref=item_ref,
        detail=detail,
        created_at=utcnow(),
    )
    session.add(event)
    return event


# --------------------------------------------------------------------------- accounts


def check_username(name: str) -> str:
    """A valid new user name (the history records it as author), or :class:`ContentError`."""
    try:
        name = check_user(name)
    except ReviewError as exc:
        raise ContentError(str(exc)) from exc
    if not all(c.isalnum() or c in "._-@" for c in name):
        raise ContentError("user names may contain letters, digits and . _ - @ only")
    return name


def find_user(session: Session, username: str) -> StaffUser | None:
    return session.execute(
        select(StaffUser).where(func.lower(StaffUser.username) == username.strip().lower())
    ).scalar_one_or_none()


def create_user(
    session: Session, username: str, password: str, role: str, created_by: str
) -> StaffUser:
    """A new account; refuses bad names, weak passwords, unknown roles and duplicates."""
    username = check_username(username)
    if role not in STAFF_ROLES:
        raise ContentError(f"role {role!r} is not one of {', '.join(STAFF_ROLES)}")
    problem = security.password_problem(password, username)
    if problem:
        raise ContentError(problem)
    if find_user(session, username) is not None:
        raise ContentError(f"user {username!r} already exists")
    user = StaffUser(
        username=username,
        password_hash=security.hash_password(password),
        role=role,
        active=1,
        created_by=created_by,
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    audit(session, "user_created", created_by, detail=f"{username} ({role})")
    return user


def set_password(session: Session, user: StaffUser, password: str, by: str) -> None:
    problem = security.password_problem(password, user.username)
    if problem:
        raise ContentError(problem)
    user.password_hash = security.hash_password(password)
    end_sessions(session, user)
    audit(session, "password_changed", by, detail=user.username)


def update_user(session: Session, user: StaffUser, role: str, active: bool, by: str) -> None:
    """Change a role or (de)activate; the last active admin cannot be removed."""
    if role not in STAFF_ROLES:
        raise ContentError(f"role {role!r} is not one of {', '.join(STAFF_ROLES)}")
    if (
        user.role == "admin"
        and (role != "admin" or not active)
        and active_admins(session) <= 1
        and user.active
    ):
        raise ContentError("this is the last active admin; make someone else admin first")
    user.role, user.active = role, 1 if active else 0
    if not active:
        end_sessions(session, user)
    audit(
        session,
        "user_changed",
        by,
        detail=f"{user.username}: role {role}, {'active' if active else 'disabled'}",
    )


def active_admins(session: Session) -> int:
    return session.execute(
        select(func.count())
        .select_from(StaffUser)
        .where(StaffUser.role == "admin", StaffUser.active == 1)
    ).scalar_one()


def users(session: Session) -> list[StaffUser]:
    return list(session.execute(select(StaffUser).order_by(StaffUser.username)).scalars())


# --------------------------------------------------------------------------- logging in


@dataclass
class LoginResult:
    """A session token on success; otherwise why not (shown to the user as one message)."""

    token: str | None = None
    user: StaffUser | None = None
    retry_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.token is not None


def _failures(
    session: Session, since: datetime, username: str | None = None, client: str | None = None
) -> list[datetime]:
    query = select(AuditEvent.created_at).where(
        AuditEvent.action == LOGIN_FAILED, AuditEvent.created_at > since
    )
    if username is not None:
        query = query.where(func.lower(AuditEvent.username) == username.lower()[:64])
    if client is not None:
        query = query.where(AuditEvent.client == client[:MAX_CLIENT])
    return [aware(t) for t in session.execute(query).scalars()]


def throttled_until(session: Session, username: str, client: str, now: datetime) -> datetime | None:
    """When this account or address may try again, if either is locked."""
    account, address = security.ACCOUNT_RULE, security.ADDRESS_RULE
    locks = [
        security.locked_until(
            _failures(session, now - account.window, username=username), now, account
        ),
        security.locked_until(
            _failures(session, now - address.window, client=client), now, address
        ),
    ]
    found = [lock for lock in locks if lock is not None]
    return max(found) if found else None


def login(
    session: Session, username: str, password: str, client: str, now: datetime | None = None
) -> LoginResult:
    """Check a login; every attempt is audited, and locked keys are not even verified."""
    now = now or utcnow()
    username = (username or "").strip()[:200]
    retry_at = throttled_until(session, username, client, now)
    if retry_at is not None:
        audit(session, LOGIN_THROTTLED, username, client)
        return LoginResult(retry_at=retry_at)
    user = find_user(session, username) if username else None
    valid = security.verify_password(
        user.password_hash if user else None, password[: security.MAX_PASSWORD]
    )
    if not valid or user is None or not user.active:
        event = audit(session, LOGIN_FAILED, username, client)
        event.created_at = now
        return LoginResult()
    if security.needs_rehash(user.password_hash):
        user.password_hash = security.hash_password(password)
    token = security.new_token()
    session.add(
        StaffSession(
            token_hash=security.token_digest(token),
            user_id=user.id,
            csrf_token=security.new_token(),
            created_at=now,
            last_seen_at=now,
        )
    )
    user.last_login_at = now
    audit(session, LOGIN_OK, user.username, client).created_at = now
    return LoginResult(token=token, user=user)


def current_session(
    session: Session, token: str | None, now: datetime | None = None
) -> StaffSession | None:
    """The live session of a cookie token (its last-seen time moved on), or None."""
    if not token or len(token) > 200:
        return None
    now = now or utcnow()
    row = session.get(StaffSession, security.token_digest(token))
    if row is None:
        return None
    if not row.user.active or not security.session_alive(
        aware(row.created_at), aware(row.last_seen_at), now
    ):
        session.delete(row)
        return None
    row.last_seen_at = now
    return row


def logout(session: Session, token: str | None, client: str) -> None:
    row = session.get(StaffSession, security.token_digest(token)) if token else None
    if row is not None:
        audit(session, LOGOUT, row.user.username, client)
        session.delete(row)


def end_sessions(session: Session, user: StaffUser) -> None:
    session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))


def audit_events(
    session: Session, limit: int = 200, logins: bool | None = None
) -> list[AuditEvent]:
    query = (
        select(AuditEvent).order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc()).limit(limit)
    )
    login_actions = (LOGIN_OK, LOGIN_FAILED, LOGIN_THROTTLED, LOGOUT)
    if logins is True:
        query = query.where(AuditEvent.action.in_(login_actions))
    elif logins is False:
        query = query.where(AuditEvent.action.not_in(login_actions))
    return list(session.execute(query).scalars())
