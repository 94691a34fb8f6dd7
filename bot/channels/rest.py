"""REST channel for other integrations: Rasa's request/response shape, checked input.

``POST /webhooks/rest/webhook`` with ``{"sender": "…", "message": "…", "metadata": {…}?}``
answers ``[{"recipient_id", "text"?, "buttons"?, …}, …]`` exactly as Rasa's own
:class:`~rasa.core.channels.rest.RestInput` does, so existing clients keep working. What
changes is the handling of bad requests, which Rasa's connector gets wrong for a public
endpoint (answers 500 on a JSON list, files a message without ``sender`` under one shared
``"default"`` conversation, accepts any size): here the body is read as a stream and cut
off past :data:`~bot.channels.limits.MAX_BODY_BYTES` (413), malformed JSON or fields
get a 400 with a JSON ``{"status", "error"}`` that says what to fix, and a sender over its
rate (:mod:`bot.channels.rate_limit`) gets 429 with ``Retry-After``.

A patient is never left without an answer: if the turn produced no message (an action
server unreachable: Rasa logs the error and goes on silently) and the conversation is not
paused for a person (:mod:`bot.channels.silence`), or a custom action of the turn failed,
the reply is :data:`~bot.channels.limits.UNAVAILABLE_REPLY`; if the turn failed (the conversation's
lock or tracker store unreachable) the answer is 503 with that text as the error.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.limits import (
    MAX_BODY_BYTES,
    UNAVAILABLE_REPLY,
    RequestError,
    check_message,
    parse_json_object,
)
from bot.channels.rate_limit import RateLimiter
from bot.channels.silence import silence_expected, turn_failed

logger = logging.getLogger(__name__)


async def read_limited_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The request body, refusing (413) as soon as it is known to exceed ``limit``.

    The route is declared with ``stream=True`` so Sanic does not buffer the body first
    (its own limit is 100 MB and global to Rasa's HTTP API, which uploads models).
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


class LimitedRestInput(RestInput):
    """Rasa's REST channel (same name and URL) with size limits and 4xx on bad requests."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def __init__(self) -> None:
        super().__init__()
        self.rate_limiter = RateLimiter.from_environ()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """``GET /`` (health) and ``POST /webhook`` under ``/webhooks/rest``."""
        webhook = Blueprint("limited_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            try:
                message = check_message(parse_json_object(await read_limited_body(request)))
            except RequestError as error:
                return response.json(error.as_json(), status=error.status)
            allowed, wait_s = self.rate_limiter.allow(message.sender)
            if not allowed:
                retry = str(max(1, round(wait_s)))
                return response.json(
                    {"status": 429, "error": f"too many messages; try again in {retry} s"},
                    status=429,
                    headers={"Retry-After": retry},
                )
            collector = CollectingOutputChannel()
            try:
                await on_new_message(
                    UserMessage(
                        message.text,
                        collector,
                        message.sender,
                        input_channel=self.name(),
                        metadata=message.metadata,
                    )
                )
            except Exception:  # the client must learn the message was not handled
                logger.exception("REST message from %s could not be handled", message.sender)
                return response.json(
                    {"status": 503, "error": UNAVAILABLE_REPLY},
                    status=503,
                    headers={"Retry-After": "5"},
                )
            if turn_failed(collector):
                logger.error(
                    "a custom action failed in a turn of %s (action server unreachable?)",
                    message.sender,
                )
                return response.json([{"recipient_id": message.sender, "text": UNAVAILABLE_REPLY}])
            if not collector.messages and not await silence_expected(
                getattr(request.app.ctx, "agent", None), message.sender
            ):
                logger.error(
                    "no reply to a message of %s (action server unreachable?)", message.sender
                )
                return response.json([{"recipient_id": message.sender, "text": UNAVAILABLE_REPLY}])
            return response.json(collector.messages)

        return webhook
