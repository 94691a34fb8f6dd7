"""What the channels themselves say to a patient, in both languages, in one place.

Everything else a patient reads comes from Rasa (domain responses, KB answers). These few
texts are the channels' own: said when a message cannot reach the assistant at all (too
long, too many at once, the assistant unavailable), so they cannot come from Rasa. They
are kept together so that moving them into the KB/domain later is one change.

The language is the conversation's as far as a channel can tell without Rasa:
:func:`message_language` reads the channel's ``lang`` hint (Telegram's
``language_code``, MAX's ``user_locale``, VK's ``lang_id``, the REST client's
``metadata.lang``), else the script of the text, else Russian (the clinic's default).

The privacy notice of the messaging channels' welcome is KB wording
(``channel.privacy_notice`` in ``kb/content/phrases.yml`` and its Russian overlay); it is
read from those files because the KB database holds one language so far.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot.channels.replies import channel_reply

LANGUAGES = ("ru", "en")
DEFAULT_LANGUAGE = "ru"

#: Said when the turn failed or produced no answer (an action server or database down), and
#: instead of passing an over-long message on: conversation mechanics, so their text lives in
#: domain.yml (``utter_unavailable``, ``utter_message_too_long``), read once per process.
UNAVAILABLE = {lang: channel_reply("utter_unavailable", lang) for lang in LANGUAGES}
TOO_LONG = {lang: channel_reply("utter_message_too_long", lang) for lang in LANGUAGES}
#: Said (once) to a sender over the rate limit.
TOO_MANY = {
    "en": "You are sending messages very quickly. Please wait a moment, then write again.",
    "ru": "Вы отправляете сообщения очень часто. Пожалуйста, подождите немного и напишите снова.",
}
#: The short acknowledgement of a button press where the platform shows one (MAX).
BUTTON_ACK = {"en": "Got it", "ru": "Принято"}

KB_CONTENT = Path(__file__).resolve().parents[2] / "kb" / "content"
PRIVACY_NOTICE_KEY = "channel.privacy_notice"

_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[A-Za-z]")


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
    if text and not text.lstrip().startswith("/"):
        cyrillic, latin = len(_CYRILLIC.findall(text)), len(_LATIN.findall(text))
        if cyrillic or latin:
            return "ru" if cyrillic >= latin else "en"
    return DEFAULT_LANGUAGE


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
    """ "Please do not send names, phone numbers or document numbers", from the KB."""
    return _phrase(PRIVACY_NOTICE_KEY, lang if lang in LANGUAGES else DEFAULT_LANGUAGE)
