"""What the assistant says: answers composed from the knowledge base.

This is the only module actions use to read content. It picks the staff-written answer for
an intent and the entities of the message, fills in structured facts (risk group, linked
cancers and syndromes…) with KB phrases, and keeps the sources of every piece it used so the
reply can say where the information comes from.

It reads the live tables, which hold only published content (drafts and history live in
``content_revision``, see :mod:`kb.review`): nothing here filters by review state, and no
draft can reach a patient.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from kb.cache import VersionedCache
from kb.models import KINDS, RISK_GROUPS, Answer, Centre, Entity, Phrase, Setting, Source

#: The intent that asks "what is it?" for each entity kind.
NATURAL_INTENT: dict[str, str] = {
    "antibody": "ask_antibodies",
    "syndrome": "ask_syndrome",
    "symptom": "ask_symptoms",
    "cancer": "ask_cancer_link",
    "test": "ask_tests",
    "treatment": "ask_treatment",
}
#: Which linked entities an entity description lists, by the entity's kind.
LISTED_LINKS: dict[str, tuple[str, ...]] = {
    "antibody": ("cancer", "syndrome"),
    "syndrome": ("symptom", "antibody", "cancer"),
    "symptom": ("syndrome",),
    "cancer": ("antibody", "syndrome"),
    "test": (),
    "treatment": (),
}
#: Phrases this module and the actions read; ``python -m kb validate`` reports missing ones,
#: because a missing phrase silently drops a sentence from replies.
PHRASE_KEYS: tuple[str, ...] = (
    "sources.label",
    "entity.unknown",
    "answer.missing",
    "advice.doctor",
    "centre.contacts",
    "centre.no_contacts",
    "handoff",
    "emergency.advice",
    *(f"risk_group.{group}" for group in RISK_GROUPS),
    *sorted({f"linked.{kind}" for kinds in LISTED_LINKS.values() for kind in kinds}),
)
MAX_ENTITIES_PER_REPLY = 3
DEFAULT_EMERGENCY_NUMBER = "112"
CONTACT_LABELS: dict[str, str] = {
    "phone": "Phone",
    "email": "Email",
    "address": "Address",
    "website": "Website",
    "hours": "Opening hours",
}


@dataclass(frozen=True)
class SourceRef:
    """A source as shown to patients."""

    key: str
    short: str
    url: str | None

    @property
    def identity(self) -> str:
        return self.url or self.short


@dataclass
class Reply:
    """Answer text plus the sources of every piece it was built from."""

    paragraphs: list[str] = field(default_factory=list)
    sources: list[SourceRef] = field(default_factory=list)
    sources_label: str = "Sources"
    #: ids of the staff-written answers used (feedback is stored against them)
    answer_ids: list[int] = field(default_factory=list)
    #: entities asked about that the KB has no entry for
    unknown: list[tuple[str, str]] = field(default_factory=list)

    def add(self, text: str | None, sources: Iterable[Source] = ()) -> None:
        if not text:
            return
        self.paragraphs.append(text.strip())
        for source in sources:
            ref = SourceRef(source.key, source.short, source.url)
            # one publication read in several places (same URL) is listed once
            if all(ref.identity != known.identity for known in self.sources):
                self.sources.append(ref)

    @property
    def text(self) -> str:
        """The reply as one message: paragraphs, then the source names."""
        body = "\n\n".join(self.paragraphs)
        if self.sources:
            body += f"\n\n{self.sources_label}: " + "; ".join(s.short for s in self.sources) + "."
        return body


def display_name(entity: Entity) -> str:
    """The entity's name inside a list, exactly as staff wrote it.

    No case changes: names start with eponyms ("Hodgkin lymphoma", "Morvan syndrome") as
    often as with ordinary words, and a wrongly lower-cased proper name looks careless.
    """
    return entity.name


class KnowledgeBase:
    """Read-only queries over one session (one request)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._phrases: dict[str, Phrase] | None = None

    def entity(self, kind: str, key: str) -> Entity | None:
        return self.session.execute(
            select(Entity)
            .where(Entity.kind == kind, Entity.key == key)
            .options(selectinload(Entity.links), selectinload(Entity.sources))
        ).scalar_one_or_none()

    def answer(self, intent: str, entity: Entity | None = None) -> Answer | None:
        query = select(Answer).where(Answer.intent == intent)
        query = (
            query.where(Answer.entity_id == entity.id)
            if entity
            else query.where(Answer.entity_id.is_(None))
        )
        return self.session.execute(
            query.options(selectinload(Answer.sources))
        ).scalar_one_or_none()

    def phrase(self, key: str) -> Phrase | None:
        if self._phrases is None:
            rows = self.session.execute(
                select(Phrase).options(selectinload(Phrase.sources))
            ).scalars()
            self._phrases = {p.key: p for p in rows}
        return self._phrases.get(key)

    def centre(self) -> Centre | None:
        return self.session.execute(select(Centre).order_by(Centre.id)).scalars().first()

    def setting(self, key: str, default: str) -> str:
        row = self.session.get(Setting, key)
        return row.value if row and row.value.strip() else default


class Composer:
    """Builds a :class:`Reply` for an intent and the entities of a message."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb

    def add_phrase(self, reply: Reply, key: str, **values: str) -> bool:
        """Append a KB phrase filled with ``values``; a missing phrase adds nothing."""
        phrase = self.kb.phrase(key)
        if phrase is None:
            return False
        reply.add(phrase.text.format(**values), phrase.sources)
        return True

    def describe(self, reply: Reply, entity: Entity) -> None:
        """Description plus structured facts: risk group and linked entities."""
        reply.add(entity.description, entity.sources)
        facts: list[str] = []
        fact_sources: list[Source] = []
        if entity.risk_group:
            phrase = self.kb.phrase(f"risk_group.{entity.risk_group}")
            if phrase:
                facts.append(phrase.text)
                fact_sources += phrase.sources
        for kind in LISTED_LINKS.get(entity.kind, ()):
            linked = entity.related(kind)
            phrase = self.kb.phrase(f"linked.{kind}")
            if linked and phrase:
                facts.append(phrase.text.format(items=", ".join(display_name(e) for e in linked)))
                fact_sources += phrase.sources
        if facts:
            reply.add(" ".join(facts), [*fact_sources, *entity.sources])

    def add_general(self, reply: Reply, intent: str) -> bool:
        answer = self.kb.answer(intent)
        if answer is None:
            return False
        reply.add(answer.text, answer.sources)
        reply.answer_ids.append(answer.id)
        return True

    def add_centre(self, reply: Reply) -> None:
        """The centre's name and the contact fields staff have filled in — nothing invented."""
        centre = self.kb.centre()
        if centre is None:
            return
        contacts = [
            f"{CONTACT_LABELS[f]}: {getattr(centre, f).strip()}"
            for f in Centre.CONTACT_FIELDS
            if getattr(centre, f) and getattr(centre, f).strip()
        ]
        if contacts:
            self.add_phrase(
                reply, "centre.contacts", name=centre.name, contacts="\n".join(contacts)
            )
        else:
            self.add_phrase(reply, "centre.no_contacts", name=centre.name)

    def new_reply(self) -> Reply:
        """An empty reply whose list of sources carries the KB's label."""
        reply = Reply()
        label = self.kb.phrase("sources.label")
        if label:
            reply.sources_label = label.text.strip()
        return reply

    def handoff(self, notified: bool) -> Reply:
        """The reply to "I want a person": who takes over (the live-agent system, when it was
        notified, else the centre's contacts from the KB), then that the bot goes quiet."""
        reply = self.new_reply()
        self.add_phrase(reply, "handoff.notified" if notified else "handoff")
        self.add_centre(reply)
        self.add_phrase(reply, "handoff.paused")
        return reply

    def compose(self, intent: str, entities: Sequence[tuple[str, str]]) -> Reply:
        """The answer to a knowledge question (``kb.contract.KNOWLEDGE_INTENTS``)."""
        reply = self.new_reply()
        refs = list(dict.fromkeys((k, v) for k, v in entities if k in KINDS))
        known = [(ref, self.kb.entity(*ref)) for ref in refs[:MAX_ENTITIES_PER_REPLY]]
        general_added = False
        for (kind, key), entity in known:
            if entity is None:
                reply.unknown.append((kind, key))
                self.add_phrase(reply, "entity.unknown", name=key.replace("_", " "))
                if not general_added:
                    general_added = self.add_general(reply, intent)
                continue
            specific = self.kb.answer(intent, entity)
            if specific is not None:
                reply.add(specific.text, specific.sources)
                reply.answer_ids.append(specific.id)
                continue
            self.describe(reply, entity)
            if NATURAL_INTENT.get(kind) != intent and not general_added:
                general_added = self.add_general(reply, intent)
        if not known:
            general_added = self.add_general(reply, intent)
        if intent == "ask_referral_centre":
            self.add_centre(reply)
        if not reply.paragraphs:
            self.add_phrase(reply, "answer.missing")
        return reply


#: Composed replies, reused until the content changes (see kb.cache).
REPLY_CACHE = VersionedCache()


def compose_answer(session: Session, intent: str, entities: Sequence[tuple[str, str]]) -> Reply:
    """The reply to a knowledge question: ``intent`` plus ``(kind, id)`` entity pairs."""
    return REPLY_CACHE.get_or_build(
        session,
        ("answer", intent, tuple(entities)),
        lambda: Composer(KnowledgeBase(session)).compose(intent, entities),
    )


def emergency_number(session: Session) -> str:
    """The emergency number staff configured (default 112)."""
    return KnowledgeBase(session).setting("emergency_number", DEFAULT_EMERGENCY_NUMBER)
