"""The admin's pages and JSON endpoints. Each handler declares its permission (:func:`requires`)
and does one unit of work; content rules are :mod:`kb.review`'s and :mod:`kb.drafts`'s."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.web.admin import accounts, content, i18n, insight, roles, security
from bot.web.admin.rebuild import Rebuilder, model_state
from bot.web.admin.web import (
    PREFIX,
    SETTINGS_KEY,
    admin_lang,
    client_address,
    database_url,
    delete_cookie,
    render,
    requires,
    set_cookie,
    staff,
)
from kb import review, revisions
from kb.db import scratch_session, session_scope
from kb.errors import ContentError, ReviewError
from kb.items import ITEM_TYPES, TRANSLATED_FIELDS, LiveContent, Ref, parse_ref, title
from kb.models import KINDS, LANGS
from kb.payloads import fields_of
from kb.revisions import history_line, search, when
from kb.staff import STAFF_ROLES

REBUILDER_KEY: web.AppKey = web.AppKey("rebuilder", Rebuilder)
STATES = ("draft", "in_review", "approved", "published")


def item_url(ref: Ref) -> str:
    return f"{PREFIX}/item/{ref}"


def ref_of(request: web.Request) -> Ref:
    try:
        return parse_ref(request.match_info["ref"])
    except ContentError as exc:
        raise web.HTTPNotFound(text=str(exc)) from exc


async def form_of(request: web.Request) -> dict[str, str]:
    return {k: v for k, v in (await request.post()).items() if isinstance(v, str)}


def now() -> datetime:
    return datetime.now(UTC)


def t(request: web.Request) -> i18n.Translate:
    """The admin's labels in this browser's language."""
    return i18n.translator(admin_lang(request))


# --------------------------------------------------------------------------- login


async def choose_language(request: web.Request) -> web.Response:
    """Switch the admin's labels (Russian or English) for this browser, then go back."""
    lang = request.match_info["lang"]
    back = request.query.get("next", "")
    # only a page of the admin itself: never redirect elsewhere from a link
    target = back if back.startswith(PREFIX + "/") and "//" not in back else f"{PREFIX}/"
    response = web.HTTPSeeOther(target)
    set_cookie(request, response, i18n.LANG_COOKIE, i18n.admin_lang(lang), max_age=365 * 86400)
    raise response


async def login_form(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    token = security.new_token()
    response = render(request, "login.html", {"login_csrf": token, "error": error}, status=status)
    set_cookie(request, response, security.LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


async def login_page(request: web.Request) -> web.Response:
    if request.get("staff") is not None:
        raise web.HTTPSeeOther(f"{PREFIX}/")
    return await login_form(request)


async def login_submit(request: web.Request) -> web.Response:
    form = await form_of(request)
    with session_scope(database_url(request)) as session:
        result = accounts.login(
            session, form.get("username", ""), form.get("password", ""), client_address(request)
        )
    if result.retry_at is not None:
        wait = max(1, int((result.retry_at - now()).total_seconds() // 60) + 1)
        return await login_form(request, t(request)("login.throttled", minutes=wait), status=429)
    if not result.ok:
        return await login_form(request, t(request)("login.wrong"), status=401)
    response = web.HTTPSeeOther(f"{PREFIX}/")
    set_cookie(request, response, security.SESSION_COOKIE, result.token or "")
    delete_cookie(response, security.LOGIN_CSRF_COOKIE)
    raise response


@requires("view")
async def logout(request: web.Request) -> web.Response:
    with session_scope(database_url(request)) as session:
        accounts.logout(session, staff(request).session_token, client_address(request))
    response = web.HTTPSeeOther(f"{PREFIX}/login")
    delete_cookie(response, security.SESSION_COOKIE)
    raise response


# --------------------------------------------------------------------------- content


@requires("view")
async def items_page(request: web.Request) -> web.Response:
    """Every item (live or pending), filtered by text, type/kind and review state."""
    query = request.query.get("q", "").strip()[:200]
    kind = request.query.get("type", "")
    state = request.query.get("state", "")
    lang = request.query.get("lang", "")
    with session_scope(database_url(request)) as session:
        overview = review.Overview.load(session)
        live = LiveContent(session).items()
        pending = {
            ref: revisions.payload(r) for ref, r in revisions.open_revisions(session).items()
        }
    everything = {**live, **pending}
    hits = search(everything, query) if query else {ref: "" for ref in everything}
    rows = []
    for ref, status in overview.items.items():
        if ref not in hits or (state and status.state != state) or (lang and ref.lang != lang):
            continue
        if kind and not (ref.type == kind or (ref.type == "entity" and ref.parts[0] == kind)):
            continue
        rows.append(
            {
                "ref": str(ref),
                "lang": ref.lang,
                "url": item_url(ref),
                "state": status.state,
                "status": status.describe(),
                "title": title(ref, everything.get(ref)),
                "hit": hits[ref],
            }
        )
    return render(
        request,
        "items.html",
        {
            "rows": rows,
            "q": query,
            "type": kind,
            "state": state,
            "lang": lang,
            "content_langs": [(code, i18n.translator(code)("lang.name")) for code in LANGS],
            "types": [t for t in ITEM_TYPES if t != "entity"] + list(KINDS),
            "states": STATES,
            "title": "title.content",
        },
    )


@requires("view")
async def open_item(request: web.Request) -> web.Response:
    """The item page of a typed reference (also for items that do not exist yet)."""
    try:
        ref = parse_ref(request.query.get("ref", ""))
    except ContentError as exc:
        return render(
            request, "message.html", {"title": "title.unknown_ref", "message": str(exc)}, status=400
        )
    raise web.HTTPSeeOther(item_url(ref))


def _panel(
    request: web.Request, session: Any, ref: Ref, form: dict[str, str] | None
) -> dict[str, Any]:
    """One language version of an item: its status, open change, form, preview and history."""
    live_payload = LiveContent(session).payload(ref)
    status = content.status_of(session, ref)
    history = revisions.versions(session, ref)
    pending = status.open
    pending_payload = revisions.payload(pending) if pending else None
    pending_diff = revisions.pending_diff(ref, live_payload, pending) if pending else ""
    me = staff(request)
    values = form if form is not None else content.form_values(ref, pending_payload or live_payload)
    fields = [
        {
            "name": f.name,
            "id": f"f-{ref.lang}-{f.name}",
            "list": content.is_list(f),
            "long": f.name in content.LONG_FIELDS or content.is_list(f),
            "required": f.required,
            "value": values.get(f.name, ""),
            "choices": f.choices,
        }
        for f in fields_of(ref)
    ]
    published_version = status.published.version if status.published else None
    return {
        "ref": str(ref),
        "lang": ref.lang,
        "lang_name": i18n.translator(ref.lang)("lang.name"),
        "url": item_url(ref),
        "fields": fields,
        "status": status.describe(),
        "state": status.state,
        "exists": live_payload is not None or pending is not None,
        "live_text": revisions.render(ref, live_payload),
        "pending": pending,
        "pending_diff": pending_diff,
        "history": [
            {
                "version": r.version,
                "summary": history_line(r),
                "diff": r.diff,
                "can_rollback": r.published_at is not None and r.version != published_version,
            }
            for r in reversed(history)
        ],
        "can_edit": roles.can_edit(me.role, ref),
        "can_review": me.can("review")
        and pending is not None
        and pending.status in ("in_review", "approved"),
        "own_change": pending is not None and pending.author.casefold() == me.username.casefold(),
        "can_submit": pending is not None and pending.status == "draft" and me.can("submit"),
        "can_rollback": me.can("rollback"),
        "previewable": content.preview_question(ref) is not None,
    }


def _item_context(
    request: web.Request, ref: Ref, form: dict[str, str] | None = None
) -> dict[str, Any]:
    """The item page: every language version side by side (``form`` refills ``ref``'s)."""
    versions = (
        [ref.base.in_lang(lang) for lang in LANGS] if ref.type in TRANSLATED_FIELDS else [ref]
    )
    with session_scope(database_url(request)) as session:
        panels = [
            _panel(request, session, version, form if version == ref else None)
            for version in versions
        ]
    return {
        "ref": str(ref.base),
        "title": str(ref.base),
        "panels": panels,
        "translated": len(panels) > 1,
        "vocabulary": ref.type == "entity",
    }


@requires("view")
async def item_page(request: web.Request) -> web.Response:
    ref = ref_of(request)
    return render(
        request,
        "item.html",
        {**_item_context(request, ref), "notice": request.query.get("done", "")},
    )


def _back(ref: Ref, notice: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"{item_url(ref)}?done={quote(notice)}")


def _error_page(
    request: web.Request, ref: Ref, error: str, form: dict[str, str] | None = None
) -> web.Response:
    return render(
        request,
        "item.html",
        {**_item_context(request, ref, form), "error": error, "notice": ""},
        status=400,
    )


@requires("edit")
async def item_save(request: web.Request) -> web.Response:
    ref = ref_of(request)
    me = staff(request)
    if not roles.can_edit(me.role, ref):
        return render(
            request,
            "message.html",
            {
                "title": "title.not_allowed",
                "message": t(request)("item.admins_only", type=ref.type),
            },
            status=403,
        )
    form = await form_of(request)
    submit = form.get("action") == "submit"
    try:
        with session_scope(database_url(request)) as session:
            report = content.save(session, ref, form, me.username, form.get("message", ""), submit)
            if report.drafted:
                accounts.audit(
                    session,
                    "submit" if submit else "draft",
                    me.username,
                    client_address(request),
                    str(ref),
                    f"v{report.drafted[0].version}",
                )
    except (ContentError, ReviewError) as exc:
        return _error_page(request, ref, str(exc), form)
    if not report.drafted:
        raise _back(ref, "notice.unchanged")
    raise _back(ref, "notice.submitted" if submit else "notice.saved")


@requires("submit")
async def item_submit(request: web.Request) -> web.Response:
    return await _review_action(
        request,
        "submit",
        lambda s, ref, user, form: review.submit(s, ref, user),
        "notice.submitted",
    )


@requires("publish")
async def item_publish(request: web.Request) -> web.Response:
    return await _review_action(
        request,
        "publish",
        lambda s, ref, user, form: review.publish(s, [ref], user),
        "notice.published",
    )


@requires("review")
async def item_reject(request: web.Request) -> web.Response:
    def reject(session: Any, ref: Ref, user: str, form: dict[str, str]) -> Any:
        comment = form.get("comment", "").strip()
        if not comment:
            raise ContentError("say what needs to change (the author reads the comment)")
        return review.reject(session, ref, user, comment)

    return await _review_action(request, "send_back", reject, "notice.sent_back")


@requires("rollback")
async def item_rollback(request: web.Request) -> web.Response:
    def rollback(session: Any, ref: Ref, user: str, form: dict[str, str]) -> Any:
        try:
            number = int(form.get("version", ""))
        except ValueError as exc:
            raise ContentError("which version? (a number)") from exc
        return review.rollback(session, ref, number, user, form.get("message") or None)

    return await _review_action(request, "rollback", rollback, "notice.rolled_back")


async def _review_action(request: web.Request, action: str, do: Any, notice: str) -> web.Response:
    ref = ref_of(request)
    me = staff(request)
    form = await form_of(request)
    try:
        with session_scope(database_url(request)) as session:
            if (
                action != "submit"
                and ref.type in roles.ADMIN_ITEM_TYPES
                and not me.can("edit_settings")
            ):
                raise ReviewError(f"only admins publish or roll back {ref.type} items")
            do(session, ref, me.username, form)
            accounts.audit(
                session,
                action,
                me.username,
                client_address(request),
                str(ref),
                form.get("comment") or form.get("version") or None,
            )
    except (ContentError, ReviewError) as exc:
        return _error_page(request, ref, str(exc))
    if ref.type == "entity" and action in ("publish", "rollback"):
        notice = "notice.rebuild" if action == "publish" else "notice.rolled_back_rebuild"
    raise _back(ref, notice)


@requires("edit")
async def preview_api(request: web.Request) -> web.Response:
    """The exact reply text the bot would send with the form's values (nothing is saved)."""
    ref = ref_of(request)
    form = await form_of(request)
    with scratch_session(database_url(request)) as session:
        result = content.preview(session, ref, form)
    return web.json_response(
        {"text": result.text, "error": result.error, "question": result.question}
    )


@requires("review")
async def review_queue(request: web.Request) -> web.Response:
    with session_scope(database_url(request)) as session:
        pending = revisions.open_revisions(session, ("in_review", "approved"))
        rows = [
            {
                "ref": str(ref),
                "url": item_url(ref),
                "version": r.version,
                "author": r.author,
                "submitted": when(r.submitted_at),
                "message": r.message or "",
                "status": r.status,
                "own": r.author.casefold() == staff(request).username.casefold(),
            }
            for ref, r in sorted(
                pending.items(), key=lambda kv: kv[1].submitted_at or kv[1].created_at
            )
        ]
    return render(request, "review.html", {"rows": rows, "title": "title.review"})


# --------------------------------------------------------------------------- insight


@requires("insight")
async def insight_page(request: web.Request) -> web.Response:
    with session_scope(database_url(request)) as session:
        data = insight.load(session, now())
    return render(request, "insight.html", {"data": data, "title": "title.insight"})


# --------------------------------------------------------------------------- model


@requires("view")
async def model_page(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS_KEY]
    with session_scope(database_url(request)) as session:
        state = await asyncio.get_running_loop().run_in_executor(
            None, model_state, session, settings
        )
    rebuilder = request.app[REBUILDER_KEY]
    return render(
        request,
        "model.html",
        {
            "state": state,
            "job": rebuilder.job.snapshot() if rebuilder.job else None,
            "running": rebuilder.running,
            "title": "title.model",
        },
    )


@requires("rebuild")
async def model_rebuild(request: web.Request) -> web.Response:
    rebuilder = request.app[REBUILDER_KEY]
    if rebuilder.start(staff(request).username):
        with session_scope(database_url(request)) as session:
            accounts.audit(session, "rebuild", staff(request).username, client_address(request))
    raise web.HTTPSeeOther(f"{PREFIX}/model")


@requires("view")
async def model_job_api(request: web.Request) -> web.Response:
    job = request.app[REBUILDER_KEY].job
    return web.json_response(job.snapshot() if job else None)


# --------------------------------------------------------------------------- users and audit


@requires("users")
async def users_page(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    with session_scope(database_url(request)) as session:
        rows = [
            {
                "username": u.username,
                "role": u.role,
                "active": bool(u.active),
                "created": when(u.created_at),
                "created_by": u.created_by or "",
                "last_login": when(u.last_login_at),
            }
            for u in accounts.users(session)
        ]
    return render(
        request,
        "users.html",
        {
            "rows": rows,
            "roles": STAFF_ROLES,
            "error": error,
            "notice": request.query.get("done", ""),
            "title": "title.users",
        },
        status=status,
    )


@requires("users")
async def users_create(request: web.Request) -> web.Response:
    def create(session: Any, form: dict[str, str], me: str) -> None:
        accounts.create_user(
            session, form.get("username", ""), form.get("password", ""), form.get("role", ""), me
        )

    return await _account_change(request, create, "notice.user_created")


@requires("users")
async def users_update(request: web.Request) -> web.Response:
    def update(session: Any, form: dict[str, str], me: str) -> None:
        user = accounts.find_user(session, request.match_info["name"])
        if user is None:
            raise ContentError("no such user")
        if form.get("password"):
            accounts.set_password(session, user, form["password"], me)
        else:
            accounts.update_user(
                session, user, form.get("role", user.role), form.get("active") == "1", me
            )

    return await _account_change(request, update, "notice.user_saved")


async def _account_change(request: web.Request, change: Any, notice: str) -> web.Response:
    """One account change in one transaction; a refused change shows the users page with why."""
    form = await form_of(request)
    try:
        with session_scope(database_url(request)) as session:
            change(session, form, staff(request).username)
    except ContentError as exc:
        return await users_page(request, str(exc), status=400)
    raise web.HTTPSeeOther(f"{PREFIX}/users?done={quote(notice)}")


@requires("audit")
async def audit_page(request: web.Request) -> web.Response:
    which = request.query.get("show", "")
    logins = {"logins": True, "changes": False}.get(which)
    with session_scope(database_url(request)) as session:
        rows = [
            {
                "time": when(e.created_at),
                "user": e.username or "",
                "client": e.client or "",
                "action": e.action,
                "item": e.item_ref or "",
                "detail": e.detail or "",
            }
            for e in accounts.audit_events(session, 300, logins)
        ]
    return render(request, "audit.html", {"rows": rows, "show": which, "title": "title.audit"})


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get(f"{PREFIX}/login", login_page)
    r.add_get(f"{PREFIX}/lang/{{lang}}", choose_language)
    r.add_post(f"{PREFIX}/login", login_submit)
    r.add_post(f"{PREFIX}/logout", logout)
    r.add_get(f"{PREFIX}", items_page)
    r.add_get(f"{PREFIX}/", items_page)
    r.add_get(f"{PREFIX}/open", open_item)
    r.add_get(f"{PREFIX}/item/{{ref}}", item_page)
    r.add_post(f"{PREFIX}/item/{{ref}}/save", item_save)
    r.add_post(f"{PREFIX}/item/{{ref}}/submit", item_submit)
    r.add_post(f"{PREFIX}/item/{{ref}}/publish", item_publish)
    r.add_post(f"{PREFIX}/item/{{ref}}/reject", item_reject)
    r.add_post(f"{PREFIX}/item/{{ref}}/rollback", item_rollback)
    r.add_post(f"{PREFIX}/api/preview/{{ref}}", preview_api)
    r.add_get(f"{PREFIX}/review", review_queue)
    r.add_get(f"{PREFIX}/insight", insight_page)
    r.add_get(f"{PREFIX}/model", model_page)
    r.add_post(f"{PREFIX}/model/rebuild", model_rebuild)
    r.add_get(f"{PREFIX}/api/model/job", model_job_api)
    r.add_get(f"{PREFIX}/users", users_page)
    r.add_post(f"{PREFIX}/users", users_create)
    r.add_post(f"{PREFIX}/users/{{name}}", users_update)
    r.add_get(f"{PREFIX}/audit", audit_page)
