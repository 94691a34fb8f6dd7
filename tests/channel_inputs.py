"""The one table of bad inputs every channel must treat alike (unit and integration tests).

A row is either a raw request body (what reaches a webhook before any channel logic) or a
message text that each channel's test wraps into its own payload shape (REST's
``{"sender", "message"}``, a Telegram update, a MAX ``Update``, a VK event, a socket.io
``user_uttered``). The expected outcome is the same on every channel: the status of the
refusal (HTTP channels answer it; messaging channels cannot show it), whether the patient
is told something (``told``: which text of :mod:`bot.channels.texts`), and — always — that
nothing of it reaches Rasa.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.channels.limits import MAX_BODY_BYTES, MAX_MESSAGE_CHARS
from bot.channels.rate_limit import DEFAULT_BURST


@dataclass(frozen=True)
class BadInput:
    name: str
    status: int
    body: bytes | None = None
    text: str | None = None
    told: str | None = None  # "too_long" | "too_many" | None
    repeat: int = 1  # a flood: the text sent this many times in a row


BODY_INPUTS = [
    BadInput("empty body", 400, body=b""),
    BadInput("huge body", 413, body=b'{"pad": "' + b"a" * (MAX_BODY_BYTES + 1) + b'"}'),
    BadInput("invalid UTF-8", 400, body=b'{"message": "\xff\xfe\xc3("}'),
    BadInput("malformed JSON", 400, body=b'{"message": '),
    BadInput("JSON that is not an object", 400, body=b"[1, 2]"),
]
TEXT_INPUTS = [
    BadInput("empty message", 400, text=""),
    BadInput("only spaces", 400, text="   "),
    BadInput("lone surrogate", 400, text="\ud800 hi"),
    BadInput("only NUL and control characters", 400, text="\x00\x00\x07"),
    BadInput("too long", 413, text="a" * (MAX_MESSAGE_CHARS + 1), told="too_long"),
]


def flood(burst: int = DEFAULT_BURST) -> BadInput:
    """One more message than a sender's burst allowance, sent at once."""
    return BadInput("flood", 429, text="hello", told="too_many", repeat=burst + 1)


#: A text that is cleaned, not refused: NUL and other control characters become spaces.
WITH_CONTROL_CHARACTERS = "what is\x00 LEMS\x1b?"
CLEANED = "what is  LEMS ?"
