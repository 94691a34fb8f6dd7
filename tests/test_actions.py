"""Custom actions against a real seeded KB, with rasa-sdk trackers (as in rasa-sdk's tests)."""
from typing import Any, Iterator, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import kb_access
from actions.knowledge import ActionAnswerKnowledge, ActionEmergency, message_entities
from kb.answers import compose_answer
from kb.db import session_scope


def tracker(intent: str, entities: Optional[list[dict[str, Any]]] = None, text: str = "") -> Tracker:
    return Tracker(
        sender_id="test",
        slots={},
        latest_message={"text": text, "intent": {"name": intent, "confidence": 0.99}, "entities": entities or []},
        events=[],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


@pytest.fixture()
def use_kb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    def use(url: str) -> None:
        monkeypatch.setenv("PNS_DATABASE_URL", url)
        kb_access.database_url.cache_clear()

    yield use
    kb_access.database_url.cache_clear()


def test_entities_are_taken_in_message_order() -> None:
    t = tracker("ask_antibodies", [
        {"entity": "antibody", "value": "yo", "start": 20},
        {"entity": "antibody", "value": "hu", "start": 5},
        {"entity": "antibody", "value": None, "start": 9},
    ])
    assert message_entities(t) == [("antibody", "hu"), ("antibody", "yo")]


async def test_answer_comes_from_the_kb(kb_url: str, use_kb) -> None:
    use_kb(kb_url)
    dispatcher = CollectingDispatcher()
    entities = [{"entity": "antibody", "value": "yo", "start": 10, "end": 17}]
    events = await ActionAnswerKnowledge().run(dispatcher, tracker("ask_antibodies", entities), {})
    assert events == []
    with session_scope(kb_url) as session:
        expected = compose_answer(session, "ask_antibodies", [("antibody", "yo")]).text
    assert [m["text"] for m in dispatcher.messages] == [expected]


async def test_database_down_gives_a_safe_reply(tmp_path, use_kb) -> None:
    use_kb(f"sqlite:///{tmp_path}/empty.sqlite3")  # no tables: every query fails
    dispatcher = CollectingDispatcher()
    await ActionAnswerKnowledge().run(dispatcher, tracker("ask_pns_overview"), {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_kb_unavailable"]


async def test_emergency_says_call_the_number_and_sets_the_advice(kb_url: str, use_kb) -> None:
    use_kb(kb_url)
    dispatcher = CollectingDispatcher()
    events = await ActionEmergency().run(dispatcher, tracker("report_emergency"), {})
    assert events == [SlotSet("referral_advice", "emergency")]
    assert len(dispatcher.messages) == 1 and "Call 112" in dispatcher.messages[0]["text"]


async def test_emergency_advice_survives_a_broken_database(tmp_path, use_kb) -> None:
    use_kb(f"sqlite:///{tmp_path}/empty.sqlite3")
    dispatcher = CollectingDispatcher()
    events = await ActionEmergency().run(dispatcher, tracker("report_emergency"), {})
    assert events == [SlotSet("referral_advice", "emergency")]
    assert dispatcher.messages[0]["response"] == "utter_emergency_fallback"
    assert dispatcher.messages[0]["number"] == "112"
