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

from actions.language import script_language
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

#: The page in each language: where it is, its labels, what the assistant says, and what a
#: patient types. Russian questions are sent as the intent payloads the Russian sentences
#: mean until the model has Russian training data (branch ru-nlu): RU_NEEDS_MODEL lists the
#: sentences to put back then. Everything the patient reads is checked in the page's language.
UI: dict[str, dict[str, Any]] = {
    "en": {
        "path": "/en/",
        "launcher": "Chat with the PNS Assistant",
        "input": "Your question",
        "disclosure": "automated assistant",
        "no_diagnosis": "cannot diagnose anyone",
        "knowledge_question": "what is anti-Yo?",
        "helpful": "Was this helpful?",
        "doctor_question": "should I see a doctor?",
        "cancer_question": "diagnosed with cancer",
        "buttons": ["Yes", "No", "I don't know"],
        "yes": "Yes",
        "no": "No",
        "symptoms_question": "neurological symptoms",
        "antibodies_question": "antineuronal antibodies",
        "switch": "Русский",
        "changed": "Хорошо, буду отвечать по-русски.",
    },
    "ru": {
        "path": "/",
        "launcher": "Чат с помощником по ПНС",
        "input": "Ваш вопрос",
        "disclosure": "автоматический помощник",
        "no_diagnosis": "не могу никому поставить диагноз",
        "knowledge_question": '/ask_antibodies{"antibody": "yo"}',
        "helpful": "Этот ответ был полезен?",
        "doctor_question": "/ask_should_see_doctor",
        "cancer_question": "онкологического заболевания",
        "buttons": ["Да", "Нет", "Не знаю"],
        "yes": "Да",
        "no": "Нет",
        "symptoms_question": "неврологические симптомы",
        "antibodies_question": "антинейрональные антитела",
        "switch": "English",
        "changed": "All right, I will answer in English.",
    },
}
RU_NEEDS_MODEL = {
    '/ask_antibodies{"antibody": "yo"}': "что такое анти-Yo?",
    "/ask_should_see_doctor": "нужно ли мне идти к врачу?",
}
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


@pytest.fixture(params=list(UI))
def lang(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture()
def ui(lang: str) -> dict[str, Any]:
    return UI[lang]


@pytest.fixture()
def page(context: BrowserContext, channels: Channels, ui: dict[str, Any]) -> Page:
    opened = context.new_page()
    opened.set_default_timeout(REPLY_TIMEOUT_MS)
    opened.goto(channels.assistant.web_url + ui["path"])
    return opened


def bot_messages(page: Page) -> Any:
    return page.locator(".pns-msg-bot .pns-msg-text")


def page_ui(page: Page) -> dict[str, Any]:
    return UI[page.evaluate("document.documentElement.lang")]


def ask(page: Page, text: str) -> None:
    field = page.get_by_label(page_ui(page)["input"])
    field.fill(text)
    field.press("Enter")


def open_chat(page: Page) -> None:
    ui = page_ui(page)
    page.get_by_role("button", name=ui["launcher"]).click()
    expect(bot_messages(page).first).to_contain_text(ui["disclosure"])


def assert_messages_in(page: Page, lang: str) -> None:
    """Every message says the language of its own text (screen readers use it): the
    disclosure, the form's question and the buttons are in the page's language. (KB answers
    are English until branch ru-kb, and are marked "en" then, as they should be.)"""
    spans = page.locator(".pns-msg-bot .pns-msg-text > span[lang]").all()
    for words in spans:
        text = words.text_content() or ""
        assert words.get_attribute("lang") == (script_language(text) or lang), text
    assert spans[0].get_attribute("lang") == spans[-1].get_attribute("lang") == lang
    for button in page.locator(".pns-reply").all():
        assert button.get_attribute("lang") == lang, button.text_content()


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
    with urllib.request.urlopen(channels.assistant.web_url + "/en/", timeout=10) as response:
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


def test_conversation_with_buttons_survives_a_reload(page: Page, lang: str, ui: dict) -> None:
    open_chat(page)
    first = bot_messages(page).first.text_content() or ""
    assert ui["disclosure"] in first and ui["no_diagnosis"] in first

    ask(page, ui["knowledge_question"])
    expect(page.locator(".pns-msg-user").last).to_contain_text(ui["knowledge_question"])
    expect(page.locator(".pns-msg-bot", has_text=ui["helpful"])).to_be_visible()
    if lang == "en":  # Russian KB texts: branch ru-kb
        assert "cancer" in " ".join(bot_messages(page).all_text_contents()).lower()

    ask(page, ui["doctor_question"])
    # the consent question comes before any health question: "I agree" / «Согласен(на)»
    page.locator(".pns-msg-bot").last.get_by_role("button").first.click()
    expect(bot_messages(page).last).to_contain_text(ui["cancer_question"])
    replies = page.locator(".pns-msg-bot").last.get_by_role("button")
    expect(replies).to_have_text(ui["buttons"])
    assert_messages_in(page, lang)
    # buttons answer the latest question only: the feedback buttons went when a question was typed
    expect(
        page.locator(".pns-msg-bot", has_text=ui["helpful"]).get_by_role("button")
    ).to_have_count(0)
    replies.get_by_text(ui["no"], exact=True).click()
    expect(page.locator(".pns-msg-user").last).to_have_text(re.compile(ui["no"] + "$"))
    expect(bot_messages(page).last).to_contain_text(ui["symptoms_question"])
    before = page.locator(".pns-msg").all_text_contents()
    session = page.evaluate("JSON.parse(sessionStorage.getItem('pns-chat-v1')).sessionId")

    page.reload()
    expect(page.get_by_role("log")).to_be_visible()  # the chat stays open
    assert page.locator(".pns-msg").all_text_contents() == before
    assert page.evaluate("JSON.parse(sessionStorage.getItem('pns-chat-v1')).sessionId") == session
    # the same conversation goes on: the form asks its last question after "yes"
    page.locator(".pns-msg-bot").last.get_by_role("button", name=ui["yes"], exact=True).click()
    expect(bot_messages(page).last).to_contain_text(ui["antibodies_question"])
    disclosures = [t for t in bot_messages(page).all_text_contents() if ui["no_diagnosis"] in t]
    assert len(disclosures) == 1
    assert_messages_in(page, lang)

    ARTIFACTS.mkdir(exist_ok=True)
    page.mouse.move(0, 0)  # no hover highlight in the picture
    page.screenshot(path=str(ARTIFACTS / f"web-chat-{lang}.png"))


def test_language_switch_on_the_page_switches_the_conversation(
    page: Page, lang: str, ui: dict
) -> None:
    """The visible link to the other language: the page, its labels and the assistant follow."""
    open_chat(page)
    other = "ru" if lang == "en" else "en"
    page.get_by_role("link", name=ui["switch"]).click()
    expect(page.locator("html")).to_have_attribute("lang", other)
    expect(page.get_by_label(UI[other]["input"])).to_be_visible()  # the chat stays open
    expect(bot_messages(page).last).to_contain_text(ui["changed"])
    assert page.locator(".pns-msg-user").count() == 0  # the switch is not shown as typed text
    first = page.locator(".pns-msg-bot .pns-msg-text > span[lang]").first
    assert first.get_attribute("lang") == lang  # earlier messages keep their own language
    assert (
        page.locator(".pns-msg-bot .pns-msg-text > span[lang]").last.get_attribute("lang") == other
    )


def test_keyboard_alone_opens_the_chat_answers_with_a_button_and_closes_it(
    page: Page, ui: dict
) -> None:
    launcher = page.get_by_role("button", name=ui["launcher"])
    for _ in range(12):
        page.keyboard.press("Tab")
        if launcher.evaluate("el => el === document.activeElement"):
            break
    else:
        pytest.fail("the chat button cannot be reached with Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_label(ui["input"])).to_be_focused()
    expect(bot_messages(page).first).to_contain_text(ui["disclosure"])
    page.keyboard.type(ui["doctor_question"])
    page.keyboard.press("Enter")
    expect(page.locator(".pns-reply")).to_have_count(2)  # consent: agree / no, thanks
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # agree
    expect(page.locator(".pns-reply")).to_have_count(3)
    page.keyboard.press("Shift+Tab")  # from the input back to the last button, "I don't know"
    page.keyboard.press("Shift+Tab")
    expect(page.locator(".pns-reply", has_text=re.compile(f"^{ui['no']}$"))).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".pns-msg-user").last).to_have_text(re.compile(ui["no"] + "$"))
    expect(page.get_by_label(ui["input"])).to_be_focused()
    expect(bot_messages(page).last).to_contain_text(ui["symptoms_question"])
    page.keyboard.press("Escape")
    expect(page.get_by_role("log")).to_be_hidden()
    expect(launcher).to_be_focused()


def test_accessibility_check_finds_no_serious_violations(page: Page, ui: dict) -> None:
    assert serious_violations(page) == []  # the page with the chat closed
    open_chat(page)
    ask(page, ui["doctor_question"])
    expect(page.locator(".pns-reply")).to_have_count(2)  # the consent buttons
    log = page.get_by_role("log")
    assert log.get_attribute("aria-live") == "polite"
    assert serious_violations(page) == []  # open, with a conversation and answer buttons


@pytest.mark.parametrize("lang", ["en"])
def test_delete_button_erases_the_conversation(page: Page) -> None:
    open_chat(page)
    ask(page, "my name is Anna, what is LEMS?")
    expect(page.locator(".pns-msg-bot", has_text="Was this helpful?")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete my conversation").click()
    expect(bot_messages(page).last).to_contain_text(re.compile("deleted|удалён"))
    texts = " ".join(page.locator(".pns-msg").all_text_contents())
    assert "Anna" not in texts  # the tab forgot its copy too
    stored = page.evaluate("sessionStorage.getItem('pns-chat-v1')")
    assert "Anna" not in stored


@pytest.mark.parametrize("lang", ["en"])  # the staff text is English until ru-kb
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
    localhost.goto(channels.assistant.web_url.replace("127.0.0.1", "localhost") + "/en/")
    open_chat(localhost)  # polling from another origin: allowed by the Rasa server's CORS list
