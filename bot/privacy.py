"""Staff commands for data-subject requests: ``python -m bot privacy export|erase ID``.

``export`` prints (or writes with ``-o``) everything stored for one conversation id, as JSON:
the tracker store's events and the KB's consent record, feedback and unanswered questions.
``erase`` deletes all of it, except the fact of the erasure (see :mod:`kb.privacy`). Both
write an entry into the staff audit log (``audit_event``: who, when, which conversation —
by its keyed hash, never the id itself — and how many rows).

The conversation id is what the channel uses: the Telegram chat id, the widget's session id,
the REST ``sender``. Stores are reached as the running assistant reaches them:

- SQL tracker store (``PNS_TRACKER_STORE_URL``): read and deleted directly;
- in-memory tracker store (one machine): through the running Rasa server's HTTP API (the
  conversation is erased by running ``action_erase_conversation`` in it). If no Rasa server
  is running, nothing of the conversation is left in memory.

Exit status: 0 done, 2 bad input, 4 a store could not be reached.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from bot.settings import Settings, load_settings, settings_environ
from kb.db import engine_for, session_scope
from kb.privacy import conversation_key, erase_conversation, export_conversation
from kb.staff import AuditEvent

logger = logging.getLogger(__name__)
HTTP_TIMEOUT_S = 30.0


class StoreUnavailable(RuntimeError):
    """A store that holds the conversation could not be reached."""


def _events_table() -> sa.TableClause:
    return sa.table(
        "events", sa.column("id"), sa.column("sender_id"), sa.column("data"), sa.column("timestamp")
    )


def sql_tracker_events(url: str, key: str) -> list[dict[str, Any]]:
    events = _events_table()
    with engine_for(url).connect() as connection:
        if not sa.inspect(connection).has_table("events"):
            return []
        rows = connection.execute(
            sa.select(events.c.data).where(events.c.sender_id == key).order_by(events.c.id)
        )
        return [json.loads(row[0]) for row in rows]


def sql_tracker_erase(url: str, key: str) -> int:
    events = _events_table()
    with engine_for(url).begin() as connection:
        if not sa.inspect(connection).has_table("events"):
            return 0
        return int(
            connection.execute(sa.delete(events).where(events.c.sender_id == key)).rowcount or 0
        )


def _rasa_call(settings: Settings, path: str, body: dict[str, Any] | None = None) -> Any:
    query = urllib.parse.urlencode({"token": settings.rasa_token or ""})
    request = urllib.request.Request(
        f"{settings.rasa_url}{path}?{query}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="GET" if body is None else "POST",
    )
    with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT_S) as response:
        return json.loads(response.read() or b"null")


def _rasa_running(settings: Settings) -> bool:
    try:
        urllib.request.urlopen(f"{settings.rasa_url}/", timeout=5).close()
        return True
    except OSError:
        return False


def memory_tracker_events(settings: Settings, conversation_id: str) -> list[dict[str, Any]]:
    if not _rasa_running(settings):
        return []
    quoted = urllib.parse.quote(conversation_id, safe="")
    try:
        tracker = _rasa_call(settings, f"/conversations/{quoted}/tracker")
    except (OSError, ValueError) as exc:
        raise StoreUnavailable(f"Rasa server at {settings.rasa_url}: {exc}") from exc
    events = tracker.get("events") or []
    # asking for a conversation that does not exist returns a new one without user messages
    return events if any(e.get("event") == "user" for e in events) else []


def memory_tracker_erase(settings: Settings, conversation_id: str) -> int:
    if not _rasa_running(settings):
        return 0
    quoted = urllib.parse.quote(conversation_id, safe="")
    try:
        # the intent, as staff (token): the erasing rule runs and the store forgets the
        # conversation when it saves the turn (actions.privacy.erasure_confirmed)
        _rasa_call(settings, f"/conversations/{quoted}/trigger_intent", {"name": "request_erasure"})
    except (OSError, ValueError) as exc:
        raise StoreUnavailable(f"Rasa server at {settings.rasa_url}: {exc}") from exc
    return 1


def audit(kb_url: str, user: str, action: str, key: str, detail: str) -> None:
    with session_scope(kb_url) as session:
        session.add(
            AuditEvent(
                username=user[:64],
                client="cli",
                action=action,
                item_ref=f"conversation:{key}",
                detail=detail,
            )
        )


def export(settings: Settings, env: dict[str, str], conversation_id: str) -> dict[str, Any]:
    key = conversation_key(conversation_id)
    url = env.get("PNS_TRACKER_STORE_URL")
    events = (
        sql_tracker_events(url, key) if url else memory_tracker_events(settings, conversation_id)
    )
    with session_scope(settings.database_url) as session:
        kb_rows = export_conversation(session, key)
    return {
        "conversation_id": conversation_id,
        "conversation_key": key,
        "tracker_store": "sql" if url else "memory",
        "tracker_events": events,
        **kb_rows,
    }


def erase(settings: Settings, env: dict[str, str], conversation_id: str) -> dict[str, int]:
    key = conversation_key(conversation_id)
    url = env.get("PNS_TRACKER_STORE_URL")
    tracker_rows = (
        sql_tracker_erase(url, key) if url else memory_tracker_erase(settings, conversation_id)
    )
    with session_scope(settings.database_url) as session:
        report = erase_conversation(session, key)
    return {
        "tracker_events": tracker_rows,
        "feedback": report.feedback,
        "unanswered_questions": report.unanswered,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot privacy",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("action", choices=["export", "erase"])
    parser.add_argument("conversation_id", help="the channel's conversation (sender) id")
    parser.add_argument("--user", default=os.environ.get("PNS_KB_USER"), help="who you are")
    parser.add_argument("-o", "--output", type=Path, help="export: write the JSON here")
    args = parser.parse_args(argv)
    if not args.user:
        parser.error("say who you are: --user NAME or PNS_KB_USER (written into the audit log)")
    if not args.conversation_id.strip():
        parser.error("the conversation id is empty")
    settings, env = load_settings(), settings_environ()
    try:
        if args.action == "export":
            data = export(settings, env, args.conversation_id)
            text = json.dumps(data, ensure_ascii=False, indent=2)
            if args.output:
                args.output.write_text(text + "\n", encoding="utf-8")
                args.output.chmod(0o600)
            else:
                print(text)
            detail = (
                f"exported {len(data['tracker_events'])} events, {len(data['feedback'])} "
                f"feedback, {len(data['unanswered_questions'])} questions"
            )
            audit(
                settings.database_url, args.user, "privacy_export", data["conversation_key"], detail
            )
        else:
            counts = erase(settings, env, args.conversation_id)
            detail = ", ".join(f"{v} {k}" for k, v in counts.items()) + " erased"
            audit(
                settings.database_url,
                args.user,
                "privacy_erase",
                conversation_key(args.conversation_id),
                detail,
            )
            print(detail)
    except (StoreUnavailable, SQLAlchemyError, urllib.error.URLError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 4
    return 0
