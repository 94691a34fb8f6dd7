"""The channels' own replies come from domain.yml in the patient's language."""

from actions.language import LANGUAGES
from bot.channels.limits import MAX_MESSAGE_CHARS
from bot.channels.replies import too_long_reply, unavailable_reply


def test_replies_exist_in_every_language_and_differ() -> None:
    unavailable = {lang: unavailable_reply(lang) for lang in LANGUAGES}
    too_long = {lang: too_long_reply(lang) for lang in LANGUAGES}
    assert unavailable["en"].startswith("Sorry, the assistant is temporarily unavailable")
    assert unavailable["ru"].startswith("Извините, помощник временно недоступен")
    assert all(str(MAX_MESSAGE_CHARS) in text for text in too_long.values())
    assert len(set(unavailable.values())) == len(set(too_long.values())) == len(LANGUAGES)
