"""What the channels say themselves, in the patient's language.

Two texts never come from Rasa: "temporarily unavailable" (a turn failed or produced no
answer) and "message too long" (refused before Rasa sees it). They live with the other
conversation mechanics in ``domain.yml`` (``utter_unavailable``, ``utter_message_too_long``,
one variation per language) and are read from there once per process, so they work when
the model, the action server or the stores do not.

The language is decided by :func:`bot.channels.texts.message_language`.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

import yaml

from actions.language import DEFAULT_LANGUAGE
from actions.responses import response_text
from bot.channels.limits import MAX_MESSAGE_CHARS
from bot.settings import ROOT

logger = logging.getLogger(__name__)

DOMAIN_FILE = ROOT / "domain.yml"


@lru_cache(maxsize=1)
def _domain_responses() -> dict[str, Any]:
    with DOMAIN_FILE.open(encoding="utf-8") as file:
        return {"responses": yaml.safe_load(file)["responses"]}


def channel_reply(name: str, lang: str) -> str:
    """The text of response ``name`` in ``lang`` (``{max_chars}`` filled in)."""
    return response_text(_domain_responses(), name, lang, max_chars=str(MAX_MESSAGE_CHARS))


def unavailable_reply(lang: str = DEFAULT_LANGUAGE) -> str:
    """ "Sorry, the assistant is temporarily unavailable …": short, honest, what to do."""
    return channel_reply("utter_unavailable", lang)


def too_long_reply(lang: str = DEFAULT_LANGUAGE) -> str:
    return channel_reply("utter_message_too_long", lang)
