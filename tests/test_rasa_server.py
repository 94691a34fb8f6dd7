"""The Rasa runtime fixes behave exactly like stock Rasa, only faster (bot/rasa_server.py)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa_sdk import events as sdk_events

from bot import rasa_server

STOCK = rasa_server._STOCK_VALIDATE
ACTION = RemoteAction("action_answer", None)


def outcome(validate: Any, result: dict[str, Any]) -> str | None:
    """``None`` when accepted, else the message of the ValidationError raised."""
    try:
        assert validate(ACTION, result) is True
        return None
    except ValidationError as error:
        return error.message


VALID = [
    {"events": [], "responses": []},
    {},
    {
        "events": [
            sdk_events.SlotSet("cancer_history", True),
            sdk_events.ActiveLoop("referral_form"),
            sdk_events.ActiveLoop(None),
            sdk_events.FollowupAction("action_listen"),
            sdk_events.ConversationPaused(),
            sdk_events.ActionExecuted("action_listen"),
            sdk_events.Restarted(),
        ],
        "responses": [
            {"text": "Anti-Yo is an antibody.", "buttons": [{"title": "Yes", "payload": "/affirm"}]}
        ],
    },
]
INVALID = [
    {"events": [{"no_event_key": 1}]},
    {"events": [{"event": "not_a_rasa_event"}]},
    {"events": {"event": "slot"}},
    {"responses": "text"},
    {"responses": [3]},
    {"events": [{"event": "slot", "name": 5}]},
    [],
    "events",
]


@pytest.mark.parametrize("result", VALID)
def test_valid_responses_are_accepted_like_stock(result: dict[str, Any]) -> None:
    assert outcome(STOCK, result) is None
    assert outcome(rasa_server.validate_action_result, result) is None


@pytest.mark.parametrize("result", INVALID)
def test_invalid_responses_raise_stock_error(result: Any) -> None:
    stock = outcome(STOCK, result)
    assert stock is not None
    assert outcome(rasa_server.validate_action_result, result) == stock
    assert "Failed to validate Action server response" in stock


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
event_like = st.fixed_dictionaries(
    {
        "event": st.sampled_from(
            ["slot", "action", "bot", "user", "active_loop", "followup", "bogus"]
        )
    },
    optional={
        "name": json_values,
        "value": json_values,
        "text": json_values,
        "timestamp": json_values,
    },
)
responses = st.fixed_dictionaries(
    {},
    optional={"events": st.lists(event_like, max_size=4) | json_values, "responses": json_values},
)


@settings(max_examples=300, deadline=None)
@given(responses)
def test_same_verdict_as_stock_on_generated_responses(result: dict[str, Any]) -> None:
    assert outcome(rasa_server.validate_action_result, result) == outcome(STOCK, result)


def test_fixes_only_for_the_pinned_rasa(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RemoteAction, "_validate_action_result", STOCK)
    monkeypatch.setattr(RemoteAction, "run", rasa_server._STOCK_RUN)
    assert rasa_server.apply_fixes("3.7.0") is False
    assert RemoteAction._validate_action_result is STOCK
    assert rasa_server.apply_fixes(rasa_server.FIXED_RASA_VERSION) is True
    assert RemoteAction._validate_action_result is rasa_server.validate_action_result


def test_installed_rasa_is_the_fixed_release() -> None:
    """A Rasa upgrade must revisit the fixes (they are skipped on other versions)."""
    import rasa

    assert rasa.__version__ == rasa_server.FIXED_RASA_VERSION


def test_entry_point_runs_rasas_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot.rasa_server", "--version"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert rasa_server.FIXED_RASA_VERSION in done.stdout


# --- a custom action that could not run marks its turn as failed -------------------------

from aiohttp import web  # noqa: E402
from rasa.core.actions.action import ActionExecutionRejection  # noqa: E402
from rasa.core.channels.channel import CollectingOutputChannel  # noqa: E402
from rasa.core.nlg import TemplatedNaturalLanguageGenerator  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402
from rasa.utils.endpoints import EndpointConfig  # noqa: E402

from bot.channels.silence import turn_failed  # noqa: E402
from bot.local_services import free_port  # noqa: E402


async def call_action(output: CollectingOutputChannel, port: int) -> list:
    """Run a RemoteAction through the fix against the action endpoint on ``port``."""
    action = RemoteAction(
        "action_answer_knowledge", EndpointConfig(f"http://127.0.0.1:{port}/webhook")
    )
    domain = Domain.empty()
    return await rasa_server.run_remote_action(
        action,
        output,
        TemplatedNaturalLanguageGenerator(domain.responses),
        DialogueStateTracker("patient", domain.slots),
        domain,
    )


async def call_real_endpoint(
    output: CollectingOutputChannel, status: int, body: dict[str, Any]
) -> list:
    """The same against a real local HTTP server answering ``status`` with ``body``."""

    async def webhook(_request: web.Request) -> web.Response:
        return web.json_response(body, status=status)

    app = web.Application()
    app.router.add_post("/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        return await call_action(output, port)
    finally:
        await runner.cleanup()


async def test_answered_action_leaves_the_turn_ok() -> None:
    output = CollectingOutputChannel()
    events = await call_real_endpoint(
        output, 200, {"events": [], "responses": [{"text": "LEMS is a syndrome."}]}
    )
    assert not turn_failed(output)
    assert [e.text for e in events] == ["LEMS is a syndrome."]


async def test_unreachable_action_server_marks_the_turn_failed() -> None:
    output = CollectingOutputChannel()
    with pytest.raises(Exception) as raised:
        await call_action(output, free_port())  # nothing listens there
    assert not isinstance(raised.value, ActionExecutionRejection)
    assert turn_failed(output)


async def test_action_server_error_marks_the_turn_failed() -> None:
    output = CollectingOutputChannel()
    with pytest.raises(Exception):
        await call_real_endpoint(output, 500, {"error": "boom"})
    assert turn_failed(output)


async def test_form_rejection_is_dialogue_not_failure() -> None:
    output = CollectingOutputChannel()
    with pytest.raises(ActionExecutionRejection):
        await call_real_endpoint(
            output, 400, {"action_name": "validate_referral_form", "error": "no slot filled"}
        )
    assert not turn_failed(output)


def test_fixes_wrap_the_remote_action_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(RemoteAction, "run", rasa_server._STOCK_RUN)
    assert rasa_server.apply_fixes(rasa_server.FIXED_RASA_VERSION) is True
    assert RemoteAction.run is rasa_server.run_remote_action
