"""VK end to end: Callback API events in, ``messages.send`` out, against a fake VK API.

The assistant runs as `make run` starts it, with VK configured from environment variables
(tests/integration/conftest.py); its API calls go to :class:`FakeVkApi` on 127.0.0.1,
written from the public documentation. The Rasa and action servers are the real ones.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from bot.channels.texts import privacy_notice
from tests.integration.conftest import VK_CONFIRMATION, VK_GROUP, VK_SECRET, Channels
from tests.integration.fake_api import Call
from tests.integration.fake_vk import event, message_new, pressed

pytestmark = pytest.mark.integration

WEBHOOK = "/webhooks/vk/webhook"


def post_raw(channels: Channels, body: Any) -> tuple[int, bytes]:
    """POST an event; VK's server answers are plain text (``ok``, the confirmation)."""
    request = urllib.request.Request(
        channels.assistant.base + WEBHOOK,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def say(channels: Channels, peer_id: int, text: str, **kwargs: Any) -> dict[str, Any]:
    body = message_new(VK_GROUP, VK_SECRET, peer_id, text, **kwargs)
    assert post_raw(channels, body) == (200, b"ok")
    return body


def texts(calls: list[Call]) -> list[str]:
    return [c.params["message"] for c in calls]


def keyboard_of(call: Call) -> dict[str, Any]:
    return json.loads(call.params["keyboard"])


def with_keyboard(calls: list[Call]) -> bool:
    return any("keyboard" in c.params for c in calls)


def sent(channels: Channels, peer_id: int, until: Any = None, settle: float = 1.0) -> list[Call]:
    return channels.vk.wait_for(
        "messages.send", lambda c: c.params["peer_id"] == str(peer_id), until=until, settle=settle
    )


def settled_slots(channels: Channels, sender: str, slot: str) -> dict[str, Any]:
    """The conversation's slots once ``slot`` is set: Rasa stores the turn after the last of
    its messages has gone out, so the tracker lags the messages a little."""
    deadline = time.monotonic() + 30
    while True:
        slots = channels.assistant.tracker(sender)["slots"]
        if slots.get(slot) is not None or time.monotonic() > deadline:
            return slots
        time.sleep(0.5)


def user_events(channels: Channels, peer_id: int) -> list[dict[str, Any]]:
    events = channels.assistant.tracker(f"vk-{peer_id}")["events"]
    return [e for e in events if e["event"] == "user"]


def test_the_confirmation_request_gets_the_confirmation_string(channels: Channels) -> None:
    confirmation = {"type": "confirmation", "group_id": VK_GROUP}
    assert post_raw(channels, confirmation) == (200, VK_CONFIRMATION.encode())
    assert post_raw(channels, {**confirmation, "secret": VK_SECRET}) == (
        200,
        VK_CONFIRMATION.encode(),
    )
    assert post_raw(channels, {**confirmation, "secret": "wrong"})[0] == 403
    assert post_raw(channels, {"type": "confirmation", "group_id": VK_GROUP + 1})[0] == 403


@pytest.mark.parametrize(
    ("secret", "group"),
    [
        (None, VK_GROUP),
        ("", VK_GROUP),
        ("wrong", VK_GROUP),
        (VK_SECRET + "x", VK_GROUP),
        (VK_SECRET, 1),
    ],
    ids=["missing", "empty", "wrong", "longer", "other community"],
)
def test_an_event_without_the_right_secret_is_refused_and_nothing_is_processed(
    channels: Channels, secret: str | None, group: int
) -> None:
    peer_id = 9100 + len(secret or "") + group % 7
    status, _ = post_raw(channels, message_new(group, secret, peer_id, "what is LEMS?"))
    assert status == 403
    time.sleep(2)
    assert channels.vk.sent_to(peer_id) == []
    assert user_events(channels, peer_id) == []


def test_the_start_button_greets_with_the_disclosure_then_the_privacy_notice(
    channels: Channels,
) -> None:
    peer_id = 9201
    say(channels, peer_id, "Начать", payload={"command": "start"}, lang_id=0)
    calls = sent(channels, peer_id, until=lambda c: len(c) >= 3)
    said = texts(calls)
    # lang_id 0: Russian, the disclosure first, the channel's privacy warning last
    assert "автоматический помощник" in said[0] and "не могу никому поставить диагноз" in said[0]
    assert said[-1] == privacy_notice("ru")
    (first,) = user_events(channels, peer_id)
    assert first["parse_data"]["intent"]["name"] == "greet"
    assert first["metadata"]["lang"] == "ru"
    random_ids = [c.params["random_id"] for c in calls]
    assert len(set(random_ids)) == len(random_ids)  # one per message


def test_a_whole_conversation_with_the_referral_assessment_by_buttons(channels: Channels) -> None:
    peer_id = 9300
    say(channels, peer_id, "Start", payload={"command": "start"})
    start = sent(channels, peer_id, until=lambda c: len(c) >= 3)
    assert texts(start)[-1] == privacy_notice("en")

    say(channels, peer_id, "what is anti-Yo?")
    answer = sent(channels, peer_id, until=lambda c: with_keyboard(c[len(start) :]))
    assert "cancer" in " ".join(texts(answer[len(start) :])).lower()
    feedback = keyboard_of(next(c for c in answer[len(start) :] if "keyboard" in c.params))
    assert feedback["inline"] is True
    assert [[b["action"]["label"] for b in row] for row in feedback["buttons"]] == [["Yes"], ["No"]]

    post_raw(channels, pressed(VK_GROUP, VK_SECRET, peer_id, feedback["buttons"][0][0]))
    thanked = sent(
        channels,
        peer_id,
        until=lambda c: "Thank you for your feedback!" in " ".join(texts(c[len(answer) :])),
    )

    say(channels, peer_id, "should I see a doctor?")
    asked = sent(channels, peer_id, until=lambda c: with_keyboard(c[len(thanked) :]))
    consent = next(c for c in asked[len(thanked) :] if "keyboard" in c.params)
    assert "consent" in consent.params["message"]  # asked before any health question
    agree = {b["action"]["label"]: b for row in keyboard_of(consent)["buttons"] for b in row}
    post_raw(channels, pressed(VK_GROUP, VK_SECRET, peer_id, agree["I agree"]))
    asked = sent(
        channels,
        peer_id,
        until=lambda c: "diagnosed with cancer" in " ".join(texts(c[len(asked) :])),
    )
    question = next(c for c in reversed(asked) if "keyboard" in c.params)
    assert "diagnosed with cancer" in question.params["message"]
    buttons = {b["action"]["label"]: b for row in keyboard_of(question)["buttons"] for b in row}
    assert set(buttons) == {"Yes", "No", "I don't know"}

    post_raw(channels, pressed(VK_GROUP, VK_SECRET, peer_id, buttons["Yes"]))
    symptoms = sent(channels, peer_id, until=lambda c: with_keyboard(c[len(asked) :]))
    second = next(c for c in symptoms[len(asked) :] if "keyboard" in c.params)
    assert "neurological symptoms" in second.params["message"].lower()
    yes = next(
        b for row in keyboard_of(second)["buttons"] for b in row if b["action"]["label"] == "Yes"
    )

    post_raw(channels, pressed(VK_GROUP, VK_SECRET, peer_id, yes))
    advice = sent(
        channels,
        peer_id,
        until=lambda c: any("Neuromuscular Pathology" in t for t in texts(c[len(symptoms) :])),
    )
    assert "Only a doctor can make a diagnosis" in " ".join(texts(advice[len(symptoms) :]))
    slots = settled_slots(channels, f"vk-{peer_id}", "referral_advice")
    assert slots["cancer_history"] is True
    assert slots["referral_advice"] == "neuromuscular_centre"
    pressed_texts = [e["text"] for e in user_events(channels, peer_id)]
    assert pressed_texts.count("/affirm") == 3  # consent + two answers: payloads, not labels


def test_a_redelivered_event_is_answered_once(channels: Channels) -> None:
    peer_id = 9400
    body = say(channels, peer_id, "what is LEMS?")
    for _ in range(3):  # VK delivers the same event again (same event_id)
        assert post_raw(channels, body) == (200, b"ok")
    calls = sent(channels, peer_id, settle=3)
    assert len(user_events(channels, peer_id)) == 1
    assert len({c.params["random_id"] for c in calls}) == len(calls)
    assert [d for d in channels.vk.duplicates if d.params["peer_id"] == str(peer_id)] == []


@pytest.mark.parametrize(
    "kind", ["message_reply", "message_edit", "wall_post_new", "group_join", "something_new"]
)
def test_other_events_are_acknowledged_and_ignored(channels: Channels, kind: str) -> None:
    body = event(
        VK_GROUP, VK_SECRET, kind, {"id": 1, "peer_id": 9501, "from_id": 9501, "text": "x"}
    )
    assert post_raw(channels, body) == (200, b"ok")
    time.sleep(1)
    assert channels.vk.sent_to(9501) == []


def test_a_group_chat_message_is_not_answered(channels: Channels) -> None:
    peer_id = 2_000_000_042
    say(channels, peer_id, "what is LEMS?")
    time.sleep(2)
    assert channels.vk.sent_to(peer_id) == []


def test_a_slow_api_does_not_hold_up_the_callback_and_the_answer_still_arrives(
    channels: Channels,
) -> None:
    peer_id = 9600
    channels.vk.trouble.delay = 3.0
    try:
        started = time.monotonic()
        say(channels, peer_id, "what is LEMS?")
        assert time.monotonic() - started < 2.0  # "ok" before any message went out
        calls = channels.vk.wait_for(
            "messages.send",
            lambda c: c.params["peer_id"] == str(peer_id),
            until=lambda c: "Lambert" in " ".join(texts(c)),
            timeout=120,
        )
        assert "automated assistant" in texts(calls)[0]  # in order, nothing lost
    finally:
        channels.vk.trouble.delay = 0.0


def test_a_failing_api_is_survived_and_the_next_message_is_answered(channels: Channels) -> None:
    peer_id = 9601
    channels.vk.trouble.fail = 50
    try:
        say(channels, peer_id, "what is LEMS?")
        deadline = time.monotonic() + 60
        while not user_events(channels, peer_id) and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(3)
    finally:
        channels.vk.trouble.fail = 0
    assert channels.vk.sent_to(peer_id) == []
    say(channels, peer_id, "what is anti-Yo?")
    calls = sent(channels, peer_id)
    assert "cancer" in " ".join(texts(calls)).lower()
