"""The words the NLU must recognise, read from the KB (names and synonyms of every entity).

Reads the live entity tables, which hold only published content (:mod:`kb.review`): a
synonym in a draft is not recognised until it is published and the pipeline rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from kb.models import Entity


@dataclass(frozen=True)
class Term:
    """One entity and every way it is written in the KB."""

    kind: str
    key: str
    names: tuple[str, ...]


def terms(session: Session) -> list[Term]:
    """All entities with their display name and synonyms, in a stable order."""
    rows = session.execute(
        select(Entity).options(selectinload(Entity.synonyms)).order_by(Entity.kind, Entity.key)
    ).scalars()
    return [Term(e.kind, e.key, (e.name, *(s.text for s in e.synonyms))) for e in rows]
