"""bot.channels.texts: the channels' own texts and the language a channel answers in."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.channels import texts
from kb.db import session_scope
from kb.models import Phrase
from tests.test_actions import use_kb  # noqa: F401  (fixture)


@pytest.mark.parametrize(
    ("text", "metadata", "expected"),
    [
        ("Добрый вечер", None, "ru"),
        ("what is LEMS?", None, "en"),
        ("что значит anti-Yo?", None, "ru"),  # the antibody name shows no language
        ("анти-Hu what does it mean", None, "en"),
        ("LEMS МРТ", None, "ru"),  # Cyrillic abbreviations are written by Russian speakers
        ("/start", None, "ru"),  # a command is not the user's words: the default
        ("12345", None, "ru"),
        ("", None, "ru"),
        (None, None, "ru"),
        ("what is LEMS?", {"lang": "ru-RU"}, "ru"),  # the user's setting wins
        ("Привет", {"lang": "en_US"}, "en"),
        ("Привет", {"lang": "de"}, "ru"),  # an unsupported hint is no hint
    ],
)
def test_the_language_a_channel_answers_in(text, metadata, expected) -> None:
    assert texts.message_language(text, metadata) == expected


def test_the_channels_own_texts_exist_in_both_languages() -> None:
    for table in (texts.UNAVAILABLE, texts.TOO_LONG, texts.TOO_MANY, texts.BUTTON_ACK):
        assert set(table) == {"ru", "en"}
        assert all(value.strip() for value in table.values())
    assert texts.say(texts.TOO_MANY, "de") == texts.TOO_MANY["ru"]


def test_the_privacy_notice_is_the_live_kb_text(fresh_kb_url: str, use_kb) -> None:  # noqa: F811
    use_kb(fresh_kb_url)
    assert "SNILS" in texts.privacy_notice("en")
    with session_scope(fresh_kb_url) as session:
        phrase = session.execute(
            select(Phrase).where(Phrase.key == texts.PRIVACY_NOTICE_KEY)
        ).scalar_one()
        phrase.translation("ru").text = "Не присылайте сюда  номера документов."
    assert texts.privacy_notice("ru") == "Не присылайте сюда номера документов."


def test_the_privacy_notice_falls_back_to_the_shipped_text(use_kb, tmp_path) -> None:  # noqa: F811
    use_kb(f"sqlite:///{tmp_path}/missing/kb.sqlite3")  # cannot be opened
    assert texts.privacy_notice("ru") == texts._phrase(texts.PRIVACY_NOTICE_KEY, "ru")
    assert "SNILS" in texts.privacy_notice("en")
