"""What the assistant says: answers composed from the knowledge base.

This is the only module actions use to read content. It picks the staff-written answer for
an intent and the entities of the message, fills in structured facts (risk group, linked
cancers and syndromes…) with KB phrases, and keeps the sources of every piece it used so the
reply can say where the information comes from.

It reads the live tables, which hold only published content (drafts and history live in
``content_revision``, see :mod:`kb.review`): nothing here filters by review state, and no
draft can reach a patient.

Language. Every reply is built in one language, given explicitly (``lang``: ``"ru"`` or
``"en"``; actions read it from the ``language`` slot, :func:`lang_of`). Nothing falls back to
another language: a text missing in ``lang`` raises :class:`~kb.errors.MissingText`, and
:meth:`Composer.compose` answers that with the "answer.missing" phrase *of the patient's
language* (and logs the gap), so a Russian patient never gets an English sentence and never a
half-built reply. ``python -m kb validate`` reports every gap before it ships.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from kb.cache import VersionedCache
from kb.errors import MissingText
from kb.models import (
    BASE_LANG,
    KINDS,
    LANGS,
    RISK_GROUPS,
    Answer,
    Centre,
    Entity,
    EntityLink,
    Phrase,
    Setting,
    Source,
)

logger = logging.getLogger(__name__)

#: The language of a conversation whose language is not known yet: the clinic's patients
#: write Russian, and the clinic page opens in Russian.
DEFAULT_LANG = "ru"


def lang_of(value: object) -> str:
    """The reply language for a ``language`` slot value (unset, unknown → :data:`DEFAULT_LANG`)."""
    return value if isinstance(value, str) and value in LANGS else DEFAULT_LANG


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
    *(f"centre.label.{f}" for f in Centre.CONTACT_FIELDS),
    "handoff",
    "emergency.advice",
    "centre.default_name",
    *(f"risk_group.{group}" for group in RISK_GROUPS),
    *sorted({f"linked.{kind}" for kinds in LISTED_LINKS.values() for kind in kinds}),
)
MAX_ENTITIES_PER_REPLY = 3
DEFAULT_EMERGENCY_NUMBER = "112"
DEFAULT_AMBULANCE_NUMBER = "103"
#: Settings that texts name through a placeholder of the same name (``{emergency_number}``),
#: with the value used when the setting is missing or the KB cannot be read.
NUMBER_SETTINGS: dict[str, str] = {
    "emergency_number": DEFAULT_EMERGENCY_NUMBER,
    "ambulance_number": DEFAULT_AMBULANCE_NUMBER,
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
    #: the "sources.label" phrase of the reply's language (set by the composer)
    sources_label: str = "Sources"
    #: ids of the staff-written answers used (feedback is stored against them)
    answer_ids: list[int] = field(default_factory=list)
    #: entities asked about that the KB has no entry for
    unknown: list[tuple[str, str]] = field(default_factory=list)
    #: texts missing in the reply's language (the reply is then the "answer.missing" phrase)
    missing: list[str] = field(default_factory=list)
    #: the language the composer wrote the reply in (its sources label is in it too)
    lang: str | None = None

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
            label = f"{self.sources_label}: " if self.sources_label else ""
            body += f"\n\n{label}" + "; ".join(s.short for s in self.sources) + "."
        return body


def fill_numbers(text: str, numbers: Mapping[str, str]) -> str:
    """Put the configured emergency numbers into a staff-written text.

    Texts say ``{emergency_number}`` / ``{ambulance_number}`` instead of "112" so that the one
    KB setting decides what every answer tells a patient to dial (and a wrong or changed
    number is fixed in one place). Only these exact tokens are replaced, never parsed as a
    format string: any other brace in prose stays as written.
    """
    for key, default in NUMBER_SETTINGS.items():
        text = text.replace("{" + key + "}", numbers.get(key) or default)
    return text


def display_name(entity: Entity, lang: str) -> str:
    """The entity's name in ``lang`` inside a list, exactly as staff wrote it.

    No case changes: names start with eponyms ("Hodgkin lymphoma", "Morvan syndrome") as
    often as with ordinary words, and a wrongly lower-cased proper name looks careless.
    Raises :class:`~kb.errors.MissingText` if the entity has no name in ``lang``.
    """
    return entity.translation(lang).name


class KnowledgeBase:
    """Read-only queries over one session (one request); rows carry every language."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._phrases: dict[str, Phrase] | None = None

    def entity(self, kind: str, key: str) -> Entity | None:
        return self.session.execute(
            select(Entity)
            .where(Entity.kind == kind, Entity.key == key)
            .options(
                selectinload(Entity.texts),
                selectinload(Entity.links)
                .joinedload(EntityLink.target_entity)
                .selectinload(Entity.texts),
                selectinload(Entity.sources),
            )
        ).scalar_one_or_none()

    def answer(self, intent: str, entity: Entity | None = None) -> Answer | None:
        query = select(Answer).where(Answer.intent == intent)
        query = (
            query.where(Answer.entity_id == entity.id)
            if entity
            else query.where(Answer.entity_id.is_(None))
        )
        return self.session.execute(
            query.options(selectinload(Answer.sources), selectinload(Answer.texts))
        ).scalar_one_or_none()

    def phrase(self, key: str) -> Phrase | None:
        if self._phrases is None:
            rows = self.session.execute(
                select(Phrase).options(selectinload(Phrase.sources), selectinload(Phrase.texts))
            ).scalars()
            self._phrases = {p.key: p for p in rows}
        return self._phrases.get(key)

    def centre(self) -> Centre | None:
        return (
            self.session.execute(
                select(Centre).options(selectinload(Centre.texts)).order_by(Centre.id)
            )
            .scalars()
            .first()
        )

    def setting(self, key: str, default: str) -> str:
        row = self.session.get(Setting, key)
        return row.value if row and row.value.strip() else default

    def numbers(self) -> dict[str, str]:
        """The emergency numbers texts refer to, from the settings (defaults if unset)."""
        return {key: self.setting(key, default) for key, default in NUMBER_SETTINGS.items()}


class Composer:
    """Builds a :class:`Reply` in one language for an intent and the entities of a message.

    Every text comes from the KB in ``lang``; a text missing in ``lang`` raises
    :class:`~kb.errors.MissingText` (never another language's text). :meth:`compose` handles
    that for whole answers; callers that assemble replies themselves (handoff, referral advice)
    catch it and fall back to their language-conditioned domain response.
    """

    def __init__(self, kb: KnowledgeBase, lang: str) -> None:
        if lang not in LANGS:
            raise ValueError(f"unknown language {lang!r}; languages: {', '.join(LANGS)}")
        self.kb = kb
        self.lang = lang
        self._numbers: dict[str, str] | None = None

    def fill(self, text: str) -> str:
        """A staff text with the emergency numbers of the KB settings filled in."""
        if self._numbers is None:
            self._numbers = self.kb.numbers()
        return fill_numbers(text, self._numbers)

    def text(self, key: str, **values: str) -> str | None:
        """A KB phrase in this language, filled with ``values``; None if the phrase is absent."""
        phrase = self.kb.phrase(key)
        if phrase is None:
            return None
        return phrase.translation(self.lang).text.format(**values)

    def add_phrase(self, reply: Reply, key: str, **values: str) -> bool:
        """Append a KB phrase filled with ``values``; a phrase absent in every language adds
        nothing (validation reports it), one absent in this language raises MissingText."""
        phrase = self.kb.phrase(key)
        if phrase is None:
            return False
        if self._numbers is None:
            self._numbers = self.kb.numbers()
        filled = {"number": self._numbers["emergency_number"], **self._numbers, **values}
        self._label(reply)
        reply.add(phrase.translation(self.lang).text.format(**filled), phrase.sources)
        return True

    def name(self, entity: Entity) -> str:
        return display_name(entity, self.lang)

    def centre_name(self) -> str:
        """The centre's name in this language; without a centre row, the KB's default name
        (phrase ``centre.default_name``), never a word of another language."""
        centre = self.kb.centre()
        if centre is not None:
            return centre.translation(self.lang).name
        return (self.text("centre.default_name") or "").strip()

    def describe(self, reply: Reply, entity: Entity) -> None:
        """Description plus structured facts: risk group and linked entities."""
        self._label(reply)
        reply.add(self.fill(entity.translation(self.lang).description), entity.sources)
        facts: list[str] = []
        fact_sources: list[Source] = []
        if entity.risk_group:
            phrase = self.kb.phrase(f"risk_group.{entity.risk_group}")
            if phrase:
                facts.append(phrase.translation(self.lang).text)
                fact_sources += phrase.sources
        for kind in LISTED_LINKS.get(entity.kind, ()):
            linked = entity.related(kind)
            phrase = self.kb.phrase(f"linked.{kind}")
            if linked and phrase:
                names = ", ".join(self.name(e) for e in linked)
                facts.append(phrase.translation(self.lang).text.format(items=names))
                fact_sources += phrase.sources
        if facts:
            reply.add(" ".join(facts), [*fact_sources, *entity.sources])

    def add_general(self, reply: Reply, intent: str) -> bool:
        answer = self.kb.answer(intent)
        if answer is None:
            return False
        self._label(reply)
        reply.add(self.fill(answer.translation(self.lang).text), answer.sources)
        reply.answer_ids.append(answer.id)
        return True

    def contact_label(self, field_name: str) -> str:
        """ "Phone" / "Телефон": a KB phrase, so labels are in the reply's language too."""
        label = self.text(f"centre.label.{field_name}")
        if label is None:
            raise MissingText(f"phrase centre.label.{field_name} is missing")
        return label.strip()

    def add_centre(self, reply: Reply) -> None:
        """The centre's name and the contact fields staff have filled in — nothing invented."""
        centre = self.kb.centre()
        if centre is None:
            return
        name = centre.translation(self.lang).name
        contacts = []
        for f in Centre.CONTACT_FIELDS:
            value = centre.contact(f, self.lang)
            if value and value.strip():
                contacts.append(f"{self.contact_label(f)}: {value.strip()}")
        if contacts:
            self.add_phrase(reply, "centre.contacts", name=name, contacts="\n".join(contacts))
        else:
            self.add_phrase(reply, "centre.no_contacts", name=name)

    def new_reply(self) -> Reply:
        """An empty reply whose list of sources carries the KB's label in this language."""
        reply = Reply()
        self._label(reply)
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
        """The answer in this language; if any text it needs is missing in this language, the
        "answer.missing" phrase of this language instead (logged, listed in ``Reply.missing``).

        Only if even that phrase is missing in this language does :class:`MissingText` reach the
        caller (the action's failure path answers with a domain response in the language).
        """
        try:
            return self._compose(intent, entities)
        except MissingText as exc:
            logger.error("no %s text for a reply to %s %s: %s", self.lang, intent, entities, exc)
            reply = Reply(missing=[str(exc)])
            self._label(reply)
            if not self.add_phrase(reply, "answer.missing"):
                raise
            return reply

    def _label(self, reply: Reply) -> None:
        """Put the "Sources" label of this language on a reply this composer writes into
        (replies the actions assemble phrase by phrase too)."""
        if reply.lang == self.lang:
            return
        label = self.text("sources.label")
        if label:
            reply.sources_label = label.strip()
        reply.lang = self.lang

    def _compose(self, intent: str, entities: Sequence[tuple[str, str]]) -> Reply:
        reply = self.new_reply()
        refs = list(dict.fromkeys((k, v) for k, v in entities if k in KINDS))
        known = [(ref, self.kb.entity(*ref)) for ref in refs[:MAX_ENTITIES_PER_REPLY]]
        general_added = False
        for (kind, key), entity in known:
            if entity is None:
                reply.unknown.append((kind, key))  # logged for staff (unanswered questions)
                if self.lang == BASE_LANG:
                    # the id is an English word; in another language the sentence would mix
                    # languages, so the general answer stands alone there
                    self.add_phrase(reply, "entity.unknown", name=key.replace("_", " "))
                if not general_added:
                    general_added = self.add_general(reply, intent)
                continue
            specific = self.kb.answer(intent, entity)
            if specific is not None:
                self._label(reply)
                reply.add(self.fill(specific.translation(self.lang).text), specific.sources)
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


def compose_answer(
    session: Session, intent: str, entities: Sequence[tuple[str, str]], lang: str
) -> Reply:
    """The reply in ``lang`` to a knowledge question: ``intent`` plus ``(kind, id)`` pairs."""
    return REPLY_CACHE.get_or_build(
        session,
        ("answer", lang, intent, tuple(entities)),
        lambda: Composer(KnowledgeBase(session), lang).compose(intent, entities),
    )


def emergency_number(session: Session) -> str:
    """The emergency number staff configured (default 112)."""
    return KnowledgeBase(session).setting("emergency_number", DEFAULT_EMERGENCY_NUMBER)


def emergency_numbers(session: Session) -> dict[str, str]:
    """Every number texts name (``emergency_number``, ``ambulance_number``), from the KB."""
    return KnowledgeBase(session).numbers()
