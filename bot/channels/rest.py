"""REST channel for other integrations: Rasa's request/response shape, checked input.

``POST /webhooks/rest/webhook`` with ``{"sender": "…", "message": "…", "metadata": {…}?}``
answers ``[{"recipient_id", "text"?, "buttons"?, …}, …]`` exactly as Rasa's own
:class:`~rasa.core.channels.rest.RestInput` does, so existing clients keep working. What
changes is the handling of bad requests, which Rasa's connector gets wrong for a public
endpoint (answers 500 on a JSON list, files a message without ``sender`` under one shared
``"default"`` conversation, accepts any size): here the body is read as a stream and cut
off past :data:`~bot.channels.limits.MAX_BODY_BYTES` (413), malformed JSON or fields
get a 400 with a JSON ``{"status", "error"}`` that says what to fix, and a sender over its
rate (:mod:`bot.channels.rate_limit`) gets 429 with ``Retry-After``. All of that is the
shared input path, :mod:`bot.channels.pipeline`; this module only maps its outcomes to
HTTP answers.

A patient is never left without an answer: if the turn produced no message (an action
server unreachable: Rasa logs the error and goes on silently) and the conversation is not
paused for a person (:mod:`bot.channels.silence`), or a custom action of the turn failed,
the reply is "temporarily unavailable" (:data:`~bot.channels.texts.UNAVAILABLE`, in the
message's language: ``metadata.lang`` if the client sends it, else the text's script); if
the turn failed (the conversation's lock or tracker store unreachable) the answer is 503
with that text as the error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.limits import ChatMessage, RequestError
from bot.channels.pipeline import InputPipeline, Turn, read_json, unavailable_reply


def error_response(error: RequestError) -> HTTPResponse:
    """``{"status", "error"}`` with the error's status (and ``Retry-After`` for 429)."""
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after else None
    return response.json(error.as_json(), status=error.status, headers=headers)


class LimitedRestInput(RestInput):
    """Rasa's REST channel (same name and URL) with size limits and 4xx on bad requests."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def __init__(self) -> None:
        super().__init__()
        self.pipeline = InputPipeline(self.name())

    def admit(self, data: dict[str, Any]) -> ChatMessage | RequestError:
        """``{"sender", "message", "metadata"?}`` through the shared checks."""
        return self.pipeline.admit(data.get("sender"), data.get("message"), data.get("metadata"))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """``GET /`` (health) and ``POST /webhook`` under ``/webhooks/rest``."""
        webhook = Blueprint("limited_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            try:
                admitted = self.admit(await read_json(request))
            except RequestError as error:
                admitted = error
            if isinstance(admitted, RequestError):
                return error_response(admitted)
            message = admitted
            collector = CollectingOutputChannel()
            outcome, _ = await self.pipeline.run_turn(
                message, collector, on_new_message, getattr(request.app.ctx, "agent", None)
            )
            if outcome is Turn.ERROR:  # the client must learn the message was not handled
                return response.json(
                    {"status": 503, "error": unavailable_reply(message)},
                    status=503,
                    headers={"Retry-After": "5"},
                )
            if outcome is not Turn.ANSWERED:
                return response.json(
                    [{"recipient_id": message.sender, "text": unavailable_reply(message)}]
                )
            return response.json(collector.messages)

        return webhook
