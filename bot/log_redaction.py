"""Keep patients' identifiers (e-mail, phone, document numbers, names) out of the servers' logs.

Patients type contact details into the chat; Rasa and Sanic log message texts (at debug
level, in exceptions, in warnings about unparsable input). Every log record of the
process is redacted when it is created — before any handler, file or formatter sees it —
with the same patterns the tracker store and the KB use (:mod:`kb.redaction`, their one home).
"""

from __future__ import annotations

import logging
from typing import Any

from kb.redaction import redact


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """``record`` with its formatted message redacted (arguments folded in)."""
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: leave it to logging's own error report
        return record
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, ()
    return record


def install() -> None:
    """Redact every log record created in this process from now on (idempotent)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "pns_redacting", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(previous(*args, **kwargs))

    factory.pns_redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
