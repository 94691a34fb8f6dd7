"""The conversation's language per message (actions/language.py), exhaustively by case."""

import pytest

from actions.language import (
    DEFAULT_LANGUAGE,
    EN,
    RU,
    choose_language,
    requested_language,
    script_language,
    valid_language,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Добрый вечер", RU),
        ("Что за болезнь ПНС?", RU),
        ("У сына приступ, не проходит уже долго", RU),
        ("что такое анти-Hu", RU),
        ("что значит anti-Yo", RU),
        ("анализ на NMDA и LGI1 положительный", RU),
        ("у мамы нашли Yo", RU),
        ("какие антитела к amphiphysin", RU),
        ("МРТ", RU),
        ("what is anti-Hu?", EN),
        ("what does анти-Yo mean", EN),
        ("Hello", EN),
        ("is LEMS hereditary", EN),
        ("my mum has lung cancer", EN),
        ("ok", EN),
        # nothing that shows a language
        ("анти-Hu", None),
        ("anti-Yo", None),
        ("NMDA", None),
        ("LGI1, CASPR2", None),
        ("112", None),
        ("👍", None),
        ("", None),
        ("   ", None),
        ("?!", None),
        ("/affirm", None),
        ('/give_feedback{"helpful": "yes"}', None),
        ('/deny{"answer": "dont_know"}', None),
        ("EXTERNAL: greet", None),
        # a tie of the two scripts decides nothing
        ("ага aha", None),
    ],
)
def test_script_language(text: str, expected: str | None) -> None:
    assert script_language(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("по-русски", RU),
        ("По русски пожалуйста", RU),
        ("можно на русском?", RU),
        ("давайте на русский язык", RU),
        ("in Russian please", RU),
        ("can you answer in Russian", RU),
        ("Russian please", RU),
        ("in English please", EN),
        ("English please", EN),
        ("english", EN),
        ("можно по-английски?", EN),
        ("ответьте на английском", EN),
        ("switch to English", EN),
        ("do you speak English", EN),
        # not a request
        ("I don't speak English, по-русски пожалуйста", RU),
        ("я не понимаю по-английски", None),
        ("what is anti-Hu", None),
        ("что такое ПНС", None),
        ("in English and in Russian", None),
    ],
)
def test_requested_language(text: str, expected: str | None) -> None:
    assert requested_language(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ru", RU),
        ("en", EN),
        ("RU", RU),
        ("en-GB", EN),
        ("ru_RU", RU),
        ("de", None),
        ("", None),
        (None, None),
        (7, None),
        (["ru"], None),
    ],
)
def test_valid_language(value: object, expected: str | None) -> None:
    assert valid_language(value) == expected


@pytest.mark.parametrize(
    ("text", "current", "hint", "requested", "expected"),
    [
        # the letters decide, whatever the conversation had and the channel says
        ("Добрый вечер", EN, "en", None, RU),
        ("what is LEMS", RU, "ru", None, EN),
        ("what is LEMS", None, "ru", None, EN),
        # explicit requests win over the script
        ("по-английски, пожалуйста", RU, None, None, EN),
        ("in Russian please", EN, None, None, RU),
        # a payload's language entity wins over everything
        ('/change_language{"language": "en"}', RU, "ru", "en", EN),
        ("/change_language", RU, None, "ru", RU),
        # nothing to go by: keep the conversation's language
        ("/affirm", EN, "ru", None, EN),
        ("112", EN, None, None, EN),
        ("анти-Hu", EN, None, None, EN),
        ("anti-Yo", RU, "en", None, RU),
        ("👍", RU, None, None, RU),
        # … a conversation without one takes the channel's hint, else Russian
        ("/greet", None, "en", None, EN),
        ("/greet", None, "en-US", None, EN),
        ("112", None, "ru", None, RU),
        ("112", None, None, None, RU),
        ("112", None, "fr", None, RU),
        ("112", None, {"x": 1}, None, RU),
        ("", None, None, None, DEFAULT_LANGUAGE),
        # a payload's words are not the patient's ("/affirm" is not English)
        ("/affirm", None, None, None, RU),
        # an invalid current value is ignored
        ("112", "de", "en", None, EN),
        # requested values that are not languages are ignored
        ("Hello", RU, None, "klingon", EN),
    ],
)
def test_choose_language(
    text: str, current: str | None, hint: object, requested: object, expected: str
) -> None:
    assert choose_language(text, current, hint, requested) == expected


@pytest.mark.parametrize(
    ("text", "current", "hint", "expected"),
    [
        ("change the language", EN, None, RU),
        ("change the language", RU, None, EN),
        ("смени язык", RU, None, EN),
        ("смени язык", EN, None, RU),
        ("другой язык", None, "en", RU),
        ("other language please", None, None, EN),
        # a named language still wins
        ("смени язык на русский", RU, None, RU),
        ("switch to English", EN, None, EN),
        # a message that mentions no language is not a switch (the model can be wrong)
        ("что такое МРЛ", RU, None, RU),
        ("what is LEMS", EN, None, EN),
        ("/change_language", RU, None, RU),
    ],
)
def test_switch_without_naming_a_language(
    text: str, current: str | None, hint: str | None, expected: str
) -> None:
    assert choose_language(text, current, hint, switch=True) == expected


def test_held_out_wordings() -> None:
    """The test sets' change_language messages that name a language are read right."""
    assert requested_language("english pls") == EN
    assert requested_language("перейди на английский") == EN
    assert requested_language("можете писать по русски, я не понимаю английский") == RU
    assert requested_language("please reply in russian, it's easier for my mum") == RU
