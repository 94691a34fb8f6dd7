"""Declarative SQLAlchemy models of the knowledge base.

Every text a patient reads lives here (answers, entity descriptions, the phrases that glue
structured facts into sentences), each linked to the sources that support it, so that staff
can correct content without touching code and every answer traces back to a publication.

The content tables hold the *published* version of every item and nothing else, so the bot
reads them directly; drafts, reviews and history live in :class:`Revision` (see
:mod:`kb.review` for the workflow).

Staff accounts, login sessions and the audit log are in the same database but are not
content: their tables are declared in :mod:`kb.staff` (on the same ``Base``).

Rows loaded from the seed YAML keep ``seed_hash``: the hash of the seed payload last written
into them. If the row's current payload no longer hashes to it, staff edited the row, and the
seed loader leaves it alone unless forced (see :mod:`kb.loader`).

Languages. Every text a patient reads exists once per language (:data:`LANGS`): entity names
and descriptions, answers, phrases and the centre's text fields live in ``*_text`` tables, one
row per owner and language; synonyms carry their language. What does not depend on the
language — kinds, keys, risk groups, targets, links, sources, contact numbers and addresses on
the web, settings — stays single in the owner's table. A language missing for an item is a
content gap (``python -m kb validate`` reports it); reading it raises :class:`MissingText`
instead of quietly showing another language (see :meth:`kb.answers.Composer.compose`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import declarative_base, relationship

from kb.errors import MissingText

Base = declarative_base()

#: Languages of patient-facing text; the first is the language of the original seed files,
#: so references without ``@lang`` (``answer:ask_tests``) keep meaning English.
LANGS: tuple[str, ...] = ("en", "ru")
BASE_LANG = "en"

#: Entity kinds of the contract (docs/architecture.md), in the order answers list them.
KINDS: tuple[str, ...] = ("antibody", "syndrome", "symptom", "cancer", "test", "treatment")
RISK_GROUPS: tuple[str, ...] = ("high", "intermediate", "lower", "unclassified")
TARGETS: tuple[str, ...] = ("intracellular", "cell_surface")
#: Review states of a revision; the first three are "open" (not yet decided).
REVISION_STATES: tuple[str, ...] = (
    "draft",
    "in_review",
    "approved",
    "published",
    "superseded",
    "rejected",
)
OPEN_STATES: tuple[str, ...] = ("draft", "in_review", "approved")
_OPEN_SQL = "status IN (" + ", ".join(f"'{state}'" for state in OPEN_STATES) + ")"
#: How a revision came about.
REVISION_ACTIONS: tuple[str, ...] = ("edit", "import", "rollback", "seed", "baseline")


def _now() -> datetime:
    return datetime.now(UTC)


def _translation(owner: Any, lang: str) -> Any:
    """The ``lang`` text row of ``owner`` (loaded ``texts``), or :class:`MissingText`."""
    for row in owner.texts:
        if row.lang == lang:
            return row
    raise MissingText(f"{owner!r} has no {lang!r} text")


entity_source = Table(
    "entity_source",
    Base.metadata,
    Column("entity_id", ForeignKey("entity.id", ondelete="CASCADE"), primary_key=True),
    Column("source_id", ForeignKey("source.id", ondelete="CASCADE"), primary_key=True),
)

answer_source = Table(
    "answer_source",
    Base.metadata,
    Column("answer_id", ForeignKey("answer.id", ondelete="CASCADE"), primary_key=True),
    Column("source_id", ForeignKey("source.id", ondelete="CASCADE"), primary_key=True),
)

phrase_source = Table(
    "phrase_source",
    Base.metadata,
    Column("phrase_id", ForeignKey("phrase.id", ondelete="CASCADE"), primary_key=True),
    Column("source_id", ForeignKey("source.id", ondelete="CASCADE"), primary_key=True),
)

centre_source = Table(
    "centre_source",
    Base.metadata,
    Column("centre_id", ForeignKey("centre.id", ondelete="CASCADE"), primary_key=True),
    Column("source_id", ForeignKey("source.id", ondelete="CASCADE"), primary_key=True),
)


class Source(Base):
    """A publication that supports KB content (always the original, never a copy site)."""

    __tablename__ = "source"

    id = Column(Integer, primary_key=True)
    key = Column(String(64), unique=True, nullable=False)
    short = Column(String(200), nullable=False)
    citation = Column(Text, nullable=False)
    url = Column(String(500))
    seed_hash = Column(String(64))
    updated_at = Column(DateTime(timezone=True), default=_now, onupdate=_now)


class Entity(Base):
    """An antibody, syndrome, symptom, cancer, test or treatment with its canonical id."""

    __tablename__ = "entity"
    __table_args__ = (UniqueConstraint("kind", "key", name="uq_entity_kind_key"),)

    id = Column(Integer, primary_key=True)
    kind = Column(String(16), nullable=False, index=True)
    key = Column(String(64), nullable=False)
    risk_group = Column(String(16))  # antibodies: high | intermediate | lower | unclassified
    target = Column(String(16))  # antibodies: intracellular | cell_surface
    seed_hash = Column(String(64))
    updated_at = Column(DateTime(timezone=True), default=_now, onupdate=_now)

    texts = relationship(
        "EntityText",
        back_populates="entity",
        cascade="all, delete-orphan",
        order_by="EntityText.lang",
    )
    synonyms = relationship(
        "Synonym",
        back_populates="entity",
        cascade="all, delete-orphan",
        order_by="(Synonym.lang, Synonym.text)",
    )
    sources = relationship(Source, secondary=entity_source, order_by=Source.key)
    links = relationship(
        "EntityLink",
        foreign_keys="EntityLink.from_id",
        back_populates="source_entity",
        cascade="all, delete-orphan",
    )

    def related(self, kind: str) -> list[Entity]:
        """Linked entities of one kind, in the order the seed content listed them."""
        return [link.target_entity for link in self.links if link.target_entity.kind == kind]

    def translation(self, lang: str) -> EntityText:
        """Name and description in ``lang``; :class:`MissingText` if there are none."""
        return _translation(self, lang)

    def synonyms_in(self, lang: str) -> list[str]:
        return [s.text for s in self.synonyms if s.lang == lang]

    def __repr__(self) -> str:
        return f"entity {self.kind}:{self.key}"


class EntityText(Base):
    """An entity's name and description in one language."""

    __tablename__ = "entity_text"
    __table_args__ = (UniqueConstraint("entity_id", "lang", name="uq_entity_text_lang"),)

    id = Column(Integer, primary_key=True)
    entity_id = Column(ForeignKey("entity.id", ondelete="CASCADE"), nullable=False)
    lang = Column(String(8), nullable=False)
    name = Column(String(200), nullable=False)
    description = Column(Text, nullable=False)
    #: hash of the seed payload of the item ``entity:KIND:KEY@LANG`` (not used for English,
    #: whose item is the entity itself: its hash is ``Entity.seed_hash``)
    seed_hash = Column(String(64))
    updated_at = Column(DateTime(timezone=True), default=_now, onupdate=_now)

    entity = relationship(Entity, back_populates="texts")


class Synonym(Base):
    """A surface form (lay word, abbreviation, lab-report spelling) of an entity."""

    __tablename__ = "synonym"
    __table_args__ = (
        UniqueConstraint("entity_id", "lang", "text", name="uq_synonym_entity_lang_text"),
    )

    id = Column(Integer, primary_key=True)
    entity_id = Column(ForeignKey("entity.id", ondelete="CASCADE"), nullable=False, index=True)
    #: the language whose recogniser looks for this form (a lab-report spelling such as
    #: "anti-Hu" may be listed in both)
    lang = Column(String(8), nullable=False, server_default=BASE_LANG)
    text = Column(String(200), nullable=False)

    entity = relationship(Entity, back_populates="synonyms")


class EntityLink(Base):
    """A structured fact linking two entities (e.g. anti-Yo → ovarian cancer)."""

    __tablename__ = "entity_link"
    __table_args__ = (UniqueConstraint("from_id", "to_id", name="uq_entity_link"),)

    id = Column(Integer, primary_key=True)
    from_id = Column(ForeignKey("entity.id", ondelete="CASCADE"), nullable=False, index=True)
    to_id = Column(ForeignKey("entity.id", ondelete="CASCADE"), nullable=False)
    position = Column(Integer, nullable=False, default=0)

    source_entity = relationship(Entity, foreign_keys=[from_id], back_populates="links")
    target_entity = relationship(Entity, foreign_keys=[to_id], lazy="joined")


class Answer(Base):
    """Staff-written answer text for a knowledge intent, general or about one entity."""

    __tablename__ = "answer"
    __table_args__ = (UniqueConstraint("intent", "entity_id", name="uq_answer_intent_entity"),)

    id = Column(Integer, primary_key=True)
    intent = Column(String(64), nullable=False, index=True)
    entity_id = Column(ForeignKey("entity.id", ondelete="CASCADE"))
    seed_hash = Column(String(64))
    updated_at = Column(DateTime(timezone=True), default=_now, onupdate=_now)

    entity: Entity | None = relationship(Entity)
    sources = relationship(Source, secondary=answer_source, order_by=Source.key)
    texts = relationship(
        "AnswerText",
        back_populates="answer",
        cascade="all, delete-orphan",
        order_by="AnswerText.lang",
    )

    def translation(self, lang: str) -> AnswerText:
        return _translation(self, lang)

    def __repr__(self) -> str:
        about = f":{self.entity.kind}:{self.entity.key}" if self.entity is not None else ""
        return f"answer {self.intent}{about}"


class AnswerText(Base):
    """An answer's text in one language."""

    __tablename__ = "answer_text"
    __table_args__ = (UniqueConstraint("answer_id", "lang", name="uq_answer_text_lang"),)

    id = Column(Integer, primary_key=True)
    answer_id = Column(ForeignKey("answer.id", ondelete="CASCADE"), nullable=False)
    lang = Column(String(8), nullable=False)
    text = Column(Text, nullable=False)
    seed_hash = Column(String(64))
    updated_at = Column(DateTime(timezone=True), default=_now, onupdate=_now)

    answer = relationship(Answer, back_populates="texts")


class Phrase(Base):
    """A reusable sentence that turns structured facts into text, e.g. a risk-group line.

    Kept in the KB (not in code) because it is medical text patients read.
    """

    __tablename__ = "phrase"

    id = Column(Integer, primary_key=True)
    key = Column(String(64), unique=True, nullable=False)
    seed_hash = Column(String(64))
    updated_at = Column(DateTime(timezone=True), default=_now, onupdate=_now)

    sources = relationship(Source, secondary=phrase_source, order_by=Source.key)
    texts = relationship(
        "PhraseText",
        back_populates="phrase",
        cascade="all, delete-orphan",
        order_by="PhraseText.lang",
    )

    def translation(self, lang: str) -> PhraseText:
        return _translation(self, lang)

    def __repr__(self) -> str:
        return f"phrase {self.key}"


class PhraseText(Base):
    """A phrase's text in one language (same {placeholders} in every language)."""

    __tablename__ = "phrase_text"
    __table_args__ = (UniqueConstraint("phrase_id", "lang", name="uq_phrase_text_lang"),)

    id = Column(Integer, primary_key=True)
    phrase_id = Column(ForeignKey("phrase.id", ondelete="CASCADE"), nullable=False)
    lang = Column(String(8), nullable=False)
    text = Column(Text, nullable=False)
    seed_hash = Column(String(64))
    updated_at = Column(DateTime(timezone=True), default=_now, onupdate=_now)

    phrase = relationship(Phrase, back_populates="texts")


class Centre(Base):
    """The referral centre. Contact fields stay empty until staff fill them in."""

    __tablename__ = "centre"

    id = Column(Integer, primary_key=True)
    phone = Column(String(100))
    email = Column(String(200))
    website = Column(String(500))
    seed_hash = Column(String(64))
    updated_at = Column(DateTime(timezone=True), default=_now, onupdate=_now)

    sources = relationship(Source, secondary=centre_source, order_by=Source.key)
    texts = relationship(
        "CentreText",
        back_populates="centre",
        cascade="all, delete-orphan",
        order_by="CentreText.lang",
    )

    #: Contact fields in the order a reply lists them.
    CONTACT_FIELDS: tuple[str, ...] = ("phone", "email", "address", "website", "hours")
    #: Fields written in a language (in :class:`CentreText`); the others are the same in all.
    TEXT_FIELDS: tuple[str, ...] = ("name", "organisation", "description", "address", "hours")

    def translation(self, lang: str) -> CentreText:
        return _translation(self, lang)

    def contact(self, field: str, lang: str) -> str | None:
        """A contact field's value in ``lang`` (address and hours are text, the rest are not)."""
        owner = self.translation(lang) if field in self.TEXT_FIELDS else self
        return getattr(owner, field)

    def __repr__(self) -> str:
        return "centre"


class CentreText(Base):
    """The centre's text fields in one language."""

    __tablename__ = "centre_text"
    __table_args__ = (UniqueConstraint("centre_id", "lang", name="uq_centre_text_lang"),)

    id = Column(Integer, primary_key=True)
    centre_id = Column(ForeignKey("centre.id", ondelete="CASCADE"), nullable=False)
    lang = Column(String(8), nullable=False)
    name = Column(String(200), nullable=False)
    organisation = Column(String(300))
    description = Column(Text)
    address = Column(Text)
    hours = Column(String(300))
    seed_hash = Column(String(64))
    updated_at = Column(DateTime(timezone=True), default=_now, onupdate=_now)

    centre = relationship(Centre, back_populates="texts")


class Setting(Base):
    """A global setting staff control, e.g. ``emergency_number``."""

    __tablename__ = "setting"

    key = Column(String(64), primary_key=True)
    value = Column(Text, nullable=False)
    seed_hash = Column(String(64))
    updated_at = Column(DateTime(timezone=True), default=_now, onupdate=_now)


#: Keyed hash of a conversation id (:func:`kb.privacy.conversation_key`): hex HMAC-SHA256.
CONVERSATION_KEY_LENGTH = 64


class Feedback(Base):
    """A patient's "Was this helpful?" answer about one bot reply (no personal data).

    ``conversation_key`` links it to its conversation for erasure, without naming anyone.
    """

    __tablename__ = "feedback"

    id = Column(Integer, primary_key=True)
    created_at = Column(DateTime(timezone=True), default=_now, nullable=False, index=True)
    conversation_key = Column(String(CONVERSATION_KEY_LENGTH), index=True)
    intent = Column(String(64), nullable=False)
    answer_ids = Column(String(200), nullable=False, default="")  # comma-separated Answer ids
    entities = Column(String(300), nullable=False, default="")  # "kind:id" pairs, comma-separated
    helpful = Column(Integer, nullable=False)  # 1 helpful, 0 not helpful
    lang = Column(String(8))  # the conversation's language (None: recorded before languages)


class UnansweredQuestion(Base):
    """A message the bot could not answer well, kept so staff know what to write next.

    The text is stored with identifiers redacted (:mod:`kb.redaction`); no sender id, only
    the keyed hash of the conversation, so an erasure request can remove it.
    """

    __tablename__ = "unanswered_question"

    id = Column(Integer, primary_key=True)
    created_at = Column(DateTime(timezone=True), default=_now, nullable=False, index=True)
    conversation_key = Column(String(CONVERSATION_KEY_LENGTH), index=True)
    text = Column(Text, nullable=False)
    reason = Column(String(32), nullable=False)  # low_confidence | no_answer | unknown_entity
    predicted_intent = Column(String(64))
    confidence = Column(Float)
    lang = Column(String(8))  # the conversation's language (None: recorded before languages)


#: What a conversation's consent record says (:mod:`kb.privacy`).
CONSENT_STATUSES: tuple[str, ...] = ("given", "declined", "withdrawn", "erased")


class Consent(Base):
    """Consent to process a conversation's assessment answers, one row per conversation.

    Holds no patient text and no channel id: the conversation's keyed hash, what was decided,
    when, and under which notice version (152-FZ and the GDPR ask the operator to prove
    consent). When the conversation is erased only the fact of erasure and its time remain.
    """

    __tablename__ = "consent"

    id = Column(Integer, primary_key=True)
    conversation_key = Column(String(CONVERSATION_KEY_LENGTH), unique=True, nullable=False)
    status = Column(String(16), nullable=False)  # CONSENT_STATUSES
    notice_version = Column(String(32))
    #: when the patient agreed (kept after a withdrawal: it was given until then)
    given_at = Column(DateTime(timezone=True))
    withdrawn_at = Column(DateTime(timezone=True))
    erased_at = Column(DateTime(timezone=True))
    created_at = Column(DateTime(timezone=True), default=_now, nullable=False)
    #: the last decision's time, set by kb.privacy (retention counts from it)
    updated_at = Column(DateTime(timezone=True), default=_now, nullable=False)


class Revision(Base):
    """One version of one content item, with who changed it, when, how, and who reviewed it.

    ``payload`` is the item's complete content (JSON, the :mod:`kb.items` payload), so any
    version can be shown, compared or restored on its own; ``diff`` is the change against the
    version it was made from, kept as text because reviewers and auditors read it. Versions
    are numbered per item. At most one revision per item is open (draft, in review, approved)
    and at most one is ``published`` — the one whose payload is in the live tables.
    """

    __tablename__ = "content_revision"
    __table_args__ = (
        UniqueConstraint("item_ref", "version", name="uq_revision_item_version"),
        # the workflow's invariants, held by the database even if two staff act at once
        Index(
            "uq_revision_one_published",
            "item_ref",
            unique=True,
            sqlite_where=text("status = 'published'"),
            postgresql_where=text("status = 'published'"),
        ),
        Index(
            "uq_revision_one_open",
            "item_ref",
            unique=True,
            sqlite_where=text(_OPEN_SQL),
            postgresql_where=text(_OPEN_SQL),
        ),
    )

    id = Column(Integer, primary_key=True)
    # looked up through uq_revision_item_version's index (item_ref is its leading column)
    item_ref = Column(String(200), nullable=False)  # e.g. "entity:antibody:yo"
    version = Column(Integer, nullable=False)
    status = Column(String(16), nullable=False, index=True)  # REVISION_STATES
    action = Column(String(16), nullable=False)  # REVISION_ACTIONS
    payload = Column(Text, nullable=False)
    diff = Column(Text, nullable=False, default="")
    #: the published version this change was made against (publishing checks it is still live)
    base_version = Column(Integer)
    message = Column(Text)
    author = Column(String(64), nullable=False)
    created_at = Column(DateTime(timezone=True), default=_now, nullable=False)
    submitted_at = Column(DateTime(timezone=True))
    reviewed_by = Column(String(64))
    reviewed_at = Column(DateTime(timezone=True))
    published_by = Column(String(64))
    published_at = Column(DateTime(timezone=True))
