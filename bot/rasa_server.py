"""The Rasa command line with the project's runtime fixes to Rasa 3.6 and log redaction.

``python -m bot.rasa_server run …`` takes exactly the arguments of ``python -m rasa run …``;
the launcher starts the Rasa server this way (``make run``, the tests, ``make bench``).

Why a wrapper and not a fork or a patched install: each fix replaces one small function of
the pinned Rasa release (3.6.21), is applied only to that release, and is checked against
Rasa's own behaviour in ``tests/test_rasa_server.py``. On any other Rasa version the fixes are
skipped with a warning, so an upgrade falls back to stock behaviour instead of breaking.

Fixes:

1. **Action-server responses are validated against a schema compiled once.** Stock Rasa
   calls ``jsonschema.validate`` on every custom action response; that first re-checks Rasa's
   large events schema against the JSON-Schema meta-schema, every time. Under load this was
   about 30 % of the Rasa server's CPU (py-spy profile, docs/benchmarks.md). Valid responses
   now take one pass of a prebuilt validator; an invalid response still goes through Rasa's
   own method, so the error raised and its message are exactly Rasa's.
2. **A custom action that could not run marks its turn as failed.** Stock Rasa logs the
   error and carries on; without TEDPolicy the next prediction is then often the core
   fallback ("Sorry, I can't help with that"), which hides the outage from the patient. The
   wrapper flags the turn's output channel (:func:`bot.channels.silence.mark_turn_failed`)
   and re-raises, so Rasa's own handling is unchanged and our channels answer "temporarily
   unavailable, please try again". A form's validation rejecting a value
   (``ActionExecutionRejection``) is normal dialogue, not a failure.

Always (any Rasa version): e-mail addresses and phone numbers are redacted from every log
record of the process (:mod:`bot.log_redaction`); the record factory is process-wide, so it
also covers loggers Rasa created before.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import rasa
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction

from bot import log_redaction
from bot.channels.silence import mark_turn_failed

logger = logging.getLogger(__name__)

#: The Rasa release the fixes were written against and tested with.
FIXED_RASA_VERSION = "3.6.21"

_STOCK_VALIDATE: Callable[[RemoteAction, dict[str, Any]], bool] = (
    RemoteAction._validate_action_result
)


@lru_cache(maxsize=1)
def action_response_validator() -> Validator:
    """Validator for action-server responses, with the schema itself checked once."""
    schema = RemoteAction.action_response_format_spec()
    cls = validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
    """Rasa's ``RemoteAction._validate_action_result`` without re-checking the schema per call."""
    if action_response_validator().is_valid(result):
        return True
    return _STOCK_VALIDATE(self, result)  # raises Rasa's own ValidationError


_STOCK_RUN = RemoteAction.run


async def run_remote_action(
    self: RemoteAction, output_channel: Any, nlg: Any, tracker: Any, domain: Any
) -> Any:
    """Rasa's ``RemoteAction.run``; a failure also flags the turn's output channel."""
    try:
        return await _STOCK_RUN(self, output_channel, nlg, tracker, domain)
    except ActionExecutionRejection:
        raise
    except Exception:
        mark_turn_failed(output_channel)
        raise


def apply_fixes(rasa_version: str = rasa.__version__) -> bool:
    """Install the fixes when running the Rasa release they were made for; say so either way."""
    if rasa_version != FIXED_RASA_VERSION:
        logger.warning(
            "Rasa %s is not %s: runtime fixes of bot.rasa_server not applied (stock behaviour)",
            rasa_version,
            FIXED_RASA_VERSION,
        )
        return False
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[assignment]
    RemoteAction.run = run_remote_action  # type: ignore[assignment]
    return True


def main(argv: Sequence[str] | None = None) -> None:
    """Redact logs, apply the fixes, then hand over to Rasa's command line (reads ``sys.argv``)."""
    import sys

    from rasa.__main__ import main as rasa_main

    if argv is not None:
        sys.argv = [sys.argv[0], *argv]
    log_redaction.install()
    apply_fixes()
    rasa_main()


if __name__ == "__main__":
    main()
