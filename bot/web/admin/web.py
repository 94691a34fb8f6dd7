"""The admin's request plumbing: who is asking (session cookie), CSRF, permissions, rendering.

Two middlewares run for every ``/admin`` request before any page code:

1. CSRF: a POST must carry the session's token (form field ``csrf_token`` or header
   ``X-CSRF-Token``); the login form, which has no session yet, carries the token of its
   double-submit cookie. Anything else gets 403 before the handler runs.
2. Login and permission: every ``/admin`` route except the login form and the language switch
   needs a live session (pages redirect to the login form, the JSON API answers 401) and the
   permission its handler declares with :func:`requires` (403 otherwise).

The session lookup is its own short unit of work, committed before the handler starts, so
handlers write in their own transactions (SQLite allows one writer at a time).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from bot.settings import Settings
from bot.web.admin import accounts, i18n, roles, security
from kb.db import session_scope

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "admin"
PREFIX = "/admin"
PUBLIC = frozenset({f"{PREFIX}/login", *(f"{PREFIX}/lang/{lang}" for lang in i18n.ADMIN_LANGS)})
LOGIN_CSRF_MAX_AGE = 3600

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SETTINGS_KEY: web.AppKey = web.AppKey("settings", Settings)
JINJA_KEY: web.AppKey = web.AppKey("jinja", jinja2.Environment)


@dataclass(frozen=True)
class Staff:
    """The logged-in staff member of a request (plain values: the DB session is closed)."""

    username: str
    role: str
    csrf_token: str
    session_token: str

    def can(self, permission: str) -> bool:
        return roles.can(self.role, permission)


def requires(permission: str) -> Callable[[Handler], Handler]:
    """Declare the permission a handler needs (checked by :func:`auth_middleware`)."""

    def mark(handler: Handler) -> Handler:
        handler.permission = permission  # type: ignore[attr-defined]
        return handler

    return mark


def database_url(request: web.Request) -> str:
    return request.app[SETTINGS_KEY].database_url


def client_address(request: web.Request) -> str:
    return request.remote or "unknown"


def https(request: web.Request) -> bool:
    return security.is_https(
        request.scheme,
        request.headers.get("X-Forwarded-Proto"),
        request.app[SETTINGS_KEY].trust_proxy,
    )


def staff(request: web.Request) -> Staff:
    return request["staff"]


def is_api(request: web.Request) -> bool:
    return request.path.startswith(f"{PREFIX}/api/")


async def submitted_token(request: web.Request) -> str | None:
    header = request.headers.get(security.CSRF_HEADER)
    if header:
        return header
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        value = form.get(security.CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


def lookup_staff(request: web.Request) -> Staff | None:
    token = request.cookies.get(security.SESSION_COOKIE)
    if not token:
        return None
    with session_scope(database_url(request)) as session:
        row = accounts.current_session(session, token)
        if row is None:
            return None
        return Staff(row.user.username, row.user.role, row.csrf_token, token)


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """CSRF first (for every unsafe method), then login, then the handler's permission."""
    if not (request.path == PREFIX or request.path.startswith(PREFIX + "/")):
        return await handler(request)  # the clinic page and its files are public
    current = lookup_staff(request)
    if current is not None:
        request["staff"] = current
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        expected = (
            current.csrf_token if current else request.cookies.get(security.LOGIN_CSRF_COOKIE)
        )
        if request.path not in PUBLIC and current is None:
            expected = None  # no session: only the login form may be posted
        if not security.tokens_match(expected, await submitted_token(request)):
            return forbidden(
                request,
                "The form has expired or did not come from this site (CSRF check). "
                "Reload the page and try again.",
            )
    if request.path in PUBLIC:
        return await handler(request)
    if current is None:
        if is_api(request) or request.method != "GET":
            return web.json_response({"error": "login required"}, status=401)
        raise web.HTTPSeeOther(f"{PREFIX}/login")
    permission = getattr(handler, "permission", None)
    if permission is None or not current.can(permission):
        # a route without a declared permission is a bug: refuse rather than allow
        return forbidden(request, f"Your role ({current.role}) does not allow this.")
    return await handler(request)


def forbidden(request: web.Request, message: str) -> web.Response:
    if is_api(request):
        return web.json_response({"error": message}, status=403)
    return render(
        request, "message.html", {"title": "title.not_allowed", "message": message}, status=403
    )


def environment() -> jinja2.Environment:
    """Jinja2 with autoescaping on for everything: staff text always renders as text."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def render(
    request: web.Request, template: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    env: jinja2.Environment = request.app[JINJA_KEY]
    lang = admin_lang(request)
    t = i18n.translator(lang)
    values = {
        "staff": request.get("staff"),
        "prefix": PREFIX,
        "csrf_field": security.CSRF_FIELD,
        "notice": "",
        "error": "",
        **context,
        "t": t,
        "admin_lang": lang,
        "admin_langs": [(code, i18n.translator(code)("lang.name")) for code in i18n.ADMIN_LANGS],
        "here": request.path_qs,
    }
    # titles and notices are catalogue keys; a notice comes from the URL, so only a known key
    # is shown (never text someone put into a link)
    for name in ("title", "notice"):
        value = values.get(name)
        if isinstance(value, str) and i18n.known(value):
            values[name] = t(value)
        elif name == "notice":
            values[name] = ""
    html = env.get_template(template).render(**values)
    return web.Response(text=html, content_type="text/html", charset="utf-8", status=status)


def admin_lang(request: web.Request) -> str:
    """The language of the admin's own labels for this browser (Russian unless chosen)."""
    return i18n.admin_lang(request.cookies.get(i18n.LANG_COOKIE))


def set_cookie(
    request: web.Request,
    response: web.StreamResponse,
    name: str,
    value: str,
    max_age: int | None = None,
) -> None:
    response.set_cookie(name, value, **security.cookie_options(https(request), max_age))  # type: ignore[arg-type]


def delete_cookie(response: web.StreamResponse, name: str) -> None:
    response.del_cookie(name, path=PREFIX)
