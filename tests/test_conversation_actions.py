"""Session start, feedback, handoff (with a real local webhook) and the fallback question."""

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from rasa_sdk.events import ActionExecuted, ConversationPaused
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.conversation import (
    ActionAskAffirmation,
    ActionHandoff,
    ActionRecordFeedback,
    ActionSessionStart,
    feedback_from_text,
    notify_live_agent,
)
from kb.db import session_scope
from kb.models import Feedback, UnansweredQuestion
from tests.test_actions import tracker, use_kb  # noqa: F401  (fixture)


async def test_session_starts_with_the_disclosure_and_keeps_slots() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionSessionStart().run(
        dispatcher, tracker("greet", slots={"cancer_history": True}), {}
    )
    assert [m["response"] for m in dispatcher.messages] == ["utter_disclosure"]
    assert events[0]["event"] == "session_started" and events[-1]["name"] == "action_listen"
    assert {"event": "slot", "name": "cancer_history", "value": True, "timestamp": None} in events


async def test_feedback_is_stored_against_the_answer(fresh_kb_url: str, use_kb) -> None:
    use_kb(fresh_kb_url)
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
    t = tracker("nlu_fallback", text="my brain feels foggy email me a@b.org")
    t.latest_message["intent_ranking"] = [
        {"name": "nlu_fallback", "confidence": 0.4},
        {"name": "ask_symptoms", "confidence": 0.35},
    ]
    dispatcher = CollectingDispatcher()
    await ActionAskAffirmation().run(dispatcher, t, {})
    message = dispatcher.messages[0]
    assert "symptoms" in message["text"]
    assert [b["payload"] for b in message["buttons"]] == ["/ask_symptoms", "/out_of_scope"]
    with session_scope(fresh_kb_url) as session:
        row = session.execute(select(UnansweredQuestion)).scalar_one()
    assert (row.text, row.reason, row.predicted_intent) == (
        "my brain feels foggy email me [email]",
        "low_confidence",
        "ask_symptoms",
    )
