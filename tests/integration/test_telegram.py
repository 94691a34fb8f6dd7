"""Telegram end to end: Telegram's updates in, Bot API calls out, against a fake Bot API.

The assistant runs as `make run` starts it, with Telegram configured from environment
variables; its Bot API calls go to :class:`FakeTelegramApi` on 127.0.0.1.
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

import pytest

from bot.channels.texts import privacy_notice
from kb.answers import compose_answer
from kb.db import session_scope
from tests.integration.conftest import OVERVIEW_QUESTION, TELEGRAM_WEBHOOK_URL, Channels
from tests.integration.fake_telegram import Call

pytestmark = pytest.mark.integration

WEBHOOK = "/webhooks/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
_update_ids = itertools.count(1000)


def text_update(chat_id: int, text: str, language_code: str = "en") -> dict[str, Any]:
    """A private-chat text message, as Telegram posts it (from a user with that language)."""
    return {
        "update_id": next(_update_ids),
        "message": {
            "message_id": next(_update_ids),
            "date": int(time.time()),
            "text": text,
            "chat": {"id": chat_id, "type": "private", "first_name": "Test"},
            "from": {
                "id": chat_id,
                "is_bot": False,
                "first_name": "Test",
                "language_code": language_code,
            },
        },
    }


def button_update(chat_id: int, data: str, query_id: str) -> dict[str, Any]:
    """A press on an inline keyboard button, as Telegram posts it."""
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": query_id,
            "data": data,
            "chat_instance": "1",
            "from": {"id": chat_id, "is_bot": False, "first_name": "Test", "language_code": "en"},
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
            },
        },
    }


def post(channels: Channels, update: Any, secret: str | None = None) -> tuple[int, Any]:
    headers = {SECRET_HEADER: channels.secret if secret is None else secret}
    return channels.assistant.post_raw(WEBHOOK, json.dumps(update).encode(), headers)


def texts(calls: list[Call]) -> list[str]:
    return [c.params.get("text", "") for c in calls]


def with_keyboard(calls: list[Call]) -> bool:
    return any("reply_markup" in c.params for c in calls)


def test_webhook_is_registered_with_the_secret_at_start(channels: Channels) -> None:
    calls = channels.telegram.wait_for("setWebhook", settle=0)
    assert calls[0].params["url"] == TELEGRAM_WEBHOOK_URL
    assert calls[0].params["secret_token"] == channels.secret


@pytest.mark.parametrize(
    "secret", ["", "wrong-secret", TELEGRAM_WEBHOOK_URL, "integration-secret_012345678"]
)
def test_update_without_the_right_secret_is_refused_and_never_reaches_the_bot(
    channels: Channels, secret: str
) -> None:
    chat_id = 9000 + len(secret)
    headers = {} if not secret else {SECRET_HEADER: secret}
    status, body = channels.assistant.post_raw(
        WEBHOOK, json.dumps(text_update(chat_id, "/start")).encode(), headers
    )
    assert status == 403 and body["error"] == "wrong or missing secret token"
    time.sleep(2)
    assert channels.telegram.recorded("sendMessage", chat_id) == []
    events = channels.assistant.tracker(str(chat_id))["events"]
    assert [e for e in events if e["event"] == "user"] == []


def test_start_command_greets_with_the_disclosure_first(channels: Channels) -> None:
    status, _ = post(channels, text_update(7001, "/start"))
    assert status == 200
    sent = texts(channels.telegram.wait_for("sendMessage", 7001, until=lambda c: len(c) >= 2))
    assert "automated assistant" in sent[0] and "cannot diagnose" in sent[0]
    assert any("How can I help?" in text for text in sent[1:])
    user_events = [e for e in channels.assistant.tracker("7001")["events"] if e["event"] == "user"]
    assert [e["parse_data"]["intent"]["name"] for e in user_events] == ["greet"]


def test_start_ends_with_the_privacy_notice_in_the_users_language(channels: Channels) -> None:
    for chat_id, code, lang in ((7011, "ru", "ru"), (7012, "en-US", "en")):
        update = text_update(chat_id, "/start")
        update["message"]["from"]["language_code"] = code
        assert post(channels, update)[0] == 200
        sent = texts(
            channels.telegram.wait_for("sendMessage", chat_id, until=lambda c: len(c) >= 3)
        )
        assert {"ru": "автоматический помощник", "en": "automated assistant"}[lang] in sent[0]
        assert sent[-1] == privacy_notice(lang)
        (event,) = [
            e for e in channels.assistant.tracker(str(chat_id))["events"] if e["event"] == "user"
        ]
        assert event["metadata"]["lang"] == lang  # the language hint for the Rasa side


def test_the_command_menu_is_registered_in_russian_and_english(channels: Channels) -> None:
    calls = channels.telegram.wait_for("setMyCommands", until=lambda c: len(c) >= 2, settle=0)
    menus = {c.params.get("language_code"): c.params["commands"] for c in calls}
    assert [c["command"] for c in menus[None]] == ["start", "help"]  # the default: Russian
    assert menus[None][0]["description"] == "Начать разговор"
    assert menus["en"][1]["description"] == "What the assistant can do"


def test_question_gets_the_kb_answer_and_buttons_become_an_inline_keyboard(
    channels: Channels,
) -> None:
    chat_id = 7002
    post(channels, text_update(chat_id, "what is anti-Yo?"))
    calls = channels.telegram.wait_for("sendMessage", chat_id, until=with_keyboard)
    with session_scope(channels.assistant.db_url) as session:
        expected = compose_answer(session, "ask_antibodies", [("antibody", "yo")], "en").text
    for paragraph in expected.split("\n\n"):
        assert paragraph in texts(calls)
    assert "cancer" in " ".join(texts(calls)).lower()
    keyboard = next(c.params["reply_markup"] for c in calls if "reply_markup" in c.params)
    rows = keyboard["inline_keyboard"]
    assert [[b["text"] for b in row] for row in rows] == [["Yes"], ["No"]]
    yes = rows[0][0]["callback_data"]
    assert yes == '/give_feedback{"helpful": "yes"}'

    before = len(channels.telegram.recorded("sendMessage", chat_id))
    post(channels, button_update(chat_id, yes, query_id="press-7002"))
    answered = channels.telegram.wait_for(
        "answerCallbackQuery",
        settle=0,
        until=lambda c: any(x.params.get("callback_query_id") == "press-7002" for x in c),
    )
    assert answered
    after = channels.telegram.wait_for("sendMessage", chat_id, until=lambda c: len(c) > before)
    assert "Thank you for your feedback!" in texts(after[before:])


def keyboard_buttons(call: Call) -> dict[str, str]:
    return {
        b["text"]: b["callback_data"]
        for row in call.params["reply_markup"]["inline_keyboard"]
        for b in row
    }


def test_yes_no_question_is_answered_with_a_button(channels: Channels) -> None:
    chat_id = 7003
    post(channels, text_update(chat_id, "should I see a doctor?"))
    calls = channels.telegram.wait_for("sendMessage", chat_id, until=with_keyboard)
    # consent first; in Telegram it says where the messages are kept and what not to send
    consent = next(c for c in calls if "reply_markup" in c.params)
    assert "Telegram keeps messages on its own servers, outside Russia" in consent.params["text"]
    assert "consent" in consent.params["text"]
    agree = {v: k for k, v in keyboard_buttons(consent).items()}["/affirm"]
    assert agree in ("I agree", "Согласен(на)")
    post(channels, button_update(chat_id, "/affirm", query_id="press-7003a"))
    calls = channels.telegram.wait_for(
        "sendMessage",
        chat_id,
        until=lambda c: sum("reply_markup" in x.params for x in c) >= 2,
    )
    question = [c for c in calls if "reply_markup" in c.params][-1]
    assert "diagnosed with cancer" in question.params["text"]
    buttons = keyboard_buttons(question)
    assert buttons == {
        "Yes": "/affirm",
        "No": "/deny",
        "I don't know": '/deny{"answer": "dont_know"}',  # language-neutral payload
    }
    post(channels, button_update(chat_id, buttons["No"], query_id="press-7003"))
    later = channels.telegram.wait_for("sendMessage", chat_id, until=lambda c: len(c) > len(calls))
    assert "neurological symptoms" in later[-1].params["text"]
    assert channels.assistant.tracker(str(chat_id))["slots"]["cancer_history"] is False


def test_staff_markup_is_sent_as_plain_text(channels: Channels, staff_markup_answer: str) -> None:
    chat_id = 7004
    post(channels, text_update(chat_id, OVERVIEW_QUESTION))
    calls = channels.telegram.wait_for(
        "sendMessage", chat_id, until=lambda c: any(staff_markup_answer in t for t in texts(c))
    )
    assert all("parse_mode" not in c.params for c in calls)  # Telegram shows it as typed


def test_malformed_or_oversized_updates_with_the_secret_get_a_4xx(channels: Channels) -> None:
    headers = {SECRET_HEADER: channels.secret}
    status, body = channels.assistant.post_raw(WEBHOOK, b"{not json", headers)
    assert status == 400 and "not valid JSON" in body["error"]
    assert channels.assistant.post_raw(WEBHOOK, b"[1, 2]", headers)[0] == 400
    huge = json.dumps(text_update(7005, "a" * 70_000)).encode()
    assert channels.assistant.post_raw(WEBHOOK, huge, headers)[0] == 413


def test_unknown_update_kinds_are_acknowledged_and_ignored(channels: Channels) -> None:
    status, body = post(
        channels, {"update_id": next(_update_ids), "edited_message": {"chat": {"id": 7006}}}
    )
    assert (status, body) == (200, {"ok": True})
    time.sleep(1)
    assert channels.telegram.recorded("sendMessage", 7006) == []
