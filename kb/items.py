"""Content items: the units staff edit, review, publish, export and roll back.

An item is one source, one entity (with its synonyms, links and sources), one answer, one
phrase, the centre, or one setting. Everything beside the bot's read path — review, history,
import/export, validation and the seed loader — handles an item as a :class:`Ref` plus a
*payload*: a plain dict of its content, the same shape the seed loader has always hashed.
One representation means one code path compares, stores, diffs and writes any kind of
content.

The live tables hold exactly the published payload of every item (:mod:`kb.review` says
why). :class:`LiveContent` is the one place that turns live rows into payloads and writes
payloads into live rows.

References (also accepted: ``<kind>:<key>`` for an entity)::

    source:<key>   entity:<kind>:<key>   answer:<intent>[:<kind>:<key>]
    phrase:<key>   centre                setting:<key>

Languages. An entity, answer, phrase or the centre is written in every language of
:data:`~kb.models.LANGS`, and each language version is an item of its own, drafted, reviewed,
published and rolled back on its own: ``answer:ask_tests@ru``. A reference without ``@`` is the
English version together with the language-neutral fields (risk group, links, sources, phone…),
exactly as before languages existed, so existing references, files and history keep their
meaning; ``@en`` is accepted as the same. A ``@ru`` item carries only the fields written in a
language (:data:`TRANSLATED_FIELDS`) and needs its English item to exist.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from kb.contract import ANSWER_INTENTS
from kb.errors import ContentError
from kb.models import (
    BASE_LANG,
    KINDS,
    LANGS,
    Answer,
    AnswerText,
    Centre,
    CentreText,
    Entity,
    EntityLink,
    EntityText,
    Phrase,
    PhraseText,
    Setting,
    Source,
    Synonym,
)

#: Item types in dependency order: an item may refer only to types listed before it.
ITEM_TYPES: tuple[str, ...] = ("source", "entity", "answer", "phrase", "centre", "setting")
REF_FORMS = (
    "source:<key>, entity:<kind>:<key>, answer:<intent>[:<kind>:<key>], phrase:<key>, "
    "centre, setting:<key>; add @ru for the Russian version of an entity, answer, phrase or centre"
)
#: The fields of each item type that are written in a language: what a ``@ru`` item holds.
TRANSLATED_FIELDS: dict[str, tuple[str, ...]] = {
    "entity": ("name", "description", "synonyms"),
    "answer": ("text",),
    "phrase": ("text",),
    "centre": Centre.TEXT_FIELDS,
}
_ARITY: dict[str, tuple[int, ...]] = {
    "source": (1,),
    "entity": (2,),
    "answer": (1, 3),
    "phrase": (1,),
    "centre": (0,),
    "setting": (1,),
}
KEY_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
CENTRE_FIELDS: tuple[str, ...] = ("name", "organisation", "description") + Centre.CONTACT_FIELDS


@dataclass(frozen=True)
class Ref:
    """The stable name of one content item, e.g. ``entity:antibody:yo``."""

    type: str
    parts: tuple[str, ...] = ()
    lang: str = BASE_LANG

    def __str__(self) -> str:
        text = ":".join((self.type, *self.parts))
        return text if self.lang == BASE_LANG else f"{text}@{self.lang}"

    @property
    def label(self) -> str:
        """How load reports name an item: ``antibody yo``, ``answer ask_tests (ru)``, ``centre``."""
        label = " ".join(self.parts if self.type == "entity" else (self.type, *self.parts))
        return label if self.lang == BASE_LANG else f"{label} ({self.lang})"

    @property
    def translated(self) -> bool:
        """Whether this is a language version other than the base (English) item."""
        return self.lang != BASE_LANG

    @property
    def base(self) -> Ref:
        """The English item (with the language-neutral fields) this version belongs to."""
        return Ref(self.type, self.parts)

    def in_lang(self, lang: str) -> Ref:
        """The ``lang`` version of this item (``lang`` must be one the item type has)."""
        return Ref(self.type, self.parts, lang)

    @property
    def entity(self) -> tuple[str, str] | None:
        """``(kind, key)`` of the entity an entity or entity-specific answer item is about."""
        if self.type == "entity":
            return self.parts[0], self.parts[1]
        if self.type == "answer" and len(self.parts) == 3:
            return self.parts[1], self.parts[2]
        return None

    def sort_key(self) -> tuple[int, tuple[str, ...], int]:
        # the English item before its translations: a translation needs its base to exist
        return ITEM_TYPES.index(self.type), self.parts, LANGS.index(self.lang)


def entity_ref(kind: str, key: str) -> Ref:
    return Ref("entity", (kind, key))


def parse_ref(text: str) -> Ref:
    """Parse a reference typed by staff or read from a file; unknown kinds and intents fail here."""
    body, at, lang = str(text).strip().partition("@")
    lang = lang.strip().lower() if at else BASE_LANG
    if lang not in LANGS:
        raise ContentError(f"{text!r}: unknown language {lang!r}; languages: {', '.join(LANGS)}")
    parts = tuple(body.strip().split(":"))
    if parts[0] in KINDS:
        parts = ("entity", *parts)
    type_, rest = parts[0], parts[1:]
    if type_ not in _ARITY or len(rest) not in _ARITY[type_]:
        raise ContentError(f"{text!r} is not an item reference; use {REF_FORMS}")
    bad = [p for p in rest if not KEY_PATTERN.fullmatch(p)]
    if bad:
        raise ContentError(
            f"{text!r}: {bad[0]!r} is not a valid id (lower-case letters, digits, _ . -; "
            f"at most 64 characters)"
        )
    ref = Ref(type_, rest, lang)
    if ref.translated and type_ not in TRANSLATED_FIELDS:
        raise ContentError(
            f"{text!r}: a {type_} is the same in every language (no @{lang} version); "
            f"translated items: {', '.join(TRANSLATED_FIELDS)}"
        )
    if ref.entity and ref.entity[0] not in KINDS:
        raise ContentError(
            f"{text!r}: {ref.entity[0]!r} is not an entity kind ({', '.join(KINDS)})"
        )
    if type_ == "answer" and rest[0] not in ANSWER_INTENTS:
        raise ContentError(
            f"{text!r}: intent {rest[0]!r} is not one of {', '.join(ANSWER_INTENTS)}"
        )
    return ref


def sorted_refs(refs: Iterable[Ref]) -> list[Ref]:
    return sorted(refs, key=Ref.sort_key)


# --------------------------------------------------------------------------- row → payload


def title(ref: Ref, item: Mapping[str, Any] | None) -> str:
    """A one-line summary of an item for lists."""
    if item is None:
        return ""
    text = item.get("name") or item.get("short") or item.get("text") or item.get("value") or ""
    text = " ".join(str(text).split())
    return text if len(text) <= 60 else text[:59] + "…"


def _keys(sources: Iterable[Source]) -> list[str]:
    return sorted(s.key for s in sources)


def payload_of(ref: Ref, row: Any) -> dict[str, Any]:
    """The payload of a live row (the seed loader's hash is taken over exactly this).

    ``row`` is the item's own row: the owner row (Entity, Answer…) for an English item, the
    text row (EntityText, AnswerText…) for another language.
    """
    if ref.translated:
        if ref.type == "entity":
            return {
                "name": row.name,
                "description": row.description,
                "synonyms": sorted(row.entity.synonyms_in(ref.lang)),
            }
        return {f: getattr(row, f) for f in TRANSLATED_FIELDS[ref.type]}
    if ref.type == "source":
        return {"short": row.short, "citation": row.citation, "url": row.url}
    if ref.type == "entity":
        text = row.translation(BASE_LANG)
        return {
            "name": text.name,
            "description": text.description,
            "risk_group": row.risk_group,
            "target": row.target,
            "synonyms": sorted(row.synonyms_in(BASE_LANG)),
            "related": [
                [link.target_entity.kind, link.target_entity.key]
                for link in sorted(row.links, key=lambda link: link.position)
            ],
            "sources": _keys(row.sources),
        }
    if ref.type in ("answer", "phrase"):
        return {"text": row.translation(BASE_LANG).text, "sources": _keys(row.sources)}
    if ref.type == "centre":
        text = row.translation(BASE_LANG)
        return {
            **{f: getattr(text if f in Centre.TEXT_FIELDS else row, f) for f in CENTRE_FIELDS},
            "sources": _keys(row.sources),
        }
    return {"value": row.value}


def _text_row(owner: Any, lang: str) -> Any:
    """``owner``'s text row in ``lang``, or None."""
    return next((t for t in owner.texts if t.lang == lang), None)


# --------------------------------------------------------------------------- live tables


class LiveContent:
    """The published content of one session, as rows and payloads; writes publish payloads."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._sources: dict[str, Source] | None = None
        self._entities: dict[tuple[str, str], Entity] | None = None

    def sources(self) -> dict[str, Source]:
        if self._sources is None:
            self._sources = {s.key: s for s in self.session.execute(select(Source)).scalars()}
        return self._sources

    def entities(self) -> dict[tuple[str, str], Entity]:
        if self._entities is None:
            rows = self.session.execute(
                select(Entity).options(
                    selectinload(Entity.texts),
                    selectinload(Entity.synonyms),
                    selectinload(Entity.links),
                    selectinload(Entity.sources),
                )
            ).scalars()
            self._entities = {(e.kind, e.key): e for e in rows}
        return self._entities

    def rows(self) -> dict[Ref, Any]:
        """Every live item's row, in dependency order (a few queries, not one per item)."""
        found: dict[Ref, Any] = {Ref("source", (k,)): row for k, row in self.sources().items()}

        def add(ref: Ref, row: Any) -> None:
            found[ref] = row
            for text in row.texts:
                if text.lang != BASE_LANG:
                    found[ref.in_lang(text.lang)] = text

        for k, row in self.entities().items():
            add(entity_ref(*k), row)
        answers = self.session.execute(
            select(Answer).options(
                selectinload(Answer.sources),
                selectinload(Answer.entity),
                selectinload(Answer.texts),
            )
        ).scalars()
        for a in answers:
            add(
                Ref("answer", (a.intent, a.entity.kind, a.entity.key) if a.entity else (a.intent,)),
                a,
            )
        for p in self.session.execute(
            select(Phrase).options(selectinload(Phrase.sources), selectinload(Phrase.texts))
        ).scalars():
            add(Ref("phrase", (p.key,)), p)
        centre = self._centre()
        if centre is not None:
            add(Ref("centre"), centre)
        for s in self.session.execute(select(Setting)).scalars():
            found[Ref("setting", (s.key,))] = s
        return {ref: found[ref] for ref in sorted_refs(found)}

    def items(self) -> dict[Ref, dict[str, Any]]:
        """Every live item's payload, in dependency order."""
        return {ref: payload_of(ref, row) for ref, row in self.rows().items()}

    def row(self, ref: Ref) -> Any:
        """The live row of ``ref``, or None if the item has never been published.

        For another language than English that is the item's text row (see :func:`payload_of`).
        """
        if ref.translated:
            owner = self.row(ref.base)
            return None if owner is None else _text_row(owner, ref.lang)
        if ref.type == "source":
            return self.sources().get(ref.parts[0])
        if ref.type == "entity":
            return self.entities().get(ref.entity)  # type: ignore[arg-type]
        if ref.type == "answer":
            query = select(Answer).where(Answer.intent == ref.parts[0])
            if ref.entity:
                entity = self.entities().get(ref.entity)
                if entity is None:
                    return None
                query = query.where(Answer.entity_id == entity.id)
            else:
                query = query.where(Answer.entity_id.is_(None))
            return self.session.execute(
                query.options(selectinload(Answer.texts))
            ).scalar_one_or_none()
        if ref.type == "phrase":
            return self.session.execute(
                select(Phrase).where(Phrase.key == ref.parts[0]).options(selectinload(Phrase.texts))
            ).scalar_one_or_none()
        if ref.type == "centre":
            return self._centre()
        return self.session.get(Setting, ref.parts[0])

    def payload(self, ref: Ref) -> dict[str, Any] | None:
        row = self.row(ref)
        return None if row is None else payload_of(ref, row)

    def _centre(self) -> Centre | None:
        return (
            self.session.execute(
                select(Centre)
                .options(selectinload(Centre.sources), selectinload(Centre.texts))
                .order_by(Centre.id)
            )
            .scalars()
            .first()
        )

    # ------------------------------------------------------------------ writing

    def write(self, items: Mapping[Ref, Mapping[str, Any]]) -> dict[Ref, Any]:
        """Write payloads into live rows (creating missing rows); returns the rows written.

        Entities of the batch get their rows first, so links and answers in the same batch can
        point to entities that did not exist before it. References to anything neither live
        nor in the batch fail with a :class:`ContentError` (the transaction is rolled back).
        """
        ordered = sorted_refs(items)
        for ref in ordered:
            if ref.type == "entity" and not ref.translated and ref.entity not in self.entities():
                kind, key = ref.entity  # type: ignore[misc]
                row = Entity(kind=kind, key=key)
                self.session.add(row)
                self.entities()[(kind, key)] = row
        self.session.flush()
        written: dict[Ref, Any] = {}
        for ref in ordered:
            if ref.translated:
                written[ref] = self._write_translation(ref, items[ref])
            else:
                written[ref] = getattr(self, f"_write_{ref.type}")(ref, self.row(ref), items[ref])
        self.session.flush()
        return written

    def _set_text(self, owner: Any, lang: str, fields: Mapping[str, Any]) -> Any:
        """Create or update ``owner``'s ``lang`` text row with ``fields``."""
        row = _text_row(owner, lang)
        if row is None:
            row = _TEXT_MODELS[type(owner)](lang=lang)
            owner.texts.append(row)
        for name, value in fields.items():
            setattr(row, name, value)
        return row

    def _set_synonyms(self, entity: Entity, lang: str, texts: Iterable[str]) -> None:
        """Replace the ``lang`` synonyms of ``entity`` (the other languages' stay)."""
        # delete first: the unit of work inserts before it deletes, which would trip the
        # unique constraint when a synonym is rewritten
        for synonym in [s for s in entity.synonyms if s.lang == lang]:
            entity.synonyms.remove(synonym)
        self.session.flush()
        entity.synonyms.extend(Synonym(lang=lang, text=t) for t in texts)

    def _write_translation(self, ref: Ref, p: Mapping[str, Any]) -> Any:
        owner = self.row(ref.base)
        if owner is None:
            raise ContentError(f"{ref}: {ref.base} (the English item) is not published")
        fields = {f: p[f] for f in TRANSLATED_FIELDS[ref.type] if f != "synonyms"}
        if ref.type == "entity":
            self._set_synonyms(owner, ref.lang, p["synonyms"])
        return self._set_text(owner, ref.lang, fields)

    def _source_rows(self, ref: Ref, keys: Iterable[str]) -> list[Source]:
        missing = [k for k in keys if k not in self.sources()]
        if missing:
            raise ContentError(f"{ref}: source(s) {missing} are not published")
        return [self.sources()[k] for k in keys]

    def _entity_row(self, ref: Ref, kind: str, key: str) -> Entity:
        row = self.entities().get((kind, key))
        if row is None:
            raise ContentError(f"{ref}: {kind} {key!r} is not published")
        return row

    def _write_source(self, ref: Ref, row: Source | None, p: Mapping[str, Any]) -> Source:
        if row is None:
            row = Source(key=ref.parts[0])
            self.session.add(row)
            self.sources()[ref.parts[0]] = row
        row.short, row.citation, row.url = p["short"], p["citation"], p["url"]
        return row

    def _write_entity(self, ref: Ref, row: Entity, p: Mapping[str, Any]) -> Entity:
        self._set_text(row, BASE_LANG, {"name": p["name"], "description": p["description"]})
        row.risk_group, row.target = p["risk_group"], p["target"]
        links = [self._entity_row(ref, kind, key) for kind, key in p["related"]]
        # delete old links first: the unit of work inserts before it deletes, which would
        # trip the unique constraints when a row is rewritten
        row.links.clear()
        self._set_synonyms(row, BASE_LANG, p["synonyms"])
        row.links = [EntityLink(target_entity=target, position=n) for n, target in enumerate(links)]
        row.sources = self._source_rows(ref, p["sources"])
        return row

    def _write_answer(self, ref: Ref, row: Answer | None, p: Mapping[str, Any]) -> Answer:
        if row is None:
            entity = self._entity_row(ref, *ref.entity) if ref.entity else None
            row = Answer(intent=ref.parts[0], entity=entity)
            self.session.add(row)
        self._set_text(row, BASE_LANG, {"text": p["text"]})
        row.sources = self._source_rows(ref, p["sources"])
        return row

    def _write_phrase(self, ref: Ref, row: Phrase | None, p: Mapping[str, Any]) -> Phrase:
        if row is None:
            row = Phrase(key=ref.parts[0])
            self.session.add(row)
        self._set_text(row, BASE_LANG, {"text": p["text"]})
        row.sources = self._source_rows(ref, p["sources"])
        return row

    def _write_centre(self, ref: Ref, row: Centre | None, p: Mapping[str, Any]) -> Centre:
        if row is None:
            row = Centre()
            self.session.add(row)
        self._set_text(row, BASE_LANG, {f: p[f] for f in Centre.TEXT_FIELDS})
        for f in CENTRE_FIELDS:
            if f not in Centre.TEXT_FIELDS:
                setattr(row, f, p[f])
        row.sources = self._source_rows(ref, p["sources"])
        return row

    def _write_setting(self, ref: Ref, row: Setting | None, p: Mapping[str, Any]) -> Setting:
        if row is None:
            row = Setting(key=ref.parts[0])
            self.session.add(row)
        row.value = p["value"]
        return row


_TEXT_MODELS: dict[type, type] = {
    Entity: EntityText,
    Answer: AnswerText,
    Phrase: PhraseText,
    Centre: CentreText,
}
