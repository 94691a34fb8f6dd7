import pytest

from actions.understanding import (
    NO,
    UNKNOWN,
    YES,
    answer_kind,
    has_red_flag,
    is_follow_up,
    is_negated,
    resolve_follow_up,
    wants_to_stop,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", YES),
        ("/affirm", YES),
        ("yes, lung cancer in 2021", YES),
        ("yeah she has", YES),
        ("no", NO),
        ("/deny", NO),
        ("nope never", NO),
        ("I don't know", UNKNOWN),
        ("never tested", UNKNOWN),
        ("not sure", UNKNOWN),
        ("she hasn't been tested", UNKNOWN),
        ("idk", UNKNOWN),
        ("what symptoms does it cause", None),
        ("sdfkj qwe", None),  # DIET once read this as affirm (0.98): words decide, not the intent
        ("yo", None),
    ],
)
def test_answer_kind(text, expected) -> None:
    assert answer_kind(text) == expected


@pytest.mark.parametrize(
    ("text", "span", "negated"),
    [
        ("anti-Yo negative", "anti-Yo", True),
        ("my anti-Hu came back negative", "anti-Hu", True),
        ("I never had breast cancer", "breast cancer", True),
        ("no history of lung cancer", "lung cancer", True),
        ("tested negative for anti-Yo", "anti-Yo", True),
        ("anti-Yo positive", "anti-Yo", False),
        ("my mum has ovarian cancer", "ovarian cancer", False),
        ("no idea what it means, but I have numbness", "numbness", False),
        ("I had lung cancer, no other problems", "lung cancer", False),
    ],
)
def test_negation(text: str, span: str, negated: bool) -> None:
    start = text.index(span)
    assert is_negated(text, start, start + len(span)) is negated


@pytest.mark.parametrize(
    "text",
    [
        "I have lung cancer and now I can't breathe",
        "my husband is having a seizure that won't stop",
        "the fit has been going on for 10 minutes",
        "her face is drooping",
        "he is unresponsive",
        "my dad won't wake up",
        "I want to kill myself",
        "i dont want to live anymore",
        "I'm having suicidal thoughts",
    ],
)
def test_red_flags(text: str) -> None:
    assert has_red_flag(text)


@pytest.mark.parametrize(
    "text",
    [
        "can LEMS affect breathing?",
        "what is a seizure",
        "I had a seizure last year",
        "what is anti-Yo",
        "my legs are weak",
    ],
)
def test_no_red_flag_in_ordinary_messages(text: str) -> None:
    assert not has_red_flag(text)


def test_stop_requests() -> None:
    assert wants_to_stop("stop")
    assert wants_to_stop("I don't want to answer these questions")
    assert wants_to_stop("cancel the assessment")
    assert not wants_to_stop("no")
    assert not wants_to_stop("will the symptoms stop?")


def test_follow_up_detection() -> None:
    assert is_follow_up("and how is it treated?")
    assert is_follow_up("is this dangerous")
    assert not is_follow_up("how is PNS treated")


def test_follow_up_takes_previous_entities() -> None:
    assert resolve_follow_up(
        "ask_treatment", [], "and how is it treated?", "ask_syndrome", [("syndrome", "lems")]
    ) == ("ask_treatment", [("syndrome", "lems")])


def test_what_about_keeps_previous_intent() -> None:
    assert resolve_follow_up(
        "ask_syndrome",
        [("antibody", "ri")],
        "what about anti-Ri?",
        "ask_antibodies",
        [("antibody", "yo")],
    ) == ("ask_antibodies", [("antibody", "ri")])


def test_questions_about_pns_in_general_never_inherit_a_topic() -> None:
    assert resolve_follow_up(
        "ask_pns_overview", [], "is it contagious", "ask_tests", [("test", "emg")]
    ) == ("ask_pns_overview", [])


def test_a_fresh_question_is_left_alone() -> None:
    assert resolve_follow_up(
        "ask_treatment", [], "how is PNS treated", "ask_syndrome", [("syndrome", "lems")]
    ) == ("ask_treatment", [])
    assert resolve_follow_up(
        "ask_tests", [("test", "mri")], "what is an MRI", "ask_syndrome", [("syndrome", "lems")]
    ) == ("ask_tests", [("test", "mri")])
    assert resolve_follow_up("ask_treatment", [], "and how is it treated", None, []) == (
        "ask_treatment",
        [],
    )


# Russian answers to the form's yes/no questions, hedged ones included, and the English
# hedges added with them (issue "Russian", item 4). Each row is one answer a patient typed.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # yes
        ("да", YES),
        ("Да.", YES),
        ("да, к сожалению", YES),
        ("к сожалению да", YES),
        ("кажется да", YES),
        ("вроде да", YES),
        ("увы, да", YES),
        ("ага", YES),
        ("конечно", YES),
        ("да, рак лёгкого в 2021 году", YES),
        ("есть", YES),
        ("была операция, да", YES),
        ("ну да", YES),
        ("ставили", YES),
        ("нашли", YES),
        ("скорее всего да", YES),
        # no
        ("нет", NO),
        ("Нет!", NO),
        ("неа", NO),
        ("вроде нет", NO),
        ("кажется нет", NO),
        ("не было", NO),
        ("не болела", NO),
        ("никогда", NO),
        ("насколько я знаю, нет", NO),
        ("к счастью нет", NO),
        ("нет, такого не было", NO),
        ("ничего подобного", NO),
        ("не думаю", NO),
        ("по-моему нет", NO),
        ("нету", NO),
        # don't know / never tested (count as not found)
        ("не знаю", UNKNOWN),
        ("не знаю точно", UNKNOWN),
        ("незнаю", UNKNOWN),
        ("не проверяли", UNKNOWN),
        ("нет, не проверяли", UNKNOWN),
        ("не сдавали", UNKNOWN),
        ("не уверена", UNKNOWN),
        ("не помню", UNKNOWN),
        ("понятия не имею", UNKNOWN),
        ("трудно сказать", UNKNOWN),
        ("анализ не делали", UNKNOWN),
        ("хз", UNKNOWN),
        # English hedges
        ("I don't think so", NO),
        ("not that I know of", NO),
        ("not as far as I know", NO),
        ("as far as I know, no", NO),
        ("probably not", NO),
        ("yes sadly", YES),
        ("sadly yes", YES),
        ("I'm afraid so", YES),
        ("I think so", YES),
        ("unfortunately yes", YES),
        ("nobody ever tested that", UNKNOWN),
        ("no one has checked", UNKNOWN),
        ("never had the test", UNKNOWN),
        # button payloads (language-neutral)
        ('/deny{"answer": "dont_know"}', UNKNOWN),
        ('/deny{"answer":"dont_know"}', UNKNOWN),
        ("/deny", NO),
        ("/affirm", YES),
        # not an answer
        ("что такое ПНС?", None),
        ("как лечат синдром Ламберта-Итона", None),
        ("почему это происходит", None),
        ("", None),
    ],
)
def test_russian_and_hedged_answers(text: str, expected: str | None) -> None:
    assert answer_kind(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("стоп", True),
        ("Хватит", True),
        ("отмена", True),
        ("не хочу отвечать", True),
        ("я больше не буду отвечать", True),
        ("хватит вопросов", True),
        ("да", False),
        ("не знаю", False),
        ("что значит стоп-сигнал в анализе", False),
    ],
)
def test_russian_stop(text: str, expected: bool) -> None:
    assert wants_to_stop(text) is expected


@pytest.mark.parametrize(
    ("text", "entity", "expected"),
    [
        ("у мамы рака не было", "рака", True),
        ("анти-Yo не нашли", "анти-Yo", True),
        ("анти-Hu отрицательный", "анти-Hu", True),
        ("онкологии нет, но немеют ноги", "онкологии", True),
        ("онкологии нет, но немеют ноги", "немеют ноги", False),
        ("никакого рака не находили", "рака", True),
        ("у папы рак лёгкого", "рак лёгкого", False),
        ("нашли анти-Hu", "анти-Hu", False),
    ],
)
def test_russian_negation(text: str, entity: str, expected: bool) -> None:
    start = text.index(entity)
    assert is_negated(text, start, start + len(entity)) is expected


def test_russian_follow_ups() -> None:
    assert is_follow_up("а как его лечат?")
    assert is_follow_up("А что насчёт анти-Ri?")
    assert not is_follow_up("что такое ПНС?")
    # a new entity asked "the same way" keeps the previous intent
    assert resolve_follow_up(
        "ask_syndrome", [("antibody", "ri")], "а что насчёт анти-Ri?", "ask_antibodies", []
    ) == ("ask_antibodies", [("antibody", "ri")])
    # no entity, refers back: the previous entities
    assert resolve_follow_up(
        "ask_treatment", [], "а как это лечат?", "ask_syndrome", [("syndrome", "lems")]
    ) == ("ask_treatment", [("syndrome", "lems")])
