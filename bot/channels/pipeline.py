"""The one input path every channel uses, from request body to the patient's answer.

Each channel (REST, socket.io, Telegram, MAX, VK) keeps only what is its own — how it
authenticates, the shape of its payload, how it sends buttons — and hands everything else
to this module, in this order:

1. :func:`read_body` — read the body as a stream within
   :data:`~bot.channels.limits.MAX_BODY_BYTES` (413 as soon as it is known to be larger);
2. :func:`~bot.channels.limits.parse_json_object` — a JSON object or 400;
3. :meth:`InputPipeline.accept` — validate sender and metadata, clean control characters,
   refuse empty text (400) and over-long text (413), then the per-sender rate limit (429);
4. :meth:`InputPipeline.run_turn` — hand the message to Rasa and report whether the turn
   was answered, failed (a custom action could not run; an exception) or came back silent
   when it should not have (:mod:`bot.channels.silence`);
5. :meth:`InputPipeline.answer` — for channels that push replies, the "temporarily
   unavailable" reply in the conversation's language when the turn was not answered.

Why one path: the channels had drifted apart (only REST was rate-limited, Telegram did not
clean control characters or say "temporarily unavailable", the length check existed three
times). A refusal is one :class:`~bot.channels.limits.RequestError` with the same status on
every channel; an HTTP client sees the status, a messaging channel tells the patient when
there is something they can do (:meth:`InputPipeline.refusal_reply`).
"""

from __future__ import annotations

import enum
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from rasa.core.channels.channel import OutputChannel, UserMessage
from sanic.request import Request

from bot.channels.limits import (
    MAX_BODY_BYTES,
    ChatMessage,
    RequestError,
    check_message,
    parse_json_object,
)
from bot.channels.rate_limit import RateLimiter
from bot.channels.silence import silence_expected, turn_failed
from bot.channels.texts import TOO_LONG, TOO_MANY, UNAVAILABLE, message_language, say

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
#: Senders remembered as "already told they are over the rate limit" (oldest forgotten).
MAX_TOLD = 10_000


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, refusing (413) as soon as it is known to exceed ``limit``.

    Routes using it are declared with ``stream=True`` so Sanic does not buffer the body
    first (its own limit is 100 MB and global to Rasa's HTTP API, which uploads models).
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestError(413, f"request body is larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.stream.read()
        if chunk is None:
            break
        size += len(chunk)
        if size > limit:
            raise RequestError(413, f"request body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request) -> dict[str, Any]:
    """Steps 1-2: the body as a JSON object, or :class:`RequestError` (400/413)."""
    return parse_json_object(await read_body(request))


class Turn(enum.Enum):
    """How a turn ended, as far as the channel can tell."""

    ANSWERED = "answered"
    #: A custom action of the turn could not run (``bot.rasa_server`` flags the output).
    FAILED = "failed"
    #: No message at all, and the conversation is not paused for a person.
    SILENT = "silent"
    #: Rasa raised: the lock or tracker store unreachable, say.
    ERROR = "error"


class TurnOutput(OutputChannel):
    """One turn's view of a channel's output: passes everything on and counts it.

    Messaging channels share one output object (one HTTP session) between all turns; the
    failure flag and the count must be per turn, so each turn gets its own wrapper.
    """

    def __init__(self, target: OutputChannel) -> None:
        self.target = target
        self.sent = 0

    def name(self) -> str:  # type: ignore[override]  # the target's, for channel responses
        return self.target.name()

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.sent += 1
        await self.target.send_response(recipient_id, message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self.sent += 1
        await self.target.send_text_message(recipient_id, text, **kwargs)


class InputPipeline:
    """Checks, rate limit and turn handling of one channel (one per channel instance)."""

    def __init__(self, channel: str, limiter: RateLimiter | None = None) -> None:
        self.channel = channel
        self.limiter = limiter or RateLimiter.from_environ()
        self._told: OrderedDict[str, None] = OrderedDict()

    def accept(self, sender: object, text: object, metadata: object = None) -> ChatMessage:
        """Step 3: the checked message, or :class:`RequestError` saying why not.

        Validation comes before the rate limit, so refused junk does not use up a
        sender's allowance, and a flood of valid messages is cut off after the burst.
        """
        message = check_message({"sender": sender, "message": text, "metadata": metadata})
        allowed, wait_s = self.limiter.allow(message.sender)
        if not allowed:
            retry = max(1, round(wait_s))
            raise RequestError(
                429,
                f"too many messages; try again in {retry} s",
                kind="too_many",
                retry_after=retry,
            )
        self._told.pop(message.sender, None)
        return message

    def admit(
        self, sender: object, text: object, metadata: object = None
    ) -> ChatMessage | RequestError:
        """:meth:`accept` for channels that answer later: the refusal as a value.

        Webhook messengers check a message when it arrives (so the rate limit counts
        arrivals, not the pace at which turns finish) and handle it in the background.
        """
        try:
            return self.accept(sender, text, metadata)
        except RequestError as error:
            return error

    async def deliver(
        self,
        admitted: ChatMessage | RequestError,
        text: object,
        metadata: Mapping[str, Any] | None,
        output: OutputChannel,
        on_new_message: OnNewMessage,
        agent: Any | None,
        recipient: str,
    ) -> Turn | None:
        """For channels that push replies: the patient's answer to an admitted message, or
        what to tell them about a refused one (None: nothing was handed to Rasa)."""
        if isinstance(admitted, RequestError):
            reply = self.refusal_reply(admitted, recipient, text, metadata)
            if reply:
                await self.send_safely(output, recipient, reply)
            return None
        return await self.answer(admitted, output, on_new_message, agent)

    def refusal_reply(
        self,
        error: RequestError,
        sender: str,
        text: object,
        metadata: Mapping[str, Any] | None = None,
    ) -> str | None:
        """What to tell the patient about a refused message, if there is something to say.

        Over-long text gets the explanation every time; a flood gets "please wait" once
        until a message passes again (answering every message of a flood would flood the
        platform's API on our side). Malformed input is not the patient's doing: nothing.
        """
        lang = message_language(text if isinstance(text, str) else None, metadata)
        if error.kind == "too_long":
            return say(TOO_LONG, lang)
        if error.kind == "too_many" and sender not in self._told:
            self._told[sender] = None
            if len(self._told) > MAX_TOLD:
                self._told.popitem(last=False)
            return say(TOO_MANY, lang)
        return None

    async def run_turn(
        self,
        message: ChatMessage,
        output: OutputChannel,
        on_new_message: OnNewMessage,
        agent: Any | None,
    ) -> tuple[Turn, TurnOutput]:
        """Step 4: hand ``message`` to Rasa; how the turn ended and what it sent."""
        turn = TurnOutput(output)
        try:
            await on_new_message(
                UserMessage(
                    message.text,
                    turn,
                    message.sender,
                    input_channel=self.channel,
                    metadata=message.metadata,
                )
            )
        except Exception:  # the patient must learn the message was not handled
            logger.exception(
                "%s: a message of %s could not be handled", self.channel, message.sender
            )
            return Turn.ERROR, turn
        if turn_failed(turn):
            logger.error(
                "%s: a custom action failed in a turn of %s (action server unreachable?)",
                self.channel,
                message.sender,
            )
            return Turn.FAILED, turn
        if not turn.sent and not await silence_expected(agent, message.sender):
            logger.error(
                "%s: no reply to a message of %s (action server unreachable?)",
                self.channel,
                message.sender,
            )
            return Turn.SILENT, turn
        return Turn.ANSWERED, turn

    async def answer(
        self,
        message: ChatMessage,
        output: OutputChannel,
        on_new_message: OnNewMessage,
        agent: Any | None,
    ) -> Turn:
        """Step 5, for channels that push replies: run the turn; if it was not answered,
        send the "temporarily unavailable" reply in the conversation's language."""
        outcome, _ = await self.run_turn(message, output, on_new_message, agent)
        if outcome is not Turn.ANSWERED:
            await self.send_safely(output, message.sender, unavailable_reply(message))
        return outcome

    async def send_safely(self, output: OutputChannel, recipient: str, text: str) -> None:
        """Send ``text``; a failure to reach the platform is logged, never raised."""
        try:
            await output.send_text_message(recipient, text)
        except Exception:
            logger.exception("%s: could not send a reply to %s", self.channel, recipient)


def unavailable_reply(message: ChatMessage) -> str:
    """ "Temporarily unavailable" in the language of ``message``."""
    return say(UNAVAILABLE, message_language(message.text, message.metadata))
