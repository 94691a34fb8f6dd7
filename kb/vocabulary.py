"""The words the NLU must recognise, read from the KB (names and synonyms of every entity).

Reads the live entity tables, which hold only published content (:mod:`kb.review`): a
synonym in a draft is not recognised until it is published and the pipeline rebuilt.

Per language: ``terms(session)`` is the English vocabulary (what the English entity ruler has
always been built from); ``terms(session, "ru")`` the Russian one (Russian names and synonyms,
lemma forms — the Russian matcher generates the inflections). The entity ids are the same in
every language, so a Russian match yields the same canonical value as an English one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from kb.models import BASE_LANG, LANGS, Entity


@dataclass(frozen=True)
class Term:
    """One entity and every way it is written in the KB in one language."""

    kind: str
    key: str
    names: tuple[str, ...]
    lang: str = BASE_LANG


def terms(session: Session, lang: str = BASE_LANG) -> list[Term]:
    """All entities with their ``lang`` display name and synonyms, in a stable order.

    An entity without a name or synonym in ``lang`` is left out (``python -m kb validate``
    reports the gap); its English forms are not used in another language's vocabulary.
    """
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; languages: {', '.join(LANGS)}")
    rows = session.execute(
        select(Entity)
        .options(selectinload(Entity.synonyms), selectinload(Entity.texts))
        .order_by(Entity.kind, Entity.key)
    ).scalars()
    found = []
    for entity in rows:
        names = [t.name for t in entity.texts if t.lang == lang] + entity.synonyms_in(lang)
        if names:
            found.append(Term(entity.kind, entity.key, tuple(names), lang))
    return found


def vocabulary(session: Session, lang: str = BASE_LANG) -> dict[tuple[str, str], tuple[str, ...]]:
    """``(kind, id)`` → every form of the entity in ``lang`` (name first, then synonyms)."""
    return {(t.kind, t.key): t.names for t in terms(session, lang)}
