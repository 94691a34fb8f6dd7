"""The staff admin on the running assistant, in a real browser (Debian's Chromium via
Playwright, no CSP bypass): an editor changes an answer and submits it, a reviewer approves
it, and the very next bot answer uses the new text — no retraining. Also: markup written by
staff stays inert end to end; a vocabulary change marks the model "needs retraining"; a
rebuild from the page runs the real build and reloads the Rasa server while it serves.

Accounts are created with the command-line tool, as an operator creates the first admin.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.integration.conftest import Channels
from tests.integration.running import ROOT, Assistant
from tests.integration.test_web_chat import ARTIFACTS, ask, bot_messages, browser, open_chat  # noqa: F401

pytestmark = pytest.mark.integration

PASSWORD = "integration passphrase 42"
QUESTION = "how is PNS diagnosed"
NEW_TEXT = "Staff edit: doctors look for antineuronal antibodies in blood and spinal fluid."
XSS = (
    "Staff markup <script>window.pnsInjected = 3</script>"
    '<img src=x onerror="window.pnsInjected = 4"> end.'
)
ANSWER = "answer:ask_tests"
REBUILD_TIMEOUT_MS = 600_000


def admin_cli(
    assistant: Assistant, *args: str, password: str = PASSWORD
) -> subprocess.CompletedProcess:
    env = {**os.environ, "PNS_DATABASE_URL": assistant.db_url, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "bot.web.admin", *args, "--password-stdin"],
        input=password + "\n",
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def staff(channels: Channels) -> Channels:
    for name, role in (("root", "admin"), ("ann", "editor"), ("rita", "reviewer")):
        done = admin_cli(channels.assistant, "create-user", name, "--role", role)
        assert done.returncode == 0, done.stderr
    return channels


@pytest.fixture()
def page(browser: Browser) -> Iterator[Page]:  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(60_000)
    yield opened
    context.close()


def login(page: Page, assistant: Assistant, name: str) -> None:
    page.goto(assistant.web_url + "/admin/")
    expect(page).to_have_url(assistant.web_url + "/admin/login")
    switch = page.get_by_role("link", name="English")
    if switch.count():  # a new browser: the admin speaks Russian until one picks English
        expect(page.get_by_role("button", name="Войти")).to_be_visible()
        switch.click()
        expect(page).to_have_url(assistant.web_url + "/admin/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text(f"{name} (")).to_be_visible()


def logout(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def panel(page: Page, ref: str):
    """The item page's column of the reference's language (English and Russian side by side)."""
    return page.locator(f'.lang-panel[data-lang="{ref.partition("@")[2] or "en"}"]')


def edit_and_submit(page: Page, assistant: Assistant, ref: str, field: str, value: str) -> None:
    login(page, assistant, "ann")
    page.get_by_label("Search").fill(ref.partition("@")[0])
    page.get_by_role("button", name="Show").click()
    page.get_by_role("link", name=ref, exact=True).click()
    column = panel(page, ref)
    column.locator(f"#f-{ref.partition('@')[2] or 'en'}-{field}").fill(value)
    column.get_by_label("Why (for the reviewer)").fill("browser test")
    column.get_by_role("button", name="Save and submit for review").click()
    expect(page.get_by_role("status")).to_contain_text("Submitted for review")
    logout(page)


def approve(page: Page, assistant: Assistant, ref: str, expected_in_diff: str) -> None:
    login(page, assistant, "rita")
    page.get_by_role("navigation").get_by_role("link", name="Review").click()
    page.get_by_role("link", name=ref, exact=True).click()
    expect(panel(page, ref).get_by_test_id("pending-diff")).to_contain_text(expected_in_diff)
    panel(page, ref).get_by_role("button", name="Approve and publish").click()
    expect(page.get_by_role("status")).to_contain_text("Published")


def roll_back_to(page: Page, assistant: Assistant, ref: str, version: int) -> None:
    page.goto(f"{assistant.web_url}/admin/item/{ref}")
    column = panel(page, ref)
    column.locator("summary", has_text=re.compile(rf"^v{version}\s")).click()
    column.get_by_role("button", name=f"Make v{version} live again").click()
    expect(page.get_by_role("status")).to_contain_text("Rolled back")


def test_there_is_no_default_account_and_weak_passwords_are_refused(staff: Channels) -> None:
    assistant = staff.assistant
    weak = admin_cli(assistant, "create-user", "bob", "--role", "admin", password="admin")
    assert weak.returncode == 2 and "at least 12" in weak.stderr
    for path, status in (("/admin/api/model/job", 401), ("/admin/users", 200)):
        try:
            with urllib.request.urlopen(assistant.web_url + path, timeout=10) as response:
                assert response.status == status and response.url.endswith(
                    "/admin/login"
                )  # redirected
        except urllib.error.HTTPError as error:
            assert error.code == status
    assert "staff:     " + assistant.web_url + "/admin/" in assistant.log.read_text()


def answer_ref(assistant: Assistant) -> str:
    """The language version of the answer the bot gives to QUESTION (the conversation's
    language decides: Russian unless the channel or the text says English)."""
    reply = assistant.say(QUESTION, sender="admin-e2e-language")
    return f"{ANSWER}@ru" if re.search("[а-яё]", reply.lower()) else ANSWER


def test_editor_changes_reviewer_approves_and_the_next_answer_uses_it(
    staff: Channels, page: Page
) -> None:
    assistant = staff.assistant
    before = assistant.say(QUESTION, sender="admin-e2e-before")
    assert NEW_TEXT not in before
    ref = answer_ref(assistant)
    lang = ref.partition("@")[2] or "en"

    login(page, assistant, "ann")
    page.goto(f"{assistant.web_url}/admin/item/{ref}")
    expect(page.locator(".lang-panel")).to_have_count(2)  # English and Russian side by side
    panel(page, ref).locator(f"#f-{lang}-text").fill(NEW_TEXT)
    expect(panel(page, ref).get_by_test_id("preview")).to_contain_text(
        NEW_TEXT
    )  # live preview of the exact reply, in that language
    page.screenshot(path=str(ARTIFACTS / "admin-preview.png"), full_page=True)
    assert NEW_TEXT not in assistant.say(
        QUESTION, sender="admin-e2e-preview"
    )  # a preview is not published
    logout(page)

    edit_and_submit(page, assistant, ref, "text", NEW_TEXT)
    assert NEW_TEXT not in assistant.say(QUESTION, sender="admin-e2e-in-review")
    approve(page, assistant, ref, NEW_TEXT)
    page.screenshot(path=str(ARTIFACTS / "admin-published.png"), full_page=True)
    reply = assistant.say(QUESTION, sender="admin-e2e-after")
    assert reply.startswith(NEW_TEXT) or f"\n\n{NEW_TEXT}" in reply

    roll_back_to(page, assistant, ref, 1)
    assert NEW_TEXT not in assistant.say(QUESTION, sender="admin-e2e-rolled-back")


def test_staff_markup_is_inert_in_the_admin_the_bot_and_the_widget(
    staff: Channels, page: Page
) -> None:
    assistant = staff.assistant
    ref = answer_ref(assistant)
    edit_and_submit(page, assistant, ref, "text", XSS)
    approve(page, assistant, ref, "<script>window.pnsInjected = 3</script>")
    page.goto(f"{assistant.web_url}/admin/item/{ref}")
    expect(page.locator("pre", has_text="window.pnsInjected = 3").first).to_be_visible()
    assert page.evaluate("window.pnsInjected") is None

    assert "<script>window.pnsInjected = 3</script>" in assistant.say(
        QUESTION, sender="admin-xss"
    )  # plain text

    page.goto(assistant.web_url + "/")
    open_chat(page)
    ask(page, QUESTION)
    message = bot_messages(page).filter(has_text="Staff markup")
    expect(message).to_contain_text("<script>window.pnsInjected = 3</script>")
    assert page.evaluate("window.pnsInjected") is None
    assert message.locator("script, img").count() == 0

    roll_back_to(page, assistant, ref, 1)


def test_a_new_synonym_needs_retraining_and_a_rebuild_reloads_while_serving(
    staff: Channels, page: Page
) -> None:
    assistant = staff.assistant
    ref = "entity:antibody:yo"
    login(page, assistant, "rita")
    page.goto(assistant.web_url + "/admin/model")
    expect(page.get_by_test_id("model-state")).to_contain_text("up to date")
    logout(page)

    page.goto(assistant.web_url + "/admin/")
    login(page, assistant, "ann")
    page.goto(f"{assistant.web_url}/admin/item/{ref}")
    synonyms = page.locator("#f-en-synonyms")
    synonyms.fill(synonyms.input_value() + "\nyo-test-antibody")
    panel(page, ref).get_by_role("button", name="Save and submit for review").click()
    expect(page.get_by_role("status")).to_contain_text("Submitted for review")
    logout(page)
    approve(page, assistant, ref, "yo-test-antibody")
    expect(page.get_by_role("status")).to_contain_text("rebuild")
    page.goto(assistant.web_url + "/admin/model")
    expect(page.get_by_test_id("model-state")).to_contain_text("needs retraining")

    # undo the vocabulary change, then rebuild: the real build finds the model up to date
    # (no training in every CI run; `make test-rebuild` retrains) and the Rasa server reloads it
    roll_back_to(page, assistant, ref, 1)
    page.goto(assistant.web_url + "/admin/model")
    expect(page.get_by_test_id("model-state")).to_contain_text("up to date")
    page.get_by_role("button", name="Rebuild and reload the model").click()
    expect(page.locator("#job-steps")).to_contain_text("running", timeout=30_000)
    assert re.search(
        "(anti|анти)-yo", assistant.say("what is anti-Yo?", sender="admin-during-rebuild").lower()
    )  # still serving
    expect(page.locator("#job-result")).to_contain_text("is serving", timeout=REBUILD_TIMEOUT_MS)
    expect(page.locator("#job-steps li.step-done")).to_have_count(4)
    assert re.search(
        "(anti|анти)-yo", assistant.say("what is anti-Yo?", sender="admin-after-rebuild").lower()
    )
