"""MAX end to end: MAX's updates in, Bot API calls out, against a fake MAX Bot API.

The assistant runs as `make run` starts it, with MAX configured from environment variables
(tests/integration/conftest.py); its Bot API calls go to :class:`FakeMaxApi` on 127.0.0.1,
written from the public documentation. The Rasa and action servers are the real ones.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from bot.channels.texts import TOO_LONG, UNAVAILABLE, privacy_notice
from tests.integration.conftest import MAX_SECRET, MAX_WEBHOOK_URL, OVERVIEW_QUESTION, Channels
from tests.integration.fake_api import Call
from tests.integration.fake_max import bot_started, message_callback, message_created

pytestmark = pytest.mark.integration

WEBHOOK = "/webhooks/max/webhook"
SECRET_HEADER = "X-Max-Bot-Api-Secret"


def post(channels: Channels, update: Any, secret: str | None = MAX_SECRET) -> tuple[int, Any]:
    headers = {} if secret is None else {SECRET_HEADER: secret}
    return channels.assistant.post_raw(WEBHOOK, json.dumps(update).encode(), headers)


def texts(calls: list[Call]) -> list[str]:
    return [c.body["text"] for c in calls]


def keyboard_of(call: Call) -> list[list[dict[str, Any]]]:
    (attachment,) = call.body["attachments"]
    assert attachment["type"] == "inline_keyboard"
    return attachment["payload"]["buttons"]


def with_keyboard(calls: list[Call]) -> bool:
    return any("attachments" in c.body for c in calls)


def settled_slots(channels: Channels, sender: str, slot: str) -> dict[str, Any]:
    """The conversation's slots once ``slot`` is set: Rasa stores the turn after the last of
    its messages has gone out, so the tracker lags the messages a little."""
    deadline = time.monotonic() + 30
    while True:
        slots = channels.assistant.tracker(sender)["slots"]
        if slots.get(slot) is not None or time.monotonic() > deadline:
            return slots
        time.sleep(0.5)


def user_events(channels: Channels, user_id: int) -> list[dict[str, Any]]:
    events = channels.assistant.tracker(f"max-{user_id}")["events"]
    return [e for e in events if e["event"] == "user"]


def test_webhook_is_subscribed_with_the_secret_at_start(channels: Channels) -> None:
    (call,) = channels.max.wait_for("POST /subscriptions", settle=0)
    assert call.body["url"] == MAX_WEBHOOK_URL
    assert call.body["secret"] == MAX_SECRET
    assert set(call.body["update_types"]) == {"bot_started", "message_created", "message_callback"}


@pytest.mark.parametrize("secret", [None, "", "wrong", MAX_SECRET[:-1], MAX_SECRET + "x"])
def test_update_without_the_right_secret_is_refused_and_never_reaches_the_bot(
    channels: Channels, secret: str | None
) -> None:
    user_id = 8100 + len(secret or "")
    status, body = post(channels, message_created(user_id, "what is LEMS?"), secret)
    assert status == 403 and body["error"] == "wrong or missing secret"
    time.sleep(2)
    assert channels.max.sent_to(user_id) == []
    assert user_events(channels, user_id) == []


def test_the_secret_is_checked_before_the_body_is_read(channels: Channels) -> None:
    huge = b'{"update_type": "message_created", "pad": "' + b"a" * 200_000 + b'"}'
    status, _ = channels.assistant.post_raw(WEBHOOK, huge, {SECRET_HEADER: "wrong"})
    assert status == 403  # not 413: the body was never looked at


def test_start_greets_with_the_disclosure_then_the_privacy_notice(channels: Channels) -> None:
    user_id = 8201
    assert post(channels, bot_started(user_id, locale="en"))[0] == 200
    sent = texts(
        channels.max.wait_for(
            "POST /messages", lambda c: c.params["user_id"] == "8201", until=lambda c: len(c) >= 3
        )
    )
    assert "automated assistant" in sent[0] and "cannot diagnose" in sent[0]
    assert any("How can I help?" in t for t in sent[1:-1])
    assert sent[-1] == privacy_notice("en")
    (event,) = user_events(channels, user_id)
    assert event["parse_data"]["intent"]["name"] == "greet"
    assert event["metadata"]["lang"] == "en"


def test_a_russian_users_welcome_has_the_russian_privacy_notice(channels: Channels) -> None:
    user_id = 8202
    post(channels, bot_started(user_id, locale="ru-RU"))
    sent = texts(
        channels.max.wait_for(
            "POST /messages", lambda c: c.params["user_id"] == "8202", until=lambda c: len(c) >= 3
        )
    )
    assert sent[-1] == privacy_notice("ru") and "номер телефона" in sent[-1]
    assert user_events(channels, user_id)[0]["metadata"]["lang"] == "ru"


def test_a_whole_conversation_with_the_referral_assessment_by_buttons(channels: Channels) -> None:
    user_id = 8300

    def sent(count: int) -> list[Call]:
        return channels.max.wait_for(
            "POST /messages",
            lambda c: c.params["user_id"] == str(user_id),
            until=lambda c: len(c) >= count,
        )

    post(channels, bot_started(user_id))
    start = sent(3)
    post(channels, message_created(user_id, "what is anti-Yo?"))
    answer = channels.max.wait_for(
        "POST /messages",
        lambda c: c.params["user_id"] == str(user_id),
        until=lambda c: with_keyboard(c[len(start) :]),
    )
    assert "cancer" in " ".join(texts(answer[len(start) :])).lower()
    feedback = next(c for c in answer[len(start) :] if "attachments" in c.body)
    assert [[b["text"] for b in row] for row in keyboard_of(feedback)] == [["Yes"], ["No"]]
    helpful = keyboard_of(feedback)[0][0]["payload"]
    assert helpful == '/give_feedback{"helpful": "yes"}'

    post(channels, message_callback(user_id, helpful, "cb-8300-0"))
    thanked = channels.max.wait_for(
        "POST /messages",
        lambda c: c.params["user_id"] == str(user_id),
        until=lambda c: "Thank you for your feedback!" in " ".join(texts(c[len(answer) :])),
    )

    post(channels, message_created(user_id, "should I see a doctor?"))
    asked = channels.max.wait_for(
        "POST /messages",
        lambda c: c.params["user_id"] == str(user_id),
        until=lambda c: with_keyboard(c[len(thanked) :]),
    )
    consent = next(c for c in asked[len(thanked) :] if "attachments" in c.body)
    assert "consent" in consent.body["text"]  # asked before any health question
    agree = {b["text"]: b for row in keyboard_of(consent) for b in row}["I agree"]
    post(channels, message_callback(user_id, agree["payload"], "cb-8300-consent"))
    asked = channels.max.wait_for(
        "POST /messages",
        lambda c: c.params["user_id"] == str(user_id),
        until=lambda c: "diagnosed with cancer" in " ".join(texts(c[len(asked) :])),
    )
    question = next(c for c in reversed(asked) if "attachments" in c.body)
    assert "diagnosed with cancer" in question.body["text"]
    buttons = {b["text"]: b for row in keyboard_of(question) for b in row}
    assert set(buttons) == {"Yes", "No", "I don't know"}
    assert all(b["type"] == "callback" for b in buttons.values())

    post(channels, message_callback(user_id, buttons["Yes"]["payload"], "cb-8300-1"))
    channels.max.wait_for(
        "POST /answers", lambda c: c.params["callback_id"] == "cb-8300-1", settle=0
    )
    symptoms = channels.max.wait_for(
        "POST /messages",
        lambda c: c.params["user_id"] == str(user_id),
        until=lambda c: with_keyboard(c[len(asked) :]),
    )
    second = next(c for c in symptoms[len(asked) :] if "attachments" in c.body)
    assert "neurological symptoms" in second.body["text"].lower()
    yes = next(b for row in keyboard_of(second) for b in row if b["text"] == "Yes")

    post(channels, message_callback(user_id, yes["payload"], "cb-8300-2"))
    advice = channels.max.wait_for(
        "POST /messages",
        lambda c: c.params["user_id"] == str(user_id),
        until=lambda c: any("Neuromuscular Pathology" in t for t in texts(c[len(symptoms) :])),
    )
    said = " ".join(texts(advice[len(symptoms) :]))
    assert "Only a doctor can make a diagnosis" in said
    slots = settled_slots(channels, f"max-{user_id}", "referral_advice")
    assert slots["cancer_history"] is True
    assert slots["referral_advice"] == "neuromuscular_centre"
    pressed = [e["text"] for e in user_events(channels, user_id)]
    assert pressed.count("/affirm") == 3  # consent + two answers: the payloads reached Rasa
    assert all("format" not in c.body for c in advice)  # plain text only


def test_staff_markup_is_sent_as_plain_text(channels: Channels, staff_markup_answer: str) -> None:
    user_id = 8301
    post(channels, message_created(user_id, OVERVIEW_QUESTION))
    calls = channels.max.wait_for(
        "POST /messages",
        lambda c: c.params["user_id"] == str(user_id),
        until=lambda c: any(staff_markup_answer in t for t in texts(c)),
    )
    assert all("format" not in c.body for c in calls)


def test_a_redelivered_update_is_answered_once(channels: Channels) -> None:
    user_id = 8400
    update = message_created(user_id, "what is LEMS?", mid="mid.retry.1")
    for _ in range(3):
        assert post(channels, update)[0] == 200
    calls = channels.max.wait_for(
        "POST /messages", lambda c: c.params["user_id"] == str(user_id), settle=0
    )
    deadline = time.monotonic() + 60
    while not user_events(channels, user_id) and time.monotonic() < deadline:
        time.sleep(0.5)  # Rasa stores the turn after its last message went out
    time.sleep(3)
    assert len(user_events(channels, user_id)) == 1
    press = message_callback(user_id, "/deny", "cb-8400")
    post(channels, press)
    post(channels, press)
    channels.max.wait_for("POST /answers", lambda c: c.params["callback_id"] == "cb-8400", settle=0)
    deadline = time.monotonic() + 60
    while len(user_events(channels, user_id)) < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(3)
    assert (
        len(channels.max.recorded("POST /answers", lambda c: c.params["callback_id"] == "cb-8400"))
        == 1
    )
    assert len(user_events(channels, user_id)) == 2
    assert calls


@pytest.mark.parametrize(
    "update",
    [
        {"update_type": "message_edited", "timestamp": 1, "message": {"body": {"text": "x"}}},
        {"update_type": "bot_added", "timestamp": 1, "chat_id": 1, "user": {"user_id": 8501}},
        {"update_type": "dialog_muted", "timestamp": 1},
        {"update_type": "something_new", "timestamp": 1},
        message_created(8501, "hello in a group", chat_type="chat"),
    ],
    ids=["edited", "bot_added", "muted", "unknown", "group chat"],
)
def test_other_updates_are_acknowledged_and_ignored(channels: Channels, update: dict) -> None:
    assert post(channels, update) == (200, {"ok": True})
    time.sleep(1)
    assert channels.max.sent_to(8501) == []


def test_a_slow_api_does_not_hold_up_the_webhook_and_the_answer_still_arrives(
    channels: Channels,
) -> None:
    user_id = 8600
    channels.max.trouble.delay = 3.0
    try:
        started = time.monotonic()
        assert post(channels, message_created(user_id, "what is LEMS?"))[0] == 200
        assert time.monotonic() - started < 2.0  # acknowledged before any message went out
        calls = channels.max.wait_for(
            "POST /messages",
            lambda c: c.params["user_id"] == str(user_id),
            until=lambda c: "Lambert" in " ".join(texts(c)),
            timeout=120,
        )
        assert "automated assistant" in texts(calls)[0]  # in order, nothing lost
    finally:
        channels.max.trouble.delay = 0.0


def test_a_failing_api_is_survived_and_the_next_message_is_answered(channels: Channels) -> None:
    user_id = 8601
    channels.max.trouble.fail = 50  # every send of this turn fails (HTTP 503)
    try:
        assert post(channels, message_created(user_id, "what is LEMS?"))[0] == 200
        deadline = time.monotonic() + 60
        while not user_events(channels, user_id) and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(3)
    finally:
        channels.max.trouble.fail = 0
    assert channels.max.sent_to(user_id) == []
    assert post(channels, message_created(user_id, "what is anti-Yo?"))[0] == 200
    calls = channels.max.wait_for("POST /messages", lambda c: c.params["user_id"] == str(user_id))
    assert "cancer" in " ".join(texts(calls)).lower()


def test_an_over_long_message_is_explained_in_the_users_language(channels: Channels) -> None:
    user_id = 8700
    post(channels, message_created(user_id, "я" * 2001, locale=None))
    (call,) = channels.max.wait_for("POST /messages", lambda c: c.params["user_id"] == str(user_id))
    assert call.body["text"] == TOO_LONG["ru"]
    assert user_events(channels, user_id) == []
    assert UNAVAILABLE["ru"] not in call.body["text"]
