"""Content as the admin UI shows and edits it: form fields ↔ item records, the live preview.

Forms carry one field per item field (:func:`kb.payloads.fields_of`: a ``@ru`` version has only
the fields written in a language); list fields (synonyms,
sources, related entities) are one entry per line. A submitted form becomes the same
record a staff import file holds, and goes through :func:`kb.drafts.draft_records`, so the
UI cannot accept anything the CLI would refuse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from kb import review, revisions
from kb.answers import NATURAL_INTENT, Composer, KnowledgeBase
from kb.drafts import DraftReport, draft_records
from kb.errors import ContentError
from kb.exchange import Record
from kb.items import LiveContent, Ref
from kb.payloads import Field, fields_of, known_in, normalise, to_record

LIST_KINDS = frozenset({"synonyms", "links", "sources"})
#: Fields edited in a multi-line box.
LONG_FIELDS = frozenset({"description", "text", "citation", "address"})
#: What the preview asks the bot for each editable item type.
PREVIEW_INTENTS = {"centre": "ask_referral_centre"}


def is_list(field: Field) -> bool:
    return field.kind in LIST_KINDS


def form_values(ref: Ref, payload: Mapping[str, Any] | None) -> dict[str, str]:
    """The text of every form field for an item (empty for a new one)."""
    record = to_record(ref, payload) if payload else {}
    values: dict[str, str] = {}
    for field in fields_of(ref):
        value = record.get(field.name)
        if is_list(field):
            values[field.name] = "\n".join(str(v) for v in value or [])
        else:
            values[field.name] = "" if value is None else str(value)
    return values


def record_fields(ref: Ref, form: Mapping[str, str]) -> dict[str, Any]:
    """Record-form fields from a submitted form; list fields split on lines (blank ones dropped).

    Browsers send textarea line breaks as CRLF; they are normalised to LF so a text saved
    unchanged is not a change.
    """
    fields: dict[str, Any] = {}
    for field in fields_of(ref):
        raw = str(form.get(field.name, "")).replace("\r\n", "\n").replace("\r", "\n")
        if is_list(field):
            fields[field.name] = [line.strip() for line in raw.split("\n") if line.strip()]
        else:
            fields[field.name] = raw
    return fields


def save(
    session: Session, ref: Ref, form: Mapping[str, str], user: str, message: str, submit: bool
) -> DraftReport:
    """A draft of ``ref`` from a form (submitted for review if asked), or :class:`ContentError`."""
    record = Record(f"{ref} (form)", ref, record_fields(ref, form))
    return draft_records(
        session, [record], revisions.Change(user, "edit", message.strip() or None), submit=submit
    )


def preview_question(ref: Ref) -> tuple[str, list[tuple[str, str]]] | None:
    """The intent and entities whose reply shows ``ref`` (None for items no single reply shows)."""
    if ref.type == "answer":
        return ref.parts[0], [ref.entity] if ref.entity else []
    if ref.type == "entity":
        kind, key = ref.entity  # type: ignore[misc]
        return NATURAL_INTENT[kind], [(kind, key)]
    if ref.type in PREVIEW_INTENTS:
        return PREVIEW_INTENTS[ref.type], []
    return None


@dataclass
class Preview:
    """The exact text the bot would send, or why there is none."""

    text: str = ""
    error: str = ""
    question: str = ""


def preview(session: Session, ref: Ref, form: Mapping[str, str]) -> Preview:
    """Compose the reply with the edited item written into the live tables of ``session``.

    The caller must roll ``session`` back (:func:`kb.db.scratch_session`): the preview then
    runs the bot's own code (:class:`kb.answers.Composer`) on the bot's own tables, and nobody
    else ever sees the change.
    """
    asked = preview_question(ref)
    if asked is None:
        return Preview(
            error=f"no single reply shows a {ref.type}; its text is used inside other replies"
        )
    intent, entities = asked
    live = LiveContent(session)
    try:
        known = known_in(live.items(), revisions.open_revisions(session))
        live.write({ref: normalise(ref, record_fields(ref, form), "preview", known)})
    except ContentError as exc:
        return Preview(error=str(exc), question=intent)
    # the bot's own composer, in the item's language: what a patient asking in it gets
    reply = Composer(KnowledgeBase(session), ref.lang).compose(intent, entities)
    return Preview(text=reply.text, question=intent)


def status_of(session: Session, ref: Ref) -> review.ItemStatus:
    return review.ItemStatus(
        ref,
        LiveContent(session).row(ref) is not None,
        revisions.published(session, ref),
        revisions.open_revision(session, ref),
    )
