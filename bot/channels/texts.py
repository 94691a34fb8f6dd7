"""What the channels themselves say to a patient, in both languages.

Everything else a patient reads comes from Rasa (domain responses, KB answers). These few
texts are the channels' own: said when a message cannot reach the assistant at all (too
long, too many at once, the assistant unavailable) or to acknowledge a button press, so
they cannot wait for Rasa. Their wording is conversation mechanics and lives in
``domain.yml`` with the rest (``utter_unavailable``, ``utter_message_too_long``,
``utter_too_many_messages``, ``utter_button_ack``), read once per process.

The language is the conversation's as far as a channel can tell without Rasa:
:func:`message_language` reads the channel's ``lang`` hint (Telegram's
``language_code``, MAX's ``user_locale``, VK's ``lang_id``, the REST client's
``metadata.lang``), else the script of the text as the assistant judges it
(:func:`actions.language.script_language`: antibody names and abbreviations do not count),
else Russian (the clinic's default).

The privacy notice of the messaging channels' welcome is KB wording
(``channel.privacy_notice``), read from the KB database like every other KB text, with the
shipped content files (``kb/content/phrases.yml`` and its Russian overlay) as the fallback.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from actions.kb_access import with_kb
from actions.language import DEFAULT_LANGUAGE, LANGUAGES, script_language
from bot.channels.replies import channel_reply
from kb.answers import KnowledgeBase

#: Said when the turn failed or produced no answer (an action server or database down), and
#: instead of passing an over-long message on: conversation mechanics, so their text lives in
#: domain.yml (``utter_unavailable``, ``utter_message_too_long``), read once per process.
UNAVAILABLE = {lang: channel_reply("utter_unavailable", lang) for lang in LANGUAGES}
TOO_LONG = {lang: channel_reply("utter_message_too_long", lang) for lang in LANGUAGES}
#: Said (once) to a sender over the rate limit.
TOO_MANY = {lang: channel_reply("utter_too_many_messages", lang) for lang in LANGUAGES}
#: The short acknowledgement of a button press where the platform shows one (MAX).
BUTTON_ACK = {lang: channel_reply("utter_button_ack", lang) for lang in LANGUAGES}

KB_CONTENT = Path(__file__).resolve().parents[2] / "kb" / "content"
PRIVACY_NOTICE_KEY = "channel.privacy_notice"


def language_hint(value: object) -> str | None:
    """``"ru"``/``"en"`` for a locale such as ``ru``, ``ru-RU``, ``en_US``; else None."""
    if not isinstance(value, str):
        return None
    prefix = value.strip().lower()[:2]
    return prefix if prefix in LANGUAGES else None


def message_language(text: str | None, metadata: Mapping[str, Any] | None = None) -> str:
    """The language to answer ``text`` in: the ``lang`` hint, else the text's script.

    The hint wins because it is the user's setting; a text with more Cyrillic than Latin
    letters is Russian, more Latin is English; no letters, or a command or button payload
    (``/start``, ``/affirm``: not the user's own words), gives the default, Russian.
    """
    hint = language_hint((metadata or {}).get("lang"))
    if hint:
        return hint
    return (text and script_language(text)) or DEFAULT_LANGUAGE


def say(texts: Mapping[str, str], lang: str) -> str:
    """``texts`` in ``lang`` (the default language for anything else)."""
    return texts.get(lang) or texts[DEFAULT_LANGUAGE]


@lru_cache(maxsize=4)
def _phrase(key: str, lang: str, content: Path = KB_CONTENT) -> str:
    folder = content / "ru" if lang == "ru" else content
    data = yaml.safe_load((folder / "phrases.yml").read_text(encoding="utf-8")) or {}
    entry = (data.get("phrases") or {}).get(key) or {}
    text = entry.get("text") if isinstance(entry, dict) else None
    if not isinstance(text, str) or not text.strip():
        raise KeyError(f"KB phrase {key!r} ({lang}) is missing")
    return " ".join(text.split())


def privacy_notice(lang: str) -> str:
    """ "Please do not send names, phone numbers or document numbers", from the KB.

    The live text of the KB database (what staff published in the admin); the shipped
    content file when the database cannot be read, so the warning is never left out.
    """
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    text = with_kb(lambda session: _live_phrase(session, PRIVACY_NOTICE_KEY, lang))
    return text or _phrase(PRIVACY_NOTICE_KEY, lang)


def _live_phrase(session: Session, key: str, lang: str) -> str | None:
    phrase = KnowledgeBase(session).phrase(key)
    text = phrase.translation(lang).text if phrase is not None else None
    return " ".join(text.split()) if text and text.strip() else None
