"""Check and normalise the fields of one content item, whoever wrote them.

Seed files, staff imports (YAML and CSV), ``$EDITOR`` edits and publishing all pass through
:func:`normalise`, so a rule (a length limit, a required source, a known risk group) holds the
same way everywhere, and a problem is reported with the file/row/item it came from before
anything is written.

Fields arrive in *record* form — what a person writes in a file: ``related`` is a list of
``kind:key`` strings. Payloads (:mod:`kb.items`) keep links as ``[kind, key]`` pairs, the
form the seed loader hashes; :func:`to_record` converts back.

A language version other than English (``answer:ask_tests@ru``) has only the fields written in
a language (:func:`fields_of`); it is checked by the same rules.
"""

from __future__ import annotations

import string
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kb.errors import ContentError
from kb.items import TRANSLATED_FIELDS, Ref, entity_ref
from kb.models import (
    KINDS,
    RISK_GROUPS,
    TARGETS,
    Answer,
    AnswerText,
    Centre,
    CentreText,
    Entity,
    EntityText,
    Phrase,
    PhraseText,
    Setting,
    Source,
    Synonym,
)

#: Longest text a patient should have to read in one piece (any Text column).
MAX_TEXT = 4000
#: Placeholders kb.answers and the actions fill into phrases; any other breaks an answer.
PHRASE_PLACEHOLDERS: frozenset[str] = frozenset(
    {
        "name",
        "items",
        "contacts",
        "number",
        "centre",
        "emergency_number",
        "ambulance_number",
        "operator",
        "contact",
        "days",
        "version",
    }
)
#: Placeholders any patient text (entity descriptions, answers) may use: the emergency numbers
#: come from the KB settings, so no text hard-codes a number that staff may need to change.
TEXT_PLACEHOLDERS: frozenset[str] = frozenset({"emergency_number", "ambulance_number"})

Known = Callable[[Ref], bool]
#: Settings that may stay empty until staff fill them in (the personal-data operator's name
#: and contact, shown in the privacy notice): everything else must have a value.
OPTIONAL_SETTINGS: frozenset[str] = frozenset({"privacy_operator_name", "privacy_operator_contact"})


@dataclass(frozen=True)
class Field:
    """One field of an item type, as files and payloads carry it."""

    name: str
    kind: str = "text"  # text | choice | synonyms | links | sources
    required: bool = False
    choices: tuple[str, ...] = ()
    collapse: bool = False  # join all whitespace into single spaces (citations)


FIELDS: dict[str, tuple[Field, ...]] = {
    "source": (
        Field("short", required=True),
        Field("citation", required=True, collapse=True),
        Field("url"),
    ),
    "entity": (
        Field("name", required=True),
        Field("description", required=True),
        Field("risk_group", "choice", choices=RISK_GROUPS),
        Field("target", "choice", choices=TARGETS),
        Field("synonyms", "synonyms"),
        Field("related", "links"),
        Field("sources", "sources", required=True),
    ),
    "answer": (Field("text", required=True), Field("sources", "sources", required=True)),
    "phrase": (Field("text", required=True), Field("sources", "sources")),
    "centre": (
        Field("name", required=True),
        *(Field(f) for f in ("organisation", "description") + Centre.CONTACT_FIELDS),
        Field("sources", "sources", required=True),
    ),
    "setting": (Field("value", required=True),),
}
#: Fields of the other-language versions: the translated fields, same rules as in English.
TRANSLATION_FIELDS: dict[str, tuple[Field, ...]] = {
    item_type: tuple(f for f in FIELDS[item_type] if f.name in names)
    for item_type, names in TRANSLATED_FIELDS.items()
}
#: The tables whose columns bound each type's fields (text tables hold the texts).
_MODELS: dict[str, tuple[Any, ...]] = {
    "source": (Source,),
    "entity": (Entity, EntityText),
    "answer": (Answer, AnswerText),
    "phrase": (Phrase, PhraseText),
    "centre": (Centre, CentreText),
    "setting": (Setting,),
}
#: Every field name of any type, in the column order of CSV exports.
ALL_FIELDS: tuple[str, ...] = tuple(
    dict.fromkeys(f.name for fields in FIELDS.values() for f in fields)
)


def limit(item_type: str, field_name: str) -> int:
    """The longest value a field may hold: its column's length, or :data:`MAX_TEXT`."""
    if field_name == "synonyms":
        return Synonym.__table__.c.text.type.length
    for model in _MODELS[item_type]:
        column = model.__table__.c.get(field_name)
        if column is not None:
            return getattr(column.type, "length", None) or MAX_TEXT
    return MAX_TEXT


def fields_of(ref: Ref) -> tuple[Field, ...]:
    """The fields an item holds: all of its type's, or the translated ones for ``@ru``."""
    return TRANSLATION_FIELDS[ref.type] if ref.translated else FIELDS[ref.type]


def synonym_form(text: str) -> str:
    """How the entity recogniser sees a name: case, hyphens and spacing do not matter."""
    return " ".join(text.lower().replace("-", " ").split())


def normalise(ref: Ref, raw: Mapping[str, Any], where: str, known: Known) -> dict[str, Any]:
    """The payload of ``ref`` from record-form ``raw``; :class:`ContentError` names ``where``."""
    fields = fields_of(ref)
    unknown = sorted(set(raw) - {f.name for f in fields})
    if unknown:
        what = f"the {ref.lang} version of a {ref.type}" if ref.translated else f"a {ref.type}"
        raise ContentError(
            f"{where}: unknown field(s) {unknown}; {what} has {', '.join(f.name for f in fields)}"
        )
    if ref.translated and not known(ref.base):
        raise ContentError(f"{where}: {ref.base} (the English item) is not in the content")
    if ref.entity and ref.type == "answer" and not known(entity_ref(*ref.entity)):
        raise ContentError(f"{where}: {ref.entity[0]} {ref.entity[1]!r} is not in the content")
    payload = {f.name: _VALUE[f.kind](ref, f, raw.get(f.name), where, known) for f in fields}
    if ref.translated:
        return _check_texts(ref, payload, where)
    if (
        ref.type == "entity"
        and ref.parts[0] != "antibody"
        and (payload["risk_group"] or payload["target"])
    ):
        raise ContentError(f"{where}: only antibodies have a risk_group or target")
    return _check_texts(ref, payload, where)


def _check_texts(ref: Ref, payload: dict[str, Any], where: str) -> dict[str, Any]:
    """Placeholders: a phrase may use the composer's; entity and answer texts (every language)
    only the emergency numbers, so no text hard-codes a number staff may need to change."""
    if ref.type == "phrase":
        _check_placeholders(payload["text"], where)
    elif ref.type in ("entity", "answer"):
        field = "description" if ref.type == "entity" else "text"
        _check_placeholders(payload[field], where, TEXT_PLACEHOLDERS, field)
    return payload


def placeholders(text: str) -> set[str]:
    """The {placeholders} of a phrase text (every language must use the same ones)."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}
    except ValueError:
        return set()


def to_record(ref: Ref, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The item as a person reads and writes it in a file: ``ref`` first, links as ``kind:key``."""
    record: dict[str, Any] = {"ref": str(ref)}
    for field in fields_of(ref):  # the documented order, whatever order the payload came in
        value = payload.get(field.name)
        record[field.name] = [f"{k}:{i}" for k, i in value] if field.kind == "links" else value
    return record


def recheck(ref: Ref, payload: Mapping[str, Any], where: str, known: Known) -> dict[str, Any]:
    """Check a stored payload against today's rules and references (publish, validate)."""
    fields = {k: v for k, v in to_record(ref, payload).items() if k != "ref"}
    return normalise(ref, fields, where, known)


def synonym_clashes(entities: Mapping[Ref, Mapping[str, Any]]) -> dict[str, list[Ref]]:
    """Surface forms (names and synonyms) that more than one entity claims.

    The entity recogniser cannot tell such entities apart and drops the form, so a clash is a
    content problem staff must resolve. The languages' forms are checked together: the same
    entity may list a form in both ("anti-Hu"), but two entities may not share one in any
    language, so one recogniser can hold both languages' vocabularies.
    """
    owners: dict[str, dict[Ref, list[Ref]]] = defaultdict(lambda: defaultdict(list))
    for ref, payload in entities.items():
        if ref.type == "entity":
            for text in (payload["name"], *payload["synonyms"]):
                owners[synonym_form(text)][ref.base].append(ref)
    return {
        form: sorted({r for refs in by_entity.values() for r in refs}, key=str)
        for form, by_entity in sorted(owners.items())
        if len(by_entity) > 1
    }


def check_synonym_clashes(
    view: Mapping[Ref, Mapping[str, Any]], changed: Mapping[Ref, str]
) -> None:
    """Fail if an item in ``changed`` (ref → where it came from) clashes in ``view``."""
    for form, refs in synonym_clashes(view).items():
        mine = [r for r in refs if r in changed]
        if mine:
            others = ", ".join(str(r) for r in refs if r != mine[0])
            raise ContentError(
                f"{changed[mine[0]]}: duplicate synonym {form!r}: also used by {others}"
            )


# --------------------------------------------------------------------------- field values


def _text(ref: Ref, field: Field, value: Any, where: str, known: Known) -> str | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)  # e.g. an unquoted emergency number in YAML
    if value is not None and not isinstance(value, str):
        raise ContentError(f"{where}: '{field.name}' must be text, not {type(value).__name__}")
    text = (" ".join(value.split()) if field.collapse else value.strip()) if value else ""
    if not text:
        if ref.type == "setting" and ref.parts and ref.parts[0] in OPTIONAL_SETTINGS:
            return ""
        if field.required:
            raise ContentError(f"{where}: '{field.name}' must be non-empty text")
        return None
    _check_length(text, limit(ref.type, field.name), where, f"'{field.name}'")
    return text


def _choice(ref: Ref, field: Field, value: Any, where: str, known: Known) -> str | None:
    if value in (None, ""):
        return None
    if value not in field.choices:
        raise ContentError(
            f"{where}: {field.name} {value!r} is not one of {', '.join(field.choices)}"
        )
    return str(value)


def _list(field: Field, value: Any, where: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ContentError(f"{where}: '{field.name}' must be a list")
    return value


def _synonyms(ref: Ref, field: Field, value: Any, where: str, known: Known) -> list[str]:
    seen: dict[str, str] = {}
    for item in _list(field, value, where):
        if not isinstance(item, str) or not item.strip():
            raise ContentError(f"{where}: synonyms must be non-empty strings")
        text = " ".join(item.split())
        _check_length(text, limit(ref.type, "synonyms"), where, f"synonym {text[:40]!r}…")
        form = synonym_form(text)
        if form in seen:
            raise ContentError(f"{where}: duplicate synonym {text!r} (same as {seen[form]!r})")
        seen[form] = text
    return sorted(seen.values())


def _links(ref: Ref, field: Field, value: Any, where: str, known: Known) -> list[list[str]]:
    links: list[list[str]] = []
    for item in _list(field, value, where):
        kind, _, key = str(item).partition(":")
        if kind not in KINDS or not key:
            raise ContentError(
                f"{where}: related {item!r} must be written kind:id with a kind of "
                f"{', '.join(KINDS)}"
            )
        if not known(entity_ref(kind, key)):
            raise ContentError(f"{where}: related {kind} {key!r} is not in the content")
        if [kind, key] in links:
            raise ContentError(f"{where}: related {kind} {key!r} is listed twice")
        links.append([kind, key])
    return links


def _sources(ref: Ref, field: Field, value: Any, where: str, known: Known) -> list[str]:
    if value is None or value == []:
        if field.required:
            raise ContentError(f"{where}: needs at least one source key")
        return []
    if not isinstance(value, list):
        raise ContentError(f"{where}: 'sources' must be a list of source keys")
    unknown = [k for k in value if not isinstance(k, str) or not known(Ref("source", (k,)))]
    if unknown:
        raise ContentError(f"{where}: unknown source key(s) {unknown}")
    return sorted(set(value))


_VALUE: dict[str, Callable[[Ref, Field, Any, str, Known], Any]] = {
    "text": _text,
    "choice": _choice,
    "synonyms": _synonyms,
    "links": _links,
    "sources": _sources,
}


def _check_length(text: str, most: int, where: str, what: str) -> None:
    if len(text) > most:
        raise ContentError(f"{where}: {what} is {len(text)} characters long; the limit is {most}")


def _check_placeholders(
    text: str,
    where: str,
    allowed: frozenset[str] = PHRASE_PLACEHOLDERS,
    field: str = "text",
) -> None:
    """A placeholder the composer does not fill would reach a patient as ``{typo}``."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise ContentError(f"{where}: '{field}' has a broken {{placeholder}}: {exc}") from exc
    unknown = sorted(n for n in names if n not in allowed)
    if unknown:
        raise ContentError(
            f"{where}: unknown placeholder(s) {unknown}; {field} may use "
            f"{', '.join(sorted(allowed))}"
        )


def merged_view(*layers: Mapping[Ref, Mapping[str, Any]]) -> dict[Ref, Mapping[str, Any]]:
    """Later layers win: e.g. the live items with a batch of drafts applied on top."""
    view: dict[Ref, Mapping[str, Any]] = {}
    for layer in layers:
        view.update(layer)
    return view


def known_in(*collections: Iterable[Ref]) -> Known:
    """A :data:`Known` check over the refs of several collections."""
    refs = {ref for refs in collections for ref in refs}
    return refs.__contains__
