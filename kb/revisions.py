"""Versions of content items: storing them, finding them, and showing what changed.

Every change to an item — a staff edit or import, a rollback, a seed load — becomes a
:class:`~kb.models.Revision` row holding the complete payload, the author, the time and a
unified diff against the version it was made from. The workflow rules that move revisions
between states live in :mod:`kb.review`; this module only records and reads.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kb.items import Ref, parse_ref, payload_of
from kb.models import OPEN_STATES, Revision
from kb.payloads import to_record


def now() -> datetime:
    return datetime.now(UTC)


def dump_payload(payload: Mapping[str, Any]) -> str:
    """Stable JSON (sorted keys), so equal payloads are equal strings on every database."""
    return json.dumps(payload, sort_keys=True, ensure_ascii=False)


def payload_hash(item: Mapping[str, Any]) -> str:
    """A stable hash of a payload (what the seed loader compares rows by)."""
    return hashlib.sha256(dump_payload(item).encode()).hexdigest()


def payload(revision: Revision) -> dict[str, Any]:
    return json.loads(revision.payload)


# --------------------------------------------------------------------------- rendering


class _Dumper(yaml.SafeDumper):
    """YAML for people: multi-line texts as ``|`` blocks, so diffs show changed paragraphs."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def to_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def render(ref: Ref, item: Mapping[str, Any] | None) -> str:
    """An item as staff read it in ``show``, ``$EDITOR`` and diffs (empty if it has none)."""
    return "" if item is None else to_yaml(to_record(ref, item))


def make_diff(
    ref: Ref,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    old_label: str,
    new_label: str,
) -> str:
    lines = difflib.unified_diff(
        render(ref, old).splitlines(keepends=True),
        render(ref, new).splitlines(keepends=True),
        fromfile=f"{ref} {old_label}",
        tofile=f"{ref} {new_label}",
    )
    return "".join(lines)


def pending_diff(ref: Ref, live: Mapping[str, Any] | None, pending: Revision) -> str:
    """What publishing the open change ``pending`` would change in the live item."""
    return make_diff(
        ref, live, payload(pending), "published", f"v{pending.version} ({pending.status})"
    )


def when(moment: datetime | None) -> str:
    """A stored time in UTC, whatever the database gave back (SQLite drops the zone)."""
    if moment is None:
        return "-"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def search(items: Mapping[Ref, Mapping[str, Any]], needle: str) -> dict[Ref, str]:
    """Items whose reference or text contains ``needle`` (any case), with the first line found."""
    needle = needle.lower()
    found: dict[Ref, str] = {}
    for ref, item in items.items():
        lines = [str(ref), *render(ref, item).splitlines()]
        hits = [line.strip() for line in lines if needle in line.lower()]
        if hits:
            found[ref] = hits[0]
    return found


def history_line(r: Revision) -> str:
    """One version in a history list: who, when, how, reviewed and published by (CLI and admin)."""
    line = f"v{r.version:<3} {r.status:<10} {r.action:<8} {when(r.created_at)}  by {r.author}"
    if r.reviewed_by:
        line += f", reviewed by {r.reviewed_by}"
    if r.published_at:
        line += f", published by {r.published_by} {when(r.published_at)}"
    return line + (f"  — {r.message}" if r.message else "")


# --------------------------------------------------------------------------- queries


def versions(session: Session, ref: Ref) -> list[Revision]:
    return list(
        session.execute(
            select(Revision).where(Revision.item_ref == str(ref)).order_by(Revision.version)
        ).scalars()
    )


def version(session: Session, ref: Ref, number: int) -> Revision | None:
    return session.execute(
        select(Revision).where(Revision.item_ref == str(ref), Revision.version == number)
    ).scalar_one_or_none()


def published(session: Session, ref: Ref) -> Revision | None:
    """The revision whose payload is live, if the item has a recorded history."""
    return session.execute(
        select(Revision).where(Revision.item_ref == str(ref), Revision.status == "published")
    ).scalar_one_or_none()


def open_revision(session: Session, ref: Ref) -> Revision | None:
    """The undecided change of an item (draft, in review or approved), if any."""
    return session.execute(
        select(Revision).where(Revision.item_ref == str(ref), Revision.status.in_(OPEN_STATES))
    ).scalar_one_or_none()


def open_revisions(session: Session, statuses: Iterable[str] = OPEN_STATES) -> dict[Ref, Revision]:
    rows = session.execute(select(Revision).where(Revision.status.in_(tuple(statuses)))).scalars()
    return {parse_ref(r.item_ref): r for r in rows}


def published_revisions(session: Session) -> dict[Ref, Revision]:
    rows = session.execute(select(Revision).where(Revision.status == "published")).scalars()
    return {parse_ref(r.item_ref): r for r in rows}


def last_version(session: Session, ref: Ref) -> int:
    return session.execute(
        select(func.coalesce(func.max(Revision.version), 0)).where(Revision.item_ref == str(ref))
    ).scalar_one()


# --------------------------------------------------------------------------- recording


@dataclass(frozen=True)
class Change:
    """Who made a change and how (the parts of a revision the caller decides)."""

    author: str
    action: str
    message: str | None = None


def record(
    session: Session,
    ref: Ref,
    item: Mapping[str, Any],
    change: Change,
    status: str,
    parent: Mapping[str, Any] | None,
    parent_label: str,
    base_version: int | None,
) -> Revision:
    """Store a new version of ``ref``; its diff is taken against ``parent``."""
    number = last_version(session, ref) + 1
    revision = Revision(
        item_ref=str(ref),
        version=number,
        status=status,
        action=change.action,
        payload=dump_payload(item),
        diff=make_diff(ref, parent, item, parent_label, f"v{number}"),
        base_version=base_version,
        message=change.message,
        author=change.author,
        created_at=now(),
    )
    session.add(revision)
    session.flush()
    return revision


def record_published(
    session: Session,
    ref: Ref,
    item: Mapping[str, Any],
    change: Change,
    previous: Mapping[str, Any] | None,
    reviewed_by: str | None = None,
) -> Revision:
    """Record a version that is already live (seed loads, rollbacks, publishing a baseline)."""
    current = published(session, ref)
    label = f"v{current.version}" if current else "(live)" if previous is not None else "(new)"
    if current is not None:
        current.status = "superseded"
        session.flush()
    revision = record(
        session,
        ref,
        item,
        change,
        "published",
        previous,
        label,
        current.version if current else None,
    )
    revision.reviewed_by = reviewed_by
    revision.published_by, revision.published_at = change.author, revision.created_at
    return revision


def record_baseline(session: Session, ref: Ref, row: Any) -> Revision:
    """Give a live item without history its first version (content from before the workflow).

    Its author is ``seed`` if the row still holds what the seed loader wrote, else ``unknown``.
    """
    item = payload_of(ref, row)
    author = "seed" if getattr(row, "seed_hash", None) == payload_hash(item) else "unknown"
    return record_published(session, ref, item, Change(author, "baseline"), None)
