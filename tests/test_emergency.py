"""Red-flag screening (actions/emergency.py, nlu/red_flags.py): every kind, both languages.

A missed red flag can cost a life; a false one costs an unneeded "call 112" and hides the
answer the patient asked for. Both directions are tested here, kind by kind, with the
negations and the "questions about" that must not trigger.
"""

from __future__ import annotations

import pytest

from actions import emergency
from actions.emergency import (
    BREATHING,
    INFECTION,
    KINDS,
    MENINGITIS,
    SEIZURE,
    SPINAL_CORD,
    STROKE,
    SUICIDAL,
    UNRESPONSIVE,
    red_flag,
    reply_language,
    script_language,
)
from nlu.red_flags import RED_FLAG_KEY, screened

FLAGGED: dict[str, list[str]] = {
    BREATHING: [
        "my husband can't breathe",
        "I have lung cancer and now I can't breathe",
        "she is not breathing",
        "he stopped breathing",
        "I am choking and can't breathe",
        "hi, my mum is gasping for air",
        "his lips are turning blue",
        "the weakness is so bad she can hardly swallow or breathe",
        "he can't swallow his own saliva",
        "мама не может дышать",
        "он задыхается",
        "ребенок не дышит",
        "подавился и не может дышать",
        "не может проглотить даже слюну",
        "слабость такая, что трудно дышать",
    ],
    SEIZURE: [
        "the seizure won't stop",
        "my husband is having a seizure that won't stop",
        "the fit has been going on for 10 minutes",
        "she's been fitting for more than 5 minutes",
        "seizure for over five minutes",
        "he is having a seizure",
        "she's having a fit",
        "seizures one after another and he is not waking up between them",
        "back-to-back seizures",
        "my son just had his first seizure",
        "he had a seizure for the first time",
        "he hit his head in a seizure",
        "thanks. she is having a seizure right now",
        "приступ не прекращается",
        "судороги не проходят",
        "судороги уже больше 5 минут",
        "приступы один за другим",
        "у мужа впервые судороги",
        "первый в жизни приступ у сына",
        "у мамы судороги прямо сейчас",
        "он бьётся в судорогах",
    ],
    STROKE: [
        "her face is drooping",
        "his mouth has dropped on one side",
        "I think he is having a stroke",
        "suddenly he can't move his left arm",
        "sudden weakness in her right arm and slurred speech",
        "the left side of his face went numb",
        "sudden vertigo and now double vision and slurred speech",
        "лицо перекосило",
        "похоже, у него инсульт",
        "внезапно онемела рука и речь нарушилась",
        "внезапно закружилась голова и всё двоится, потерял равновесие, невнятная речь",
        "dad suddenly became very confused this afternoon",
        "all of a sudden she doesn't recognise her own children",
        "he can't recognise us anymore, it came on suddenly",
        "мама внезапно перестала узнавать нас",
        "внезапно появилась спутанность, не понимает где находится",
    ],
    UNRESPONSIVE: [
        "he is unconscious",
        "he is unresponsive",
        "my dad won't wake up",
        "I can't wake her up",
        "мама без сознания",
        "он не приходит в себя",
        "не могу его разбудить",
    ],
    SUICIDAL: [
        "I want to kill myself",
        "i dont want to live anymore",
        "I'm having suicidal thoughts",
        "my son says he wants to end his life",
        "не хочу жить",
        "думаю покончить с собой",
        "my brother is trying to jump from the balcony",
        "she keeps saying she wants to throw herself out",
        "he's threatening to jump off the bridge",
        "сын пытается выброситься из окна",
        "муж хочет спрыгнуть с балкона",
    ],
    SPINAL_CORD: [
        "my legs are weak and I can't pee, I have lung cancer",
        "both legs are giving way and I cannot pass urine",
        "urinary retention and my legs are numb",
        "ноги слабеют и не могу помочиться",
        "задержка мочи и ноги не держат",
    ],
    INFECTION: [
        "fever of 39 after rituximab",
        "I am on steroids and have a fever",
        "he has chills, he had cyclophosphamide last week",
        "температура 39 после химии",
        "озноб на преднизолоне",
    ],
    MENINGITIS: [
        "fever, terrible headache and he is confused",
        "headache, high temperature and she is drowsy",
        "температура, болит голова и он заговаривается",
    ],
}

NOT_FLAGGED = [
    # negations
    "no seizures",
    "seizures: none",
    "he is not unconscious",
    "I don't have trouble breathing",
    "no fever",
    "he has no fever on steroids",
    "судорог нет",
    "температуры нет",
    "без сознания не был",
    "нет судорог, приступ не повторялся",
    # questions about a symptom, not reports of it
    "can LEMS affect breathing?",
    "what is a seizure",
    "what should I do if a seizure lasts more than 5 minutes?",
    "что делать, если приступ не прекращается?",
    "is a stroke a sign of PNS?",
    "does rituximab cause fever?",
    "can steroids cause a fever?",
    "может ли химия вызывать температуру?",
    # long ago
    "I had a seizure last year",
    "I had a first seizure 3 years ago",
    "she had a stroke years ago",
    # ordinary messages
    "hello",
    "yes",
    "no",
    "thanks",
    "what is anti-Yo?",
    "steroids side effects",
    "my legs are weak",
    "I have numbness in my feet after chemo",
    "is sudden confusion a symptom of limbic encephalitis?",
    "my memory has been getting worse for months and I get confused",
    "can I jump on a trampoline with LEMS",
    "окно в палате открывается?",
    "бывает ли внезапная спутанность при ПНС?",
    "does it run in families",
    "tremor",
    "здравствуйте",
    "да",
    "что такое анти-Yo?",
    "",
    "   ",
]


@pytest.mark.parametrize(
    ("kind", "text"), [(kind, text) for kind, texts in FLAGGED.items() for text in texts]
)
def test_red_flags_are_found_with_their_kind(kind: str, text: str) -> None:
    assert red_flag(text) == kind


@pytest.mark.parametrize("text", NOT_FLAGGED)
def test_negations_questions_and_ordinary_messages_are_not_flagged(text: str) -> None:
    assert red_flag(text) is None


def test_every_kind_is_tested_and_ordered() -> None:
    assert set(FLAGGED) == set(KINDS) and len(KINDS) == len(set(KINDS))


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_has_advice_in_both_languages(kind: str) -> None:
    """Each kind's first-aid phrase exists in the English and the Russian KB."""
    import yaml

    from kb.loader import CONTENT_DIR

    for path in (CONTENT_DIR / "phrases.yml", CONTENT_DIR / "ru" / "phrases.yml"):
        phrases = yaml.safe_load(path.read_text(encoding="utf-8"))["phrases"]
        assert f"emergency.{kind}" in phrases, (path, kind)
        assert "emergency.advice" in phrases


def test_the_most_urgent_kind_wins() -> None:
    assert red_flag("he had a seizure that won't stop and now he can't breathe") == BREATHING


def test_normalise_handles_case_apostrophes_and_yo() -> None:
    assert emergency.normalise("He CAN’T  Breathe") == "he can't breathe"
    assert emergency.normalise("Бьётся") == "бьется"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("he can't breathe", "en"),
        ("мама не может дышать", "ru"),
        ("у мамы anti-Yo и не может дышать", "ru"),
        ("help, anti-Yo, мама", "en"),
        ("112!!!", "ru"),
        ("", "ru"),
    ],
)
def test_script_language(text: str, language: str) -> None:
    assert script_language(text) == language


def test_reply_language_prefers_the_slot() -> None:
    assert reply_language("en", "мама не может дышать") == "en"
    assert reply_language("ru", "he can't breathe") == "ru"
    assert reply_language(None, "he can't breathe") == "en"
    assert reply_language("de", "мама не может дышать") == "ru"


def test_screen_turns_any_flagged_message_into_report_emergency() -> None:
    parse = {
        "intent": {"name": "greet", "confidence": 0.91},
        "intent_ranking": [
            {"name": "greet", "confidence": 0.91},
            {"name": "report_emergency", "confidence": 0.02},
        ],
    }
    changes = screened(parse, "hello, my son is having a seizure")
    assert changes is not None
    assert changes["intent"] == {"name": "report_emergency", "confidence": 1.0}
    assert [r["name"] for r in changes["intent_ranking"]] == ["report_emergency", "greet"]
    assert changes[RED_FLAG_KEY] == {"kind": SEIZURE, "original_intent": "greet"}


@pytest.mark.parametrize("intent", ["affirm", "deny", "thank", "out_of_scope", "nlu_fallback"])
def test_screen_overrides_every_intent(intent: str) -> None:
    changes = screened({"intent": {"name": intent, "confidence": 0.3}}, "yes and he can't breathe")
    assert changes and changes["intent"]["name"] == "report_emergency"


def test_screen_leaves_ordinary_messages_alone() -> None:
    assert screened({"intent": {"name": "greet", "confidence": 0.9}}, "hello") is None
    assert screened({}, "no seizures") is None


def test_unused_kinds_are_still_reachable() -> None:
    """Guards against a pattern typo silently disabling a kind."""
    for kind in (UNRESPONSIVE, SUICIDAL, SPINAL_CORD, INFECTION, MENINGITIS, STROKE):
        assert any(red_flag(text) == kind for text in FLAGGED[kind])
