"""Session start, feedback, handoff (with a real local webhook) and the fallback question."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.conversation import (
    SESSION_REQUEST,
    ActionAskAffirmation,
    ActionHandoff,
    ActionRecordFeedback,
    ActionSessionStart,
    ActionSetLanguage,
    feedback_from_text,
    notify_live_agent,
)
from actions.responses import render_response
from kb.db import session_scope
from kb.models import Feedback, UnansweredQuestion
from kb.privacy import conversation_key
from tests.test_actions import tracker, use_kb  # noqa: F401  (fixture)

#: The domain as the action server receives it from Rasa.
DOMAIN = Domain.load("domain.yml").as_dict()


def disclosure(lang: str) -> str:
    """The disclosure in ``lang`` with the seed KB's emergency numbers."""
    numbers = {"emergency_number": "112", "ambulance_number": "103"}
    return render_response(DOMAIN, "utter_disclosure", lang, **numbers)["text"]


def session_tracker(metadata: dict | None, slots: dict | None = None, earlier: int = 0) -> Tracker:
    """The tracker action_session_start gets: ``earlier`` user messages in earlier sessions."""
    return Tracker(
        sender_id="test",
        slots={"requested_slot": None, "session_started_metadata": metadata, **(slots or {})},
        latest_message={},
        events=[{"event": "user", "text": "hi"}] * earlier,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name=None,
    )


async def test_session_opened_by_the_widget_starts_with_the_disclosure_in_its_language() -> None:
    for hint, expected in (("en", "en"), ("ru", "ru"), (None, "ru"), ("fr", "ru")):
        dispatcher = CollectingDispatcher()
        events = await ActionSessionStart().run(
            dispatcher,
            session_tracker({"lang": hint, SESSION_REQUEST: True}, {"cancer_history": True}),
            DOMAIN,
        )
        # the disclosure with the numbers of the KB settings, then the privacy notice (KB)
        assert dispatcher.messages[0]["text"] == disclosure(expected)
        assert events[0]["event"] == "session_started" and events[-1]["name"] == "action_listen"
        assert SlotSet("cancer_history", True) in events
        assert SlotSet("language", expected) in events
        assert SlotSet("disclosure_pending", True) not in events


async def test_session_opened_by_a_message_waits_for_its_language() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionSessionStart().run(dispatcher, session_tracker({"lang": "en"}), DOMAIN)
    assert dispatcher.messages == []
    assert SlotSet("disclosure_pending", True) in events and SlotSet("language", "en") in events


async def test_a_new_session_keeps_the_language_the_patient_chose() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionSessionStart().run(
        dispatcher,
        session_tracker({"lang": "ru", SESSION_REQUEST: True}, {"language": "en"}, earlier=2),
        DOMAIN,
    )
    assert SlotSet("language", "en") in events
    assert dispatcher.messages[0]["text"].startswith("Hello, I'm the PNS Assistant")


def message_tracker(
    text: str,
    slots: dict,
    earlier: int = 0,
    metadata: dict | None = None,
    intent: str = "greet",
    entities: list | None = None,
) -> Tracker:
    """The tracker action_validate_slot_mappings gets: this message after ``earlier`` ones."""
    user = {"event": "user", "text": text, "metadata": metadata or {}}
    return Tracker(
        sender_id="test",
        slots={"requested_slot": None, **slots},
        latest_message={"text": text, "intent": {"name": intent}, "entities": entities or []},
        events=[{"event": "user", "text": "earlier"}] * earlier + [user],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


@pytest.mark.parametrize(
    ("text", "metadata", "expected"),
    [
        ("Добрый вечер", {"lang": "en"}, "ru"),
        ("Hello", {"lang": "ru"}, "en"),
        ("Hello", {}, "en"),
        ("/greet", {"lang": "en"}, "en"),
        ("/greet", {}, "ru"),
        ("112", {}, "ru"),
    ],
)
async def test_the_first_message_gets_the_disclosure_in_its_language(
    text: str, metadata: dict, expected: str
) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionSetLanguage().run(
        dispatcher,
        message_tracker(text, {"language": "ru", "disclosure_pending": True}, metadata=metadata),
        DOMAIN,
    )
    assert dispatcher.messages[0]["text"] == disclosure(expected)
    assert SlotSet("disclosure_pending", None) in events
    assert (SlotSet("language", expected) in events) == (expected != "ru")


@pytest.mark.parametrize(
    ("text", "current", "metadata", "intent", "entities", "expected"),
    [
        ("what is LEMS", "ru", {"lang": "ru"}, "ask_syndrome", [], "en"),
        ("что такое ПНС", "en", {"lang": "en"}, "ask_pns_overview", [], "ru"),
        ("/affirm", "en", {"lang": "ru"}, "affirm", [], "en"),  # hint only for a new one
        ("anti-Yo", "ru", {}, "ask_antibodies", [], "ru"),
        ("по-английски", "ru", {}, "change_language", [], "en"),
        ("смени язык", "ru", {}, "change_language", [], "en"),
        ("change the language", "en", {}, "change_language", [], "ru"),
        (
            '/change_language{"language": "en"}',
            "ru",
            {},
            "change_language",
            [{"entity": "language", "value": "en"}],
            "en",
        ),
    ],
)
async def test_language_follows_each_message(
    text: str, current: str, metadata: dict, intent: str, entities: list, expected: str
) -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionSetLanguage().run(
        dispatcher,
        message_tracker(text, {"language": current}, 3, metadata, intent, entities),
        DOMAIN,
    )
    assert dispatcher.messages == []  # no disclosure pending
    assert events == ([] if expected == current else [SlotSet("language", expected)])


async def test_feedback_is_stored_against_the_answer(
    fresh_kb_url: str, use_kb, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_kb(fresh_kb_url)
    monkeypatch.setenv("PNS_PRIVACY_KEY", "test-key")
    context = {"intent": "ask_syndrome", "entities": [["syndrome", "lems"]], "answer_ids": [3]}
    t = tracker(
        "give_feedback",
        [{"entity": "helpful", "value": "no"}],
        slots={"knowledge_context": context},
    )
    dispatcher = CollectingDispatcher()
    await ActionRecordFeedback().run(dispatcher, t, {})
    assert dispatcher.messages[0]["response"] == "utter_feedback_sorry"
    with session_scope(fresh_kb_url) as session:
        row = session.execute(select(Feedback)).scalar_one()
    # erasable with its conversation, which it names only by the keyed hash
    assert row.conversation_key == conversation_key("test", "test-key")
    assert (row.intent, row.answer_ids, row.entities, row.helpful) == (
        "ask_syndrome",
        "3",
        "syndrome:lems",
        0,
    )


def test_typed_feedback() -> None:
    assert feedback_from_text("that was helpful") == "yes"
    assert feedback_from_text("it didn't help") == "no"
    assert feedback_from_text("not useful") == "no"


class _Hook(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture()
def live_agent_hook() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Hook.received = []
    yield f"http://127.0.0.1:{server.server_port}/handoff"
    server.shutdown()


async def test_handoff_notifies_the_live_agent_system_and_pauses(
    kb_url, use_kb, live_agent_hook, monkeypatch
) -> None:
    use_kb(kb_url)
    monkeypatch.setenv("PNS_HANDOFF_WEBHOOK_URL", live_agent_hook)
    t = tracker("request_human", text="can I talk to a person")
    t.events = [
        {"event": "user", "text": "what is LEMS"},
        {"event": "bot", "text": "LEMS is ..."},
        {"event": "user", "text": "can I talk to a person"},
    ]
    dispatcher = CollectingDispatcher()
    events = await ActionHandoff().run(dispatcher, t, {})
    assert events == [ConversationPaused(), ActionExecuted("action_listen")]
    assert _Hook.received[0]["conversation_id"] == "test"
    assert [m["text"] for m in _Hook.received[0]["messages"]] == [
        "what is LEMS",
        "LEMS is ...",
        "can I talk to a person",
    ]
    assert (
        "staff" in dispatcher.messages[0]["text"] and "/restart" in dispatcher.messages[0]["text"]
    )


async def test_handoff_without_a_live_agent_system_gives_contacts(
    kb_url, use_kb, monkeypatch
) -> None:
    use_kb(kb_url)
    monkeypatch.delenv("PNS_HANDOFF_WEBHOOK_URL", raising=False)
    dispatcher = CollectingDispatcher()
    assert await ActionHandoff().run(dispatcher, tracker("request_human"), {}) == [
        ConversationPaused(),
        ActionExecuted("action_listen"),
    ]
    assert "Center for Neuromuscular Pathology" in dispatcher.messages[0]["text"]


def test_unreachable_hook_is_reported_as_not_notified() -> None:
    assert notify_live_agent("x", [], url="http://127.0.0.1:9/") is False


async def test_fallback_asks_for_the_likely_intent_and_records_the_question(
    fresh_kb_url, use_kb
) -> None:
    use_kb(fresh_kb_url)
    t = tracker(
        "nlu_fallback", text="my brain feels foggy email me a@b.org", slots={"language": "en"}
    )
    t.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.4},
        {"name": "ask_symptoms", "confidence": 0.35},
    ]
    dispatcher = CollectingDispatcher()
    await ActionAskAffirmation().run(dispatcher, t, DOMAIN)
    message = dispatcher.messages[0]
    assert message["response"] == "utter_ask_affirmation"
    assert (message["topic"], message["payload"]) == ("symptoms", "/ask_symptoms")
    shown = render_response(DOMAIN, "utter_ask_affirmation", "en", **message)
    assert shown["text"] == "Sorry, I'm not sure I understood. Did you want to know about symptoms?"
    assert [b["payload"] for b in shown["buttons"]] == ["/ask_symptoms", "/out_of_scope"]
    with session_scope(fresh_kb_url) as session:
        row = session.execute(select(UnansweredQuestion)).scalar_one()
    assert (row.text, row.reason, row.predicted_intent) == (
        "my brain feels foggy email me [email]",
        "low_confidence",
        "ask_symptoms",
    )
