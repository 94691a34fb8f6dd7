"""Size limits and shape checks shared by the input channels.

One place decides how much a client may send, so every channel (REST, the widget,
Telegram, MAX, VK) treats a long or malformed message the same way: it is refused before
it reaches NLU (which would spend seconds of CPU on a pasted book) or the tracker store.
The channels call these checks through :mod:`bot.channels.pipeline`, never on their own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Largest request body a channel reads (a chat message plus metadata fits many times).
MAX_BODY_BYTES = 64 * 1024
#: Longest message text; longer ones are refused with an explanation (the widget's
#: input field has the same ``maxlength``).
MAX_MESSAGE_CHARS = 2000
#: Longest conversation id a client may choose.
MAX_SENDER_CHARS = 128

#: Conversation ids that clients may pick for themselves (widget sessions, REST senders):
#: printable, no spaces or slashes, so they are safe in URLs and logs.
SENDER_ID = re.compile(rf"^[A-Za-z0-9_.:@+=-]{{1,{MAX_SENDER_CHARS}}}$")


class RequestError(ValueError):
    """A client error: the HTTP status to answer with and a message saying what to fix.

    ``kind`` names the refusals a patient can do something about (``"too_long"``,
    ``"too_many"``): messaging channels, which cannot show an HTTP status, tell the patient
    in the chat (:mod:`bot.channels.texts`); other refusals are not the patient's doing.
    """

    def __init__(
        self, status: int, message: str, kind: str | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind
        self.retry_after = retry_after

    def as_json(self) -> dict[str, Any]:
        """The response body, the same shape on every channel."""
        return {"status": self.status, "error": self.message}


def parse_json_object(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object, or :class:`RequestError` (400/413) saying why not."""
    if len(body) > MAX_BODY_BYTES:
        raise RequestError(413, f"request body is larger than {MAX_BODY_BYTES} bytes")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise RequestError(400, f"request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise RequestError(400, "request body must be a JSON object")
    return data


#: C0/C1 control characters except tab, newline and carriage return: invisible, useless to
#: NLU, and NUL cannot be stored in PostgreSQL text at all (the turn would be lost).
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_text(text: str, field_name: str = "message") -> str:
    """``text`` with control characters replaced by spaces; 400 if it is not Unicode text.

    JSON may carry lone surrogates (``"\\ud800"``), which no database or log can encode.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise RequestError(400, f"'{field_name}' is not valid Unicode text") from None
    return CONTROL_CHARS.sub(" ", text)


def clean_metadata(value: Any) -> Any:
    """``metadata`` with every string cleaned like a message (it is stored with the turn)."""
    if isinstance(value, str):
        return clean_text(value, "metadata")
    if isinstance(value, dict):
        return {clean_metadata(k): clean_metadata(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_metadata(v) for v in value]
    return value


def check_text(text: object) -> str:
    """A message text, cleaned: 400 if empty or not Unicode text, 413 if too long."""
    if not isinstance(text, str) or not text.strip():
        raise RequestError(400, "'message' must be a non-empty string")
    text = clean_text(text)
    if not text.strip():
        raise RequestError(400, "'message' must contain text, not only control characters")
    if len(text) > MAX_MESSAGE_CHARS:
        raise RequestError(
            413, f"'message' is longer than {MAX_MESSAGE_CHARS} characters", kind="too_long"
        )
    return text


@dataclass(frozen=True)
class ChatMessage:
    """A checked incoming message: who sends it, the text, optional metadata."""

    sender: str
    text: str
    metadata: dict[str, Any] | None


def check_message(data: Mapping[str, Any]) -> ChatMessage:
    """Validate ``{"sender", "message", "metadata"?}`` (the REST channel's request shape)."""
    sender = data.get("sender")
    if isinstance(sender, int) and not isinstance(sender, bool):
        sender = str(sender)  # Rasa's channel accepted numbers (chat ids); keep them working
    if not isinstance(sender, str) or not SENDER_ID.match(sender):
        raise RequestError(
            400,
            f"'sender' must be a string of 1 to {MAX_SENDER_CHARS} letters, digits or _.:@+=- "
            "(one id per conversation)",
        )
    text = check_text(data.get("message"))
    metadata = data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise RequestError(400, "'metadata' must be a JSON object if given")
    return ChatMessage(sender, text, clean_metadata(metadata))
