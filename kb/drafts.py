"""Turn what staff wrote (an import file, an ``$EDITOR`` session) into drafts, all or nothing.

Every record is checked before the first draft is saved — fields, references to sources and
entities (live, already pending, or in the same batch), synonyms that another entity already
uses — and the caller runs the whole batch in one transaction, so a bad row leaves nothing
behind. Nothing here touches live content: drafts go live only through :func:`kb.review.publish`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from kb import review, revisions
from kb.errors import ContentError
from kb.exchange import Record
from kb.items import LiveContent, Ref
from kb.models import Revision
from kb.payloads import check_synonym_clashes, known_in, merged_view, normalise
from kb.revisions import Change


@dataclass
class DraftReport:
    """What a batch produced: new drafts (maybe submitted) and items that did not change."""

    drafted: list[Revision] = field(default_factory=list)
    unchanged: list[Ref] = field(default_factory=list)

    def __str__(self) -> str:
        states = sorted({r.status.replace("_", " ") for r in self.drafted}) or ["draft"]
        return (
            f"{len(self.drafted)} {'/'.join(states)} version(s) saved, "
            f"{len(self.unchanged)} item(s) unchanged"
        )


def draft_records(
    session: Session, records: Sequence[Record], change: Change, submit: bool = False
) -> DraftReport:
    """Save every changed record as a draft of its item (and submit it for review if asked)."""
    review.check_user(change.author)
    seen: dict[Ref, str] = {}
    for record in records:
        if record.ref in seen:
            raise ContentError(
                f"{record.where}: this item is given twice (also at {seen[record.ref]})"
            )
        seen[record.ref] = record.where
    live = LiveContent(session)
    current = live.items()
    known = known_in(current, revisions.open_revisions(session), seen)
    items = {r.ref: normalise(r.ref, r.fields, r.where, known) for r in records}
    check_synonym_clashes(merged_view(current, items), seen)
    report = DraftReport()
    for ref, item in items.items():
        revision = review.save_draft(session, ref, item, change, live)
        if revision is None:
            report.unchanged.append(ref)
            continue
        if submit:
            review.submit(session, ref, change.author)
        report.drafted.append(revision)
    return report
