"""The clinic page and its chat widget in a real browser (Debian's Chromium, headless,
driven by Playwright), against the page and servers `python -m bot run` started.

Chromium comes from the system (Debian's `chromium`; `make test` installs it when it is
missing, tools/system_deps.py): Playwright's own browser download is neither needed nor
possible here.
Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.integration.conftest import OVERVIEW_QUESTION, Channels
from tests.integration.running import ROOT

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
# Headless, as root in a container, on a machine whose outside network is closed: without
# the background-networking flags Chromium keeps trying (and failing) to reach Google.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE = ROOT / "bot" / "web" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
REPLY_TIMEOUT_MS = 60_000
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: python3 tools/system_deps.py test installs it")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture()
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile per test (its own sessionStorage). ``bypass_csp`` only so
    the test can inject axe-core; the page's own scripts never need it."""
    fresh = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    yield fresh
    fresh.close()


@pytest.fixture()
def page(context: BrowserContext, channels: Channels) -> Page:
    opened = context.new_page()
    opened.set_default_timeout(REPLY_TIMEOUT_MS)
    opened.goto(channels.assistant.web_url + "/")
    return opened


def bot_messages(page: Page) -> Any:
    return page.locator(".pns-msg-bot .pns-msg-text")


def ask(page: Page, text: str) -> None:
    page.get_by_label("Your question").fill(text)
    page.get_by_label("Your question").press("Enter")


def open_chat(page: Page) -> None:
    page.get_by_role("button", name="Chat with the PNS Assistant").click()
    expect(bot_messages(page).first).to_contain_text("automated assistant")


def serious_violations(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_page_is_served_with_local_scripts_and_a_strict_policy(channels: Channels) -> None:
    with urllib.request.urlopen(channels.assistant.web_url + "/", timeout=10) as response:
        html, csp = response.read().decode(), response.headers["Content-Security-Policy"]
    assert "Center for Neuromuscular Pathology" in html and 'role="log"' in html
    assert f'data-socket-url="{channels.assistant.base}"' in html
    assert re.findall(r'<script src="([^"]+)"', html) == [
        "/vendor/socket.io.min.js",
        "/static/chat.js",
    ]
    assert "script-src 'self'" in csp and f"connect-src 'self' {channels.assistant.base}" in csp
    with urllib.request.urlopen(
        channels.assistant.web_url + "/vendor/socket.io.min.js", timeout=10
    ) as response:
        assert response.status == 200 and "javascript" in response.headers["Content-Type"]
    for missing in ("/vendor/axe.min.js", "/static/../server.py", "/static/"):
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(channels.assistant.web_url + missing, timeout=10)
        assert error.value.code in (403, 404)


def test_run_prints_the_page_address(channels: Channels) -> None:
    assert f"web page:  {channels.assistant.web_url}/" in channels.assistant.log.read_text()


def test_conversation_with_buttons_survives_a_reload(page: Page) -> None:
    open_chat(page)
    first = bot_messages(page).first.text_content() or ""
    assert "automated assistant" in first and "cannot diagnose" in first

    ask(page, "what is anti-Yo?")
    expect(page.locator(".pns-msg-user").last).to_contain_text("what is anti-Yo?")
    expect(page.locator(".pns-msg-bot", has_text="Was this helpful?")).to_be_visible()
    assert "cancer" in " ".join(bot_messages(page).all_text_contents()).lower()

    ask(page, "should I see a doctor?")
    expect(bot_messages(page).last).to_contain_text("diagnosed with cancer")
    replies = page.locator(".pns-msg-bot").last.get_by_role("button")
    expect(replies).to_have_text(["Yes", "No", "I don't know"])
    # buttons answer the latest question only: the feedback buttons went when a question was typed
    expect(
        page.locator(".pns-msg-bot", has_text="Was this helpful?").get_by_role("button")
    ).to_have_count(0)
    replies.get_by_text("No", exact=True).click()
    expect(page.locator(".pns-msg-user").last).to_have_text(re.compile(r"No$"))
    expect(bot_messages(page).last).to_contain_text("neurological symptoms")
    before = page.locator(".pns-msg").all_text_contents()
    session = page.evaluate("JSON.parse(sessionStorage.getItem('pns-chat-v1')).sessionId")

    page.reload()
    expect(page.get_by_role("log")).to_be_visible()  # the chat stays open
    assert page.locator(".pns-msg").all_text_contents() == before
    assert page.evaluate("JSON.parse(sessionStorage.getItem('pns-chat-v1')).sessionId") == session
    # the same conversation goes on: the form asks its last question after "yes"
    page.locator(".pns-msg-bot").last.get_by_role("button", name="Yes", exact=True).click()
    expect(bot_messages(page).last).to_contain_text("antineuronal antibodies")
    disclosures = [
        t for t in bot_messages(page).all_text_contents() if "cannot diagnose anyone" in t
    ]
    assert len(disclosures) == 1

    ARTIFACTS.mkdir(exist_ok=True)
    page.mouse.move(0, 0)  # no hover highlight in the picture
    page.screenshot(path=str(ARTIFACTS / "web-chat.png"))


def test_keyboard_alone_opens_the_chat_answers_with_a_button_and_closes_it(page: Page) -> None:
    launcher = page.get_by_role("button", name="Chat with the PNS Assistant")
    for _ in range(10):
        page.keyboard.press("Tab")
        if launcher.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("the chat button cannot be reached with Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_label("Your question")).to_be_focused()
    expect(bot_messages(page).first).to_contain_text("automated assistant")
    page.keyboard.type("should I see a doctor?")
    page.keyboard.press("Enter")
    expect(page.locator(".pns-reply")).to_have_count(3)
    page.keyboard.press("Shift+Tab")  # from the input back to the last button, "I don't know"
    page.keyboard.press("Shift+Tab")
    expect(page.locator(".pns-reply", has_text=re.compile("^No$"))).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".pns-msg-user").last).to_have_text(re.compile(r"No$"))
    expect(page.get_by_label("Your question")).to_be_focused()
    expect(bot_messages(page).last).to_contain_text("neurological symptoms")
    page.keyboard.press("Escape")
    expect(page.get_by_role("log")).to_be_hidden()
    expect(launcher).to_be_focused()


def test_accessibility_check_finds_no_serious_violations(page: Page) -> None:
    assert serious_violations(page) == []  # the page with the chat closed
    open_chat(page)
    ask(page, "should I see a doctor?")
    expect(page.locator(".pns-reply")).to_have_count(3)
    log = page.get_by_role("log")
    assert log.get_attribute("aria-live") == "polite"
    assert serious_violations(page) == []  # open, with a conversation and answer buttons


def test_staff_markup_shows_as_text_and_links_open_safely(
    page: Page, staff_markup_answer: str
) -> None:
    open_chat(page)
    ask(page, OVERVIEW_QUESTION)
    message = page.locator(".pns-msg-bot", has_text="Edited by staff")
    expect(message).to_be_visible()
    assert "<script>window.pnsInjected = 2</script>" in (message.text_content() or "")
    assert message.locator("script, img, b").count() == 0
    assert page.evaluate("window.pnsInjected") is None
    link = message.get_by_role("link")
    expect(link).to_have_attribute("href", "https://example.org/pns-info")
    expect(link).to_have_attribute("target", "_blank")
    assert set((link.get_attribute("rel") or "").split()) >= {"noopener", "noreferrer"}


def test_page_opened_as_localhost_reaches_the_assistant_too(
    context: BrowserContext, channels: Channels
) -> None:
    localhost = context.new_page()
    localhost.set_default_timeout(REPLY_TIMEOUT_MS)
    localhost.goto(channels.assistant.web_url.replace("127.0.0.1", "localhost") + "/")
    open_chat(localhost)  # polling from another origin: allowed by the Rasa server's CORS list
