"""``python -m kb stats``: how much content there is, what waits for review, what patients say.

Figures staff use to plan their work: the review queue, the last publication, and the
feedback and unanswered questions the bot collected (:mod:`kb.feedback`).
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kb.items import ITEM_TYPES, TRANSLATED_FIELDS
from kb.models import (
    KINDS,
    LANGS,
    OPEN_STATES,
    EntityLink,
    Feedback,
    Revision,
    Synonym,
    UnansweredQuestion,
)
from kb.review import Overview
from kb.revisions import when


def _count(session: Session, column) -> int:
    return session.execute(select(func.count(column))).scalar_one()


def stats(session: Session) -> list[tuple[str, str]]:
    """``(label, value)`` lines, in the order they are printed."""
    overview = Overview.load(session)
    live = [s.ref for s in overview.items.values() if s.live]
    by_type = Counter(ref.type for ref in live)
    # entities counted once (their language versions are items of their own, counted below)
    by_kind = Counter(ref.parts[0] for ref in live if ref.type == "entity" and not ref.translated)
    by_lang = Counter(ref.lang for ref in live if ref.type in TRANSLATED_FIELDS)
    states = Counter(s.open.status for s in overview.items.values() if s.open is not None)
    lines = [
        (
            "published items",
            f"{len(live)} (" + ", ".join(f"{t} {by_type[t]}" for t in ITEM_TYPES) + ")",
        )
    ]
    lines.append(("entities", ", ".join(f"{k} {by_kind[k]}" for k in KINDS)))
    lines.append(("texts per language", ", ".join(f"{lang} {by_lang[lang]}" for lang in LANGS)))
    lines.append(
        ("synonyms / links", f"{_count(session, Synonym.id)} / {_count(session, EntityLink.id)}")
    )
    lines.append(
        ("open changes", ", ".join(f"{s.replace('_', ' ')} {states[s]}" for s in OPEN_STATES))
    )
    lines.append(("versions recorded", str(_count(session, Revision.id))))
    last = (
        session.execute(
            select(Revision)
            .where(Revision.published_at.is_not(None))
            .order_by(Revision.published_at.desc(), Revision.id.desc())
        )
        .scalars()
        .first()
    )
    if last is not None:
        lines.append(
            (
                "last published",
                f"{last.item_ref} v{last.version} by {last.published_by}, "
                f"{when(last.published_at)}",
            )
        )
    total = _count(session, Feedback.id)
    helpful = session.execute(select(func.coalesce(func.sum(Feedback.helpful), 0))).scalar_one()
    share = f" ({100 * helpful / total:.0f}% helpful)" if total else ""
    lines.append(("feedback", f"{total}{share}"))
    reasons = session.execute(
        select(UnansweredQuestion.reason, func.count())
        .group_by(UnansweredQuestion.reason)
        .order_by(UnansweredQuestion.reason)
    ).all()
    lines.append(("unanswered questions", ", ".join(f"{r} {n}" for r, n in reasons) or "0"))
    return lines
