"""The review workflow: draft → in review → approved → published, with history and rollback.

Design. The live content tables (``entity``, ``answer``, ``phrase``…) hold exactly one
version of each item: the published one. Everything not yet published — drafts, changes in
review, approved changes — and every earlier version lives in ``content_revision`` (one row
per version of an item, with its complete payload, author, time and diff). So:

* the bot's read path (:mod:`kb.answers`, :mod:`kb.vocabulary`) stays the plain, indexed
  queries it always was, with no status filter to forget: a draft cannot reach a patient
  because it is not in the tables the bot reads;
* publishing is the one moment live rows change: the revision's payload is written into the
  live tables and the revision marked ``published`` in the same transaction;
* history is complete and self-contained: any version can be shown, diffed or restored
  without replaying anything.

Rules (:class:`~kb.errors.ReviewError` when broken):

* an item has at most one open change; editing again supersedes it (its text is kept);
* publishing needs a reviewer other than the author: ``approve`` and ``publish`` refuse the
  author of the revision; ``publish`` of a change still in review approves it on the way;
* a change made against version N cannot be published once another version went live (it
  would silently undo that one); it must be edited again on top of the new version;
* ``rollback`` restores a version that was published before. Its text was reviewed then, so
  it goes live at once (an undo must not wait for a second person); it is recorded as a new
  version by the user who rolled back, naming the original reviewer;
* seed content is reviewed in the repository before it ships; the loader records it as
  published by ``seed``. ``seed`` and ``unknown`` are not staff names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from kb import revisions
from kb.errors import ContentError, ReviewError
from kb.items import LiveContent, Ref, sorted_refs
from kb.models import Revision
from kb.payloads import check_synonym_clashes, known_in, merged_view, recheck
from kb.revisions import Change

#: Names the system uses for content nobody on the staff wrote in the database.
RESERVED_USERS: frozenset[str] = frozenset({"seed", "unknown"})
MAX_USER = 64


def check_user(user: str | None) -> str:
    """The staff member's name, or a :class:`ReviewError` saying how to give one."""
    name = (user or "").strip()
    if not name:
        raise ReviewError("who are you? give --user NAME or set PNS_KB_USER")
    if name.lower() in RESERVED_USERS:
        raise ReviewError(
            f"{name!r} is reserved for content not written by staff; use your own name"
        )
    if len(name) > MAX_USER:
        raise ReviewError(f"user name longer than {MAX_USER} characters")
    return name


def _open(session: Session, ref: Ref, states: Sequence[str], doing: str) -> Revision:
    revision = revisions.open_revision(session, ref)
    if revision is None:
        raise ReviewError(f"{ref}: nothing to {doing}: no open change (edit or import one first)")
    if revision.status not in states:
        raise ReviewError(
            f"{ref}: cannot {doing} v{revision.version}: it is {revision.status.replace('_', ' ')}"
        )
    return revision


# --------------------------------------------------------------------------- drafts


def save_draft(
    session: Session,
    ref: Ref,
    item: Mapping[str, Any],
    change: Change,
    live: LiveContent | None = None,
) -> Revision | None:
    """Record ``item`` as a draft of ``ref``; None if it equals what is already there."""
    check_user(change.author)
    live = live or LiveContent(session)
    current_open = revisions.open_revision(session, ref)
    current_published = revisions.published(session, ref)
    row = live.row(ref)
    if current_published is None and row is not None:
        current_published = revisions.record_baseline(session, ref, row)
    if current_open is not None:
        parent, label = revisions.payload(current_open), f"v{current_open.version}"
        base = current_open.base_version
    else:
        parent = live.payload(ref)
        label = f"v{current_published.version}" if current_published else "(new)"
        base = current_published.version if current_published else None
    if parent == dict(item):
        return None
    if current_open is not None:
        current_open.status = "superseded"
        session.flush()
    return revisions.record(session, ref, item, change, "draft", parent, label, base)


def submit(session: Session, ref: Ref, user: str) -> Revision:
    """Ask for review: the draft is frozen until it is approved, rejected or edited again."""
    check_user(user)
    revision = _open(session, ref, ("draft",), "submit")
    revision.status, revision.submitted_at = "in_review", revisions.now()
    return revision


def approve(session: Session, ref: Ref, user: str) -> Revision:
    user = check_user(user)
    revision = _open(session, ref, ("in_review",), "approve")
    _check_reviewer(ref, revision, user, "approve")
    revision.status, revision.reviewed_by, revision.reviewed_at = "approved", user, revisions.now()
    return revision


def reject(session: Session, ref: Ref, user: str, message: str) -> Revision:
    """Close an open change without publishing it (an author may withdraw their own)."""
    revision = _open(session, ref, ("draft", "in_review", "approved"), "reject")
    revision.status, revision.reviewed_by, revision.reviewed_at = (
        "rejected",
        check_user(user),
        revisions.now(),
    )
    revision.message = "\n".join(filter(None, [revision.message, f"rejected: {message}"]))
    return revision


def _check_reviewer(ref: Ref, revision: Revision, user: str, doing: str) -> None:
    if revision.author.casefold() == user.casefold():  # "Alice" is still alice
        raise ReviewError(
            f"{ref}: {user} wrote v{revision.version}; a reviewer other than the author "
            f"must {doing} it"
        )


# --------------------------------------------------------------------------- going live


def _check_publishable(
    live: LiveContent, batch: Mapping[Ref, Mapping[str, Any]], where: Mapping[Ref, str]
) -> None:
    """References resolve and synonyms stay unique once ``batch`` is live."""
    view = merged_view(live.items(), batch)
    known = known_in(view)
    for ref, item in batch.items():
        recheck(ref, item, where[ref], known)
    check_synonym_clashes(view, where)


def publish(session: Session, refs: Iterable[Ref], user: str) -> list[Revision]:
    """Make the approved (or in-review) changes of ``refs`` live, all or none."""
    user = check_user(user)
    live = LiveContent(session)
    chosen: dict[Ref, Revision] = {}
    for ref in sorted_refs(set(refs)):
        revision = _open(session, ref, ("in_review", "approved"), "publish")
        _check_reviewer(ref, revision, user, "publish")
        current = revisions.published(session, ref)
        if (current.version if current else None) != revision.base_version:
            raise ReviewError(
                f"{ref}: v{revision.version} was made against v{revision.base_version}, but "
                f"v{current.version if current else '?'} went live since; edit it again"
            )
        chosen[ref] = revision
    batch = {ref: revisions.payload(r) for ref, r in chosen.items()}
    _check_publishable(live, batch, {ref: f"{ref} v{r.version}" for ref, r in chosen.items()})
    live.write(batch)
    moment = revisions.now()
    for ref, revision in chosen.items():
        current = revisions.published(session, ref)
        if current is not None:
            current.status = "superseded"
            session.flush()
        revision.status = "published"
        if revision.reviewed_by is None:
            revision.reviewed_by, revision.reviewed_at = user, moment
        revision.published_by, revision.published_at = user, moment
    session.flush()
    return list(chosen.values())


def rollback(
    session: Session, ref: Ref, number: int, user: str, message: str | None = None
) -> Revision:
    """Make version ``number`` (published before) live again, as a new version."""
    user = check_user(user)
    target = revisions.version(session, ref, number)
    if target is None:
        raise ContentError(f"{ref}: there is no version {number} (see `history {ref}`)")
    if target.published_at is None:
        raise ReviewError(
            f"{ref}: v{number} was never published, so it was never reviewed; "
            f"edit it as a draft instead"
        )
    current = revisions.published(session, ref)
    if current is not None and current.version == number:
        raise ReviewError(f"{ref}: v{number} is already the published version")
    live = LiveContent(session)
    item = revisions.payload(target)
    _check_publishable(live, {ref: item}, {ref: f"{ref} v{number}"})
    previous = live.payload(ref)
    live.write({ref: item})
    change = Change(user, "rollback", message or f"rollback to v{number}")
    return revisions.record_published(
        session, ref, item, change, previous, reviewed_by=target.reviewed_by
    )


# --------------------------------------------------------------------------- status


@dataclass
class ItemStatus:
    """Where an item stands: its live version and its open change, if any."""

    ref: Ref
    live: bool
    published: Revision | None = None
    open: Revision | None = None

    @property
    def state(self) -> str:
        """draft, in_review, approved (an open change) or published (nothing pending)."""
        if self.open is not None:
            return self.open.status
        return "published" if self.live else "missing"

    def describe(self) -> str:
        parts = []
        if self.live:
            parts.append(f"published v{self.published.version}" if self.published else "published")
        if self.open is not None:
            parts.append(
                f"{self.open.status.replace('_', ' ')} v{self.open.version} by {self.open.author}"
            )
        return ", ".join(parts) or "missing"


@dataclass
class Overview:
    """Every item's status in one pass (three queries), for list/show/stats."""

    items: dict[Ref, ItemStatus] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> Overview:
        live = set(LiveContent(session).rows())
        published = revisions.published_revisions(session)
        pending = revisions.open_revisions(session)
        overview = cls()
        for ref in sorted_refs(live | set(pending)):
            overview.items[ref] = ItemStatus(ref, ref in live, published.get(ref), pending.get(ref))
        return overview
