"""The open topic of a conversation (actions/topic.py): detours keep it, a new topic ends it."""

from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge import ActionAnswerKnowledge
from actions.topic import clarified_text, names_a_topic, topic_is_open
from kb.answers import compose_answer
from kb.db import session_scope
from tests.test_actions import tracker, use_kb  # noqa: F401  (fixture)


def user(text: str, intent: str = "ask_syndrome", entities: list | None = None) -> dict:
    return {
        "event": "user",
        "text": text,
        "parse_data": {"intent": {"name": intent}, "entities": entities or []},
    }


SPS = [{"entity": "syndrome", "value": "stiff_person", "start": 8, "end": 28}]
ASKED = user("What is stiff person syndrome?", entities=SPS)
BOT = {"event": "bot", "text": "Stiff person syndrome is …"}


def test_the_topic_holds_for_the_next_question() -> None:
    assert topic_is_open([ASKED, BOT, user("Can it get better?", "ask_prognosis")], 1)


def test_detours_keep_the_topic() -> None:
    detours = [
        user("thank you", "thank"),
        user("yes", "affirm"),
        user("no", "deny"),
        user('/give_feedback{"helpful": "yes"}', "give_feedback", [{"entity": "helpful"}]),
        user("hmm can it get better", "nlu_fallback"),
    ]
    events = [ASKED, BOT, *detours, user("Can it get better?", "ask_prognosis")]
    assert topic_is_open(events, 1)


def test_a_new_topic_ends_it() -> None:
    lems = [{"entity": "syndrome", "value": "lems", "start": 0, "end": 4}]
    events = [ASKED, user("LEMS, my dad has it", "inform_condition", lems), user("is it curable?")]
    assert not topic_is_open(events, 1)
    assert names_a_topic(events[1]) and not names_a_topic(user("thanks", "thank"))


def test_no_topic_without_a_context() -> None:
    assert not topic_is_open([ASKED], None)
    assert not topic_is_open([ASKED], 1)  # the context's own message is the current one


def test_the_clarified_words_are_those_of_the_unclear_message() -> None:
    unclear = user("Can it get better?", "nlu_fallback")
    pressed = user("/ask_prognosis", "ask_prognosis")
    typed = user("yes", "affirm")
    assert clarified_text([ASKED, unclear, pressed]) == "Can it get better?"
    assert clarified_text([ASKED, unclear, typed]) is None  # a typed yes: the affirm rule
    assert clarified_text([ASKED, pressed]) is None  # no unclear message before it
    assert clarified_text([ASKED, unclear, user("what is LEMS?")]) is None


async def test_the_clarified_follow_up_is_answered_about_the_topic(kb_url, use_kb) -> None:  # noqa: F811
    """The issue's example as the action server sees it after "Did you want to know about
    what to expect (outlook)?" → Yes: the two-stage fallback reverted the button message and
    replayed it (Rasa's TwoStageFallbackAction.deactivate)."""
    use_kb(kb_url)
    context = {"intent": "ask_syndrome", "entities": [["syndrome", "stiff_person"]], "turn": 1}
    pressed = user("/ask_prognosis", "ask_prognosis")
    t = tracker("ask_prognosis", text="/ask_prognosis", slots={"knowledge_context": context})
    t.events = [
        ASKED,
        BOT,
        user("Can it get better?", "nlu_fallback"),
        {"event": "action", "name": "action_two_stage_fallback"},
        {"event": "bot", "text": "Sorry, I'm not sure I understood. Did you want to know …?"},
        pressed,
        {"event": "rewind"},
        {"event": "action", "name": "action_listen"},
        pressed,
    ]
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerKnowledge().run(dispatcher, t, {})
    with session_scope(kb_url) as session:
        expected = compose_answer(session, "ask_prognosis", [("syndrome", "stiff_person")], "en")
    assert dispatcher.messages[0]["text"] == expected.text
    assert events[-1]["value"]["turn"] == 3  # replayed message counted once
