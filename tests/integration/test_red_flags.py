"""Red-flag screening is a step every turn passes (issue 13 item 4), on the running system.

The assistant runs as `make run` starts it (real Rasa server with the trained model, real
action server, real KB), with Telegram pointed at the local fake Bot API. Each test sends a
red flag inside a kind of turn that the dialogue rules would otherwise answer differently:
a greeting, thanks, a yes/no answer inside the referral form, an out-of-scope or
low-confidence message, Russian text, and over REST, the HTTP API and Telegram.
"""

from __future__ import annotations

import json

import pytest

from kb.db import session_scope
from kb.models import Setting
from tests.integration.conftest import Channels
from tests.integration.test_telegram import post, text_update, texts

pytestmark = pytest.mark.integration

EN_ADVICE = "This may be an emergency. Call 112 now (ambulance 103)"
RU_ADVICE = "Это может быть неотложное состояние. Прямо сейчас звоните 112 (скорая помощь — 103)"


def emergency_reply(channels: Channels, text: str, sender: str) -> str:
    reply = channels.assistant.say(text, sender=sender)
    tracker = channels.assistant.tracker(sender)
    assert tracker["slots"]["referral_advice"] == "emergency", (text, reply)
    user = [e for e in tracker["events"] if e["event"] == "user"][-1]
    assert user["parse_data"]["intent"]["name"] == "report_emergency"
    return reply


@pytest.mark.parametrize(
    ("text", "classifier_would_say"),
    [
        ("hello, my son is having a seizure", "greet"),
        ("thanks. now she can't breathe", "thank"),
        ("yes and his face is drooping", "affirm"),
        ("no, but he is unconscious", "deny"),
        ("what's the weather like, my wife won't wake up", "out_of_scope"),
        ("zxqv blorp he is not breathing", "nlu_fallback"),
        ("fever of 39 after rituximab", "ask_treatment"),
    ],
)
def test_a_red_flag_wins_over_any_intent(
    channels: Channels, text: str, classifier_would_say: str
) -> None:
    sender = f"flag-{classifier_would_say}"
    channels.assistant.say("hi", sender=sender)
    reply = emergency_reply(channels, text, sender)
    assert reply.startswith(EN_ADVICE)
    parse = channels.assistant.parse(text)
    assert parse["intent"] == {"name": "report_emergency", "confidence": 1.0}
    assert parse["red_flag"]["kind"]


def test_red_flag_as_the_answer_inside_the_referral_form_ends_it(channels: Channels) -> None:
    sender = "flag-in-form"
    channels.assistant.say("should I see a doctor?", sender=sender)
    assert channels.assistant.tracker(sender)["slots"]["requested_slot"] == "privacy_consent"
    channels.assistant.say("/affirm", sender=sender)  # "I agree"
    assert channels.assistant.tracker(sender)["slots"]["requested_slot"] == "cancer_history"
    reply = emergency_reply(channels, "yes, and now he is having a seizure", sender)
    assert reply.startswith(EN_ADVICE)
    assert "do not put anything in their mouth" in reply  # the seizure first-aid advice
    tracker = channels.assistant.tracker(sender)
    assert not (tracker.get("active_loop") or {}).get("name")


def test_red_flag_in_russian_gets_russian_advice(channels: Channels) -> None:
    channels.assistant.say("здравствуйте", sender="flag-ru")  # the disclosure comes first
    reply = emergency_reply(channels, "у мамы судороги уже больше 5 минут", "flag-ru")
    assert reply.startswith(RU_ADVICE)


def test_a_negated_symptom_is_not_an_emergency(channels: Channels) -> None:
    sender = "flag-negated"
    channels.assistant.say("what is LEMS?", sender=sender)
    channels.assistant.say("no seizures", sender=sender)
    assert channels.assistant.tracker(sender)["slots"]["referral_advice"] != "emergency"


def test_the_advice_names_the_numbers_of_the_kb_setting(channels: Channels) -> None:
    with session_scope(channels.assistant.db_url) as session:
        session.get(Setting, "emergency_number").value = "911"
    try:
        channels.assistant.say("hi", sender="flag-setting")  # the disclosure comes first
        reply = emergency_reply(channels, "my husband can't breathe", "flag-setting")
        assert reply.startswith("This may be an emergency. Call 911 now (ambulance 103)")
    finally:
        with session_scope(channels.assistant.db_url) as session:
            session.get(Setting, "emergency_number").value = "112"


def test_the_disclosure_names_the_emergency_numbers(channels: Channels) -> None:
    first = channels.assistant.messages("what is LEMS?", sender="flag-disclosure")[0]["text"]
    assert "call 112 (ambulance 103)" in first
    assert "local emergency number" not in first


def test_red_flag_over_telegram(channels: Channels) -> None:
    chat_id = 7300
    post(channels, text_update(chat_id, "thanks, she is not breathing"))
    calls = channels.telegram.wait_for(
        "sendMessage", chat_id, until=lambda c: any(EN_ADVICE in t for t in texts(c))
    )
    assert any(t.startswith(EN_ADVICE) for t in texts(calls))
    tracker = channels.assistant.tracker(str(chat_id))
    assert tracker["slots"]["referral_advice"] == "emergency"


def test_button_payloads_are_not_screened_but_typed_text_is(channels: Channels) -> None:
    """Payloads are our own texts (/affirm); the screen needs the words the patient typed."""
    parse = channels.assistant.parse("/affirm")
    assert parse["intent"]["name"] == "affirm"
    typed = channels.assistant.parse(json.dumps("he can't breathe").strip('"'))
    assert typed["intent"]["name"] == "report_emergency"


def test_red_flag_while_the_fallback_asks_to_rephrase(channels: Channels) -> None:
    """Inside the two-stage fallback loop ("Did you want to know about …?")."""
    sender = "flag-two-stage"
    channels.assistant.say("hi", sender=sender)
    channels.assistant.say("zxqv blorp", sender=sender)
    reply = emergency_reply(channels, "he can't breathe", sender)
    assert EN_ADVICE in reply
