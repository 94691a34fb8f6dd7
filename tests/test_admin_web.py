"""The staff admin pages through HTTP (aiohttp test server, real KB on SQLite and PostgreSQL):
logins, CSRF, roles, the four-eyes rule, edit → preview → submit → publish → next answer."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import CookieJar
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.settings import ROOT, load_settings
from bot.web.admin import accounts, security
from bot.web.admin.web import SETTINGS_KEY
from bot.web.server import create_app
from kb import revisions
from kb.answers import compose_answer, emergency_number
from kb.db import session_scope
from kb.feedback import record_feedback, record_unanswered
from kb.staff import AuditEvent
from tests.admin_client import PASSWORD, StaffBrowser
from tests.postgres import free_port

ANSWER = "answer:ask_tests"
NEW_TEXT = (
    "Doctors test the blood and the spinal fluid for antineuronal antibodies (edited in the admin)."
)
XSS = '<script>window.pnsInjected = 1</script><img src=x onerror="window.pnsInjected = 2">'
USERS = {"root": "admin", "ann": "editor", "rita": "reviewer", "rob": "reviewer"}


@pytest.fixture()
async def browser(fresh_kb_url: str, tmp_path: Path) -> AsyncIterator[StaffBrowser]:
    with session_scope(fresh_kb_url) as session:
        for name, role in USERS.items():
            accounts.create_user(session, name, PASSWORD, role, "test")
    settings = load_settings(
        environ={
            "PNS_DATABASE_URL": fresh_kb_url,
            "PNS_RASA_PORT": str(free_port()),
            "PNS_VAR_DIR": str(tmp_path),
            "PNS_RASA_TOKEN": "t",
        },
        root=ROOT,
    )
    client = TestClient(TestServer(create_app(settings)), cookie_jar=CookieJar(unsafe=True))
    async with client:
        yield StaffBrowser(client)


def answer_text(url: str, intent: str = "ask_tests", lang: str = "en") -> str:
    with session_scope(url) as session:
        return compose_answer(session, intent, [], lang).text


def form_of(page: str, lang: str = "en") -> dict[str, str]:
    """The current field values (inputs and textareas) of one language's edit form."""
    fields = {
        m.group(1): html.unescape(m.group(2))
        for m in re.finditer(
            rf'<textarea id="f-{lang}-\w+" name="(\w+)"[^>]*>(.*?)</textarea>', page, re.S
        )
    }
    fields.update(
        {
            m.group(1): html.unescape(m.group(2))
            for m in re.finditer(rf'<input id="f-{lang}-\w+" name="(\w+)" value="([^"]*)"', page)
        }
    )
    return fields


async def edit(browser: StaffBrowser, ref: str, text: str, action: str = "submit") -> int:
    page = await (await browser.get(f"/admin/item/{ref}")).text()
    lang = ref.partition("@")[2] or "en"
    fields = {**form_of(page, lang), "text": text, "action": action, "message": "clearer"}
    return (await browser.post(f"/admin/item/{ref}/save", fields)).status


async def test_every_admin_page_and_api_needs_a_login(browser: StaffBrowser) -> None:
    routes = [
        (r.method, r.resource.canonical)
        for r in browser.client.app.router.routes()
        if r.resource is not None
        and r.resource.canonical.startswith("/admin")
        and r.method != "HEAD"
    ]
    assert len(routes) >= 18
    for method, path in routes:
        concrete = path.replace("{ref}", ANSWER).replace("{name}", "root")
        if path == "/admin/login":
            continue
        if method == "GET":
            response = await browser.get(concrete)
            if concrete.startswith("/admin/api/"):
                assert response.status == 401, concrete
            else:
                assert response.status == 303 and response.headers["Location"] == "/admin/login", (
                    concrete
                )
        else:
            response = await browser.client.post(
                concrete, data={"csrf_token": "guess", "role": "admin"}, allow_redirects=False
            )
            assert response.status in (401, 403), concrete
    with session_scope(browser_url(browser)) as session:  # nothing was changed on the way
        assert accounts.find_user(session, "root").role == "admin"
        assert revisions.open_revisions(session) == {}
        assert {e.action for e in session.execute(select(AuditEvent)).scalars()} == {"user_created"}


def browser_url(browser: StaffBrowser) -> str:
    return browser.client.app[SETTINGS_KEY].database_url


async def test_login_sets_a_strict_httponly_cookie_and_logout_ends_the_session(
    browser: StaffBrowser,
) -> None:
    response = await browser.login("ann")
    assert response.status == 303
    cookie = response.headers.getall("Set-Cookie")
    session_cookie = next(c for c in cookie if c.startswith(security.SESSION_COOKIE + "="))
    assert (
        "HttpOnly" in session_cookie
        and "SameSite=Strict" in session_cookie
        and "Path=/admin" in session_cookie
    )
    assert "Secure" not in session_cookie  # served over http here; https sets Secure (unit test)
    assert (await browser.get("/admin/")).status == 200
    assert (await browser.post("/admin/logout")).status == 303
    assert (await browser.get("/admin/")).status == 303


async def test_wrong_passwords_are_throttled(browser: StaffBrowser) -> None:
    for _ in range(security.ACCOUNT_RULE.limit):
        assert (await browser.login("ann", "not the password")).status == 401
    response = await browser.login("ann")
    assert response.status == 429 and "Too many failed logins" in await response.text()
    assert (await browser.login("rita")).status == 303


async def test_a_post_without_the_csrf_token_gets_403_and_changes_nothing(
    browser: StaffBrowser,
) -> None:
    await browser.login("ann")
    before = answer_text(browser_url(browser))
    page = await (await browser.get(f"/admin/item/{ANSWER}")).text()
    fields = {**form_of(page), "text": NEW_TEXT, "action": "submit"}
    assert (await browser.post(f"/admin/item/{ANSWER}/save", fields, csrf=False)).status == 403
    assert (
        await browser.post(
            f"/admin/item/{ANSWER}/save", {**fields, "csrf_token": "forged"}, csrf=False
        )
    ).status == 403
    assert (await browser.post("/admin/logout", csrf=False)).status == 403
    other = await browser.client.post(f"/admin/api/preview/{ANSWER}", data=fields)
    assert other.status == 403
    assert "v2" not in await (await browser.get(f"/admin/item/{ANSWER}")).text()
    assert answer_text(browser_url(browser)) == before
    # the same request with the session's token goes through
    assert (await browser.post(f"/admin/item/{ANSWER}/save", fields)).status == 303


async def test_editor_submits_reviewer_publishes_and_the_next_answer_uses_it(
    browser: StaffBrowser,
) -> None:
    url = browser_url(browser)
    old = answer_text(url)
    await browser.login("ann")
    preview = await browser.client.post(
        f"/admin/api/preview/{ANSWER}",
        headers={"X-CSRF-Token": browser.csrf},
        data={
            **form_of(await (await browser.get(f"/admin/item/{ANSWER}")).text()),
            "text": NEW_TEXT,
        },
    )
    shown = await preview.json()
    assert (
        shown["error"] == "" and shown["text"].startswith(NEW_TEXT) and "Sources:" in shown["text"]
    )
    assert answer_text(url) == old  # previewing changes nothing
    assert await edit(browser, ANSWER, NEW_TEXT) == 303
    assert (
        await browser.post(f"/admin/item/{ANSWER}/publish")
    ).status == 403  # editors cannot publish
    assert answer_text(url) == old  # in review: patients still get the published text

    await browser.login("rita")
    queue = await (await browser.get("/admin/review")).text()
    assert ANSWER in queue and "ann" in queue
    page = await (await browser.get(f"/admin/item/{ANSWER}")).text()
    assert "+text: " + NEW_TEXT[:40] in html.unescape(
        page
    )  # the diff against the published version
    assert (await browser.post(f"/admin/item/{ANSWER}/publish")).status == 303
    assert answer_text(url).startswith(NEW_TEXT)
    assert shown["text"] == answer_text(url)  # the preview was the exact reply

    history = await (await browser.get(f"/admin/item/{ANSWER}")).text()
    assert "published by rita" in history and "by ann" in history
    assert (await browser.post(f"/admin/item/{ANSWER}/rollback", {"version": "1"})).status == 303
    assert answer_text(url) == old
    with session_scope(url) as session:
        actions = {(e.action, e.username) for e in session.execute(select(AuditEvent)).scalars()}
    assert {
        ("submit", "ann"),
        ("publish", "rita"),
        ("rollback", "rita"),
        ("login", "ann"),
    } <= actions


async def test_nobody_publishes_their_own_change(browser: StaffBrowser) -> None:
    await browser.login("rita")
    assert await edit(browser, ANSWER, NEW_TEXT) == 303
    page = await (await browser.get(f"/admin/item/{ANSWER}")).text()
    assert "someone else must review it" in page
    response = await browser.post(f"/admin/item/{ANSWER}/publish")
    assert response.status == 400 and "other than the author" in await response.text()
    assert not answer_text(browser_url(browser)).startswith(NEW_TEXT)
    await browser.login("rob")
    response = await browser.post(f"/admin/item/{ANSWER}/reject", {"comment": ""})
    assert response.status == 400  # sending back needs a comment
    assert (
        await browser.post(f"/admin/item/{ANSWER}/reject", {"comment": "cite the guideline"})
    ).status == 303
    page = await (await browser.get(f"/admin/item/{ANSWER}")).text()
    assert "rejected: cite the guideline" in page


async def test_staff_markup_is_shown_as_text_in_every_admin_page(browser: StaffBrowser) -> None:
    await browser.login("ann")
    assert await edit(browser, ANSWER, XSS) == 303
    for path in (f"/admin/item/{ANSWER}", "/admin/?q=pnsInjected", "/admin/review"):
        await browser.login("rita" if path == "/admin/review" else "ann")
        page = await (await browser.get(path)).text()
        assert "<script>window.pnsInjected" not in page and "<img src=x" not in page, path
        assert "&lt;script&gt;window.pnsInjected" in page or path == "/admin/review", path
    response = await browser.get(f"/admin/item/{ANSWER}")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


async def test_only_admins_manage_users_centre_and_settings(browser: StaffBrowser) -> None:
    url = browser_url(browser)
    await browser.login("ann")
    assert (await browser.get("/admin/users")).status == 403
    assert (await browser.get("/admin/audit")).status == 403
    response = await browser.post(
        "/admin/item/setting:emergency_number/save", {"value": "999", "action": "submit"}
    )
    assert response.status == 403
    await browser.login("root")
    created = await browser.post(
        "/admin/users", {"username": "nina", "role": "editor", "password": PASSWORD}
    )
    assert created.status == 303
    weak = await browser.post(
        "/admin/users", {"username": "zoe", "role": "editor", "password": "short"}
    )
    assert weak.status == 400 and "at least 12" in await weak.text()
    assert (
        await browser.post(
            "/admin/item/setting:emergency_number/save", {"value": "999", "action": "submit"}
        )
    ).status == 303
    audit_page = await (await browser.get("/admin/audit?show=logins")).text()
    assert "login" in audit_page and "root" in audit_page
    await browser.login("rita")  # a reviewer may not publish settings…
    assert (await browser.post("/admin/item/setting:emergency_number/publish")).status == 400
    with session_scope(url) as session:
        accounts.create_user(session, "adam", PASSWORD, "admin", "root")
    await browser.login("adam")  # …another admin does
    assert (await browser.post("/admin/item/setting:emergency_number/publish")).status == 303
    with session_scope(url) as session:
        assert emergency_number(session) == "999"
    assert (await browser.login("nina")).status == 303


async def test_search_finds_synonyms_and_insight_counts_questions(browser: StaffBrowser) -> None:
    url = browser_url(browser)
    with session_scope(url) as session:
        for text in ("Is PNS contagious?", "is pns contagious", "my email is a@b.org"):
            record_unanswered(session, text, "low_confidence")
        record_feedback(session, "ask_tests", [1], [("antibody", "yo")], helpful=False)
        record_feedback(session, "ask_tests", [1], [("antibody", "yo")], helpful=True)
    await browser.login("ann")
    found = await (await browser.get("/admin/?q=PCA-1")).text()
    assert "entity:antibody:yo" in found
    page = html.unescape(await (await browser.get("/admin/insight")).text())
    assert re.search(r"is pns contagious</td><td>2</td>", page, re.I)
    assert "a@b.org" not in page and "[email]" in page
    assert "antibody:yo" in page and "1 (50%)" in page
    model = await (await browser.get("/admin/model")).text()
    assert "not answering" in model  # no Rasa server in this test


# --------------------------------------------------------------------------- languages

RU_TEXT = "Врачи проверяют кровь и спинномозговую жидкость на антинейрональные антитела (правка)."


async def test_an_item_page_shows_both_languages_side_by_side_each_with_its_own_preview(
    browser: StaffBrowser,
) -> None:
    url = browser_url(browser)
    await browser.login("ann")
    page = await (await browser.get(f"/admin/item/{ANSWER}@ru")).text()  # same page either way
    assert 'data-lang="en"' in page and 'data-lang="ru"' in page
    assert page.index('data-lang="en"') < page.index('data-lang="ru"')
    english, russian = form_of(page, "en"), form_of(page, "ru")
    assert set(english) == {"text", "sources"} and set(russian) == {"text"}
    assert russian["text"] == answer_text(url, lang="ru").split("\n\nИсточники:")[0]
    assert f'data-preview-url="/admin/api/preview/{ANSWER}@ru"' in page
    preview = await browser.client.post(
        f"/admin/api/preview/{ANSWER}@ru",
        headers={"X-CSRF-Token": browser.csrf},
        data={**russian, "text": RU_TEXT},
    )
    shown = await preview.json()
    # the bot's own composer in Russian: the new text, the Russian sources label, no English
    assert shown["error"] == "" and shown["text"].startswith(RU_TEXT)
    assert "Источники:" in shown["text"] and "Sources" not in shown["text"]
    assert answer_text(url, lang="ru") != shown["text"]  # nothing saved

    # the Russian version is drafted, reviewed and published on its own
    assert await edit(browser, f"{ANSWER}@ru", RU_TEXT) == 303
    await browser.login("rita")
    page = await (await browser.get(f"/admin/item/{ANSWER}")).text()
    assert "+text: " + RU_TEXT[:30] in html.unescape(page)
    assert (await browser.post(f"/admin/item/{ANSWER}@ru/publish")).status == 303
    assert answer_text(url, lang="ru").startswith(RU_TEXT)
    assert not answer_text(url, lang="en").startswith(RU_TEXT)
    assert shown["text"] == answer_text(url, lang="ru")
    items = await (await browser.get("/admin/?lang=ru&type=answer")).text()
    assert f"{ANSWER}@ru" in items and f">{ANSWER}<" not in items


async def test_admin_labels_are_russian_by_default_and_english_on_request(
    browser: StaffBrowser,
) -> None:
    browser.lang = None  # a browser that never chose
    login = await (await browser.client.get("/admin/login")).text()
    assert '<html lang="ru">' in login and "Имя пользователя" in login and "Войти" in login
    assert "User name" not in login
    await browser.login("ann")
    page = await (await browser.get(f"/admin/item/{ANSWER}")).text()
    for label in ("Материалы", "Сохранить и отправить на проверку", "Что отправит бот", "История"):
        assert label in page, label
    assert "Save draft" not in page
    # the switch: a link that keeps the page, also before login
    switched = await browser.get(f"/admin/lang/en?next=/admin/item/{ANSWER}")
    assert switched.status == 303 and switched.headers["Location"] == f"/admin/item/{ANSWER}"
    page = await (await browser.get(f"/admin/item/{ANSWER}")).text()
    assert '<html lang="en">' in page and "Save and submit for review" in page
    assert "Сохранить черновик" not in page
    away = await browser.get("/admin/lang/ru?next=https://evil.example/")
    assert away.headers["Location"] == "/admin/"  # never a redirect off the admin
    assert "Материалы" in await (await browser.get("/admin/")).text()


def test_the_admin_catalogues_have_the_same_keys_and_every_label_used_exists() -> None:
    from bot.web.admin import i18n

    english, russian = i18n.catalogue("en"), i18n.catalogue("ru")
    assert english.keys() == russian.keys()
    for key in english:
        assert set(re.findall(r"{(\w+)}", english[key])) == set(
            re.findall(r"{(\w+)}", russian[key])
        ), key
    templates = Path(ROOT / "bot" / "web" / "templates" / "admin")
    used = {
        k for f in templates.glob("*.html") for k in re.findall(r't\("([\w.]+\w)"', f.read_text())
    }
    assert used and used <= english.keys(), used - english.keys()
    from kb.payloads import ALL_FIELDS

    assert {f"field.{name}" for name in ALL_FIELDS} <= english.keys()


async def test_insight_shows_the_language_of_each_question_and_feedback(
    browser: StaffBrowser,
) -> None:
    url = browser_url(browser)
    with session_scope(url) as session:
        record_unanswered(session, "ПНС заразны?", "no_answer", lang="ru")
        record_unanswered(session, "is pns contagious", "no_answer", lang="en")
        record_unanswered(session, "old question", "no_answer")  # before languages
        record_feedback(session, "ask_tests", [1], [], helpful=False, lang="ru")
        record_feedback(session, "ask_tests", [1], [], helpful=False, lang="en")
    await browser.login("ann")
    page = html.unescape(await (await browser.get("/admin/insight")).text())
    assert re.search(r'question-lang">ru</td><td lang="ru">ПНС заразны\?</td>', page)
    assert re.search(r'question-lang">en</td><td lang="en">is pns contagious</td>', page)
    assert re.search(r'question-lang">\?</td><td>old question</td>', page)
    assert sorted(re.findall(r'feedback-lang">(\w+)</td><td>ask_tests', page)) == ["en", "ru"]
