"""Read the reviewed seed content (``kb/content/*.yml``) and load it into the database.

Loading is idempotent and respects staff work: a row whose current content no longer matches
the seed payload that was last written into it has been edited by staff, and is kept unless
``force`` is given. Invalid content is rejected as a whole with a message that names the file
and item, before anything is written.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.contract import ANSWER_INTENTS
from kb.models import (
    KINDS,
    RISK_GROUPS,
    TARGETS,
    Answer,
    Centre,
    Entity,
    EntityLink,
    Phrase,
    Setting,
    Source,
    Synonym,
)

CONTENT_DIR = Path(__file__).resolve().parent / "content"


class ContentError(ValueError):
    """Seed content that cannot be loaded; the message says where and why."""


# --------------------------------------------------------------------------- reading


@dataclass
class Content:
    """Parsed, validated seed content, keyed the way the loader needs it."""

    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    entities: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    answers: dict[tuple[str, Optional[tuple[str, str]]], dict[str, Any]] = field(default_factory=dict)
    phrases: dict[str, dict[str, Any]] = field(default_factory=dict)
    centre: Optional[dict[str, Any]] = None
    settings: dict[str, str] = field(default_factory=dict)


def _yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ContentError(f"{path.name}: not valid YAML: {exc}") from exc


def _text(value: Any, where: str, field_name: str = "text") -> str:
    if not isinstance(value, str) or not value.strip():
        raise ContentError(f"{where}: '{field_name}' must be non-empty text")
    return value.strip()


def _source_keys(value: Any, where: str, known: Mapping[str, Any], required: bool = True) -> list[str]:
    if value is None and not required:
        return []
    if not isinstance(value, list) or (required and not value):
        raise ContentError(f"{where}: needs at least one source key")
    unknown = [k for k in value if k not in known]
    if unknown:
        raise ContentError(f"{where}: unknown source key(s) {unknown}")
    return sorted(set(value))


def read_content(content_dir: Path = CONTENT_DIR) -> Content:
    """Parse and validate every seed file; raise :class:`ContentError` on the first problem."""
    content = Content()
    for item in (_yaml(content_dir / "sources.yml") or {}).get("sources", []):
        key = item.get("key")
        where = f"sources.yml: {key!r}"
        if not key or key in content.sources:
            raise ContentError(f"{where}: missing or duplicate key")
        content.sources[key] = {
            "short": _text(item.get("short"), where, "short"),
            "citation": " ".join(_text(item.get("citation"), where, "citation").split()),
            "url": item.get("url") or None,
        }

    raw_entities: list[tuple[str, dict[str, Any]]] = []
    for path in sorted((content_dir / "entities").glob("*.yml")):
        data = _yaml(path) or {}
        kind = data.get("kind")
        if kind not in KINDS:
            raise ContentError(f"entities/{path.name}: kind {kind!r} is not one of {KINDS}")
        for item in data.get("items", []):
            raw_entities.append((f"entities/{path.name}", {**item, "kind": kind}))
    for filename, item in raw_entities:
        kind, key = item["kind"], item.get("id")
        where = f"{filename}: {key!r}"
        if not key or (kind, key) in content.entities:
            raise ContentError(f"{where}: missing or duplicate id")
        content.entities[(kind, key)] = item
    for (kind, key), item in content.entities.items():
        content.entities[(kind, key)] = _entity(item, f"{kind} {key!r}", content)

    for item in (_yaml(content_dir / "answers.yml") or {}).get("answers", []):
        _add_answer(content, item, None, "answers.yml")
    for (kind, key), item in content.entities.items():
        for answer in item.pop("answers"):
            _add_answer(content, answer, (kind, key), f"{kind} {key!r}")

    phrases_file = content_dir / "phrases.yml"
    for key, item in ((_yaml(phrases_file) or {}).get("phrases", {}) if phrases_file.exists() else {}).items():
        where = f"phrases.yml: {key!r}"
        content.phrases[key] = {
            "text": _text(item.get("text"), where),
            # glue phrases ("Sources", "I don't know X") state no medical fact
            "sources": _source_keys(item.get("sources"), where, content.sources, required=False),
        }

    centre_data = _yaml(content_dir / "centre.yml") or {}
    centre = centre_data.get("centre")
    if centre:
        where = "centre.yml"
        content.centre = {
            "name": _text(centre.get("name"), where, "name"),
            "organisation": centre.get("organisation") or None,
            "description": (centre.get("description") or "").strip() or None,
            **{f: (str(centre[f]).strip() if centre.get(f) else None) for f in Centre.CONTACT_FIELDS},
            "sources": _source_keys(centre.get("sources"), where, content.sources),
        }
    content.settings = {str(k): str(v) for k, v in (centre_data.get("settings") or {}).items()}
    return content


def _entity(item: Mapping[str, Any], where: str, content: Content) -> dict[str, Any]:
    kind = item["kind"]
    synonyms = item.get("synonyms") or []
    if not all(isinstance(s, str) and s.strip() for s in synonyms):
        raise ContentError(f"{where}: synonyms must be non-empty strings")
    related: list[list[str]] = []
    for rel_kind, keys in (item.get("related") or {}).items():
        for rel_key in keys or []:
            if (rel_kind, rel_key) not in content.entities:
                raise ContentError(f"{where}: related {rel_kind} {rel_key!r} is not in the content")
            related.append([rel_kind, rel_key])
    risk_group, target = item.get("risk_group"), item.get("target")
    if risk_group is not None and risk_group not in RISK_GROUPS:
        raise ContentError(f"{where}: risk_group {risk_group!r} is not one of {RISK_GROUPS}")
    if target is not None and target not in TARGETS:
        raise ContentError(f"{where}: target {target!r} is not one of {TARGETS}")
    return {
        "name": _text(item.get("name"), where, "name"),
        "description": _text(item.get("description"), where, "description"),
        "risk_group": risk_group,
        "target": target,
        "synonyms": sorted({" ".join(s.split()) for s in synonyms}),
        "related": related,
        "sources": _source_keys(item.get("sources"), where, content.sources),
        "answers": list(item.get("answers") or []),
    }


def _add_answer(
    content: Content, item: Mapping[str, Any], entity: Optional[tuple[str, str]], where: str
) -> None:
    intent = item.get("intent")
    where = f"{where}: answer {intent!r}"
    if intent not in ANSWER_INTENTS:
        raise ContentError(f"{where}: intent is not one of {ANSWER_INTENTS}")
    if (intent, entity) in content.answers:
        raise ContentError(f"{where}: duplicate answer")
    content.answers[(intent, entity)] = {
        "text": _text(item.get("text"), where),
        "sources": _source_keys(item.get("sources"), where, content.sources),
    }


# --------------------------------------------------------------------------- loading


def payload_hash(payload: Mapping[str, Any]) -> str:
    """A stable hash of a content payload (what the seed wrote into a row)."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _keys(sources: Iterable[Source]) -> list[str]:
    return sorted(s.key for s in sources)


def _entity_payload(row: Entity) -> dict[str, Any]:
    return {
        "name": row.name,
        "description": row.description,
        "risk_group": row.risk_group,
        "target": row.target,
        "synonyms": sorted(s.text for s in row.synonyms),
        "related": [[l.target_entity.kind, l.target_entity.key] for l in sorted(row.links, key=lambda l: l.position)],
        "sources": _keys(row.sources),
    }


@dataclass
class LoadReport:
    """What a load did, for the operator (printed by ``python -m kb load``)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_staff_edits: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        kept = f"; kept {len(self.kept_staff_edits)} staff-edited: {', '.join(self.kept_staff_edits)}" if self.kept_staff_edits else ""
        return f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}{kept}"


class _Sync:
    """Applies seed payloads to rows under the staff-edit rule, counting into a report."""

    def __init__(self, session: Session, force: bool) -> None:
        self.session, self.force, self.report = session, force, LoadReport()
        self.sources = {s.key: s for s in session.execute(select(Source)).scalars()}

    def apply(
        self,
        label: str,
        row: Any,
        new_row: Callable[[], Any],
        payload: dict[str, Any],
        current: Callable[[Any], dict[str, Any]],
        write: Callable[[Any, dict[str, Any]], None],
    ) -> Any:
        seed_hash = payload_hash(payload)
        if row is None:
            row = new_row()
            self.session.add(row)
            self.report.created += 1
        else:
            current_hash = payload_hash(current(row))
            if current_hash == seed_hash:
                if row.seed_hash != seed_hash:
                    row.seed_hash = seed_hash
                self.report.unchanged += 1
                return row
            if row.seed_hash != current_hash and not self.force:
                self.report.kept_staff_edits.append(label)
                return row
            self.report.updated += 1
        write(row, payload)
        row.seed_hash = seed_hash
        return row

    def source_rows(self, keys: Iterable[str]) -> list[Source]:
        return [self.sources[k] for k in keys]


def load_content(session: Session, content: Content, force: bool = False) -> LoadReport:
    """Bring the database in line with ``content`` (see module docstring for the rules)."""
    sync = _Sync(session, force)

    for key, payload in content.sources.items():
        def write_source(row: Source, p: dict[str, Any], key: str = key) -> None:
            row.key, row.short, row.citation, row.url = key, p["short"], p["citation"], p["url"]

        sync.sources[key] = sync.apply(
            f"source {key}", sync.sources.get(key), Source, payload,
            lambda r: {"short": r.short, "citation": r.citation, "url": r.url}, write_source,
        )
    session.flush()

    entities = {(e.kind, e.key): e for e in session.execute(select(Entity)).scalars()}
    # Entities are created before links are written, so that links can point forward.
    for kind, key in content.entities:
        if (kind, key) not in entities:
            row = Entity(kind=kind, key=key, name=key, description="")
            session.add(row)
            entities[(kind, key)] = row
    session.flush()
    for (kind, key), item in content.entities.items():
        row = entities[(kind, key)]
        is_new = row.seed_hash is None and row.description == ""

        def write_entity(row: Entity, p: dict[str, Any]) -> None:
            row.name, row.description = p["name"], p["description"]
            row.risk_group, row.target = p["risk_group"], p["target"]
            # delete old synonyms/links first: the unit of work inserts before it deletes,
            # which would trip the unique constraints when a row is rewritten
            row.synonyms.clear()
            row.links.clear()
            session.flush()
            row.synonyms = [Synonym(text=s) for s in p["synonyms"]]
            row.links = [
                EntityLink(target_entity=entities[(k, i)], position=n) for n, (k, i) in enumerate(p["related"])
            ]
            row.sources = sync.source_rows(p["sources"])

        payload = {k: v for k, v in item.items() if k != "answers"}
        sync.apply(f"{kind} {key}", None if is_new else row, lambda row=row: row, payload, _entity_payload, write_entity)
    session.flush()

    answers = {(a.intent, a.entity_id): a for a in session.execute(select(Answer)).scalars()}
    for (intent, entity_ref), payload in content.answers.items():
        entity_row = entities[entity_ref] if entity_ref else None
        label = f"answer {intent}" + (f" {entity_ref[0]} {entity_ref[1]}" if entity_ref else "")

        def write_answer(row: Answer, p: dict[str, Any]) -> None:
            row.text, row.sources = p["text"], sync.source_rows(p["sources"])

        sync.apply(
            label, answers.get((intent, entity_row.id if entity_row else None)),
            lambda intent=intent, entity_row=entity_row: Answer(intent=intent, entity=entity_row),
            payload, lambda r: {"text": r.text, "sources": _keys(r.sources)}, write_answer,
        )

    phrases = {p.key: p for p in session.execute(select(Phrase)).scalars()}
    for key, payload in content.phrases.items():
        def write_phrase(row: Phrase, p: dict[str, Any]) -> None:
            row.text, row.sources = p["text"], sync.source_rows(p["sources"])

        sync.apply(
            f"phrase {key}", phrases.get(key), lambda key=key: Phrase(key=key), payload,
            lambda r: {"text": r.text, "sources": _keys(r.sources)}, write_phrase,
        )

    if content.centre:
        centre_fields = ("name", "organisation", "description") + Centre.CONTACT_FIELDS

        def write_centre(row: Centre, p: dict[str, Any]) -> None:
            for f in centre_fields:
                setattr(row, f, p[f])
            row.sources = sync.source_rows(p["sources"])

        sync.apply(
            "centre", session.execute(select(Centre).order_by(Centre.id)).scalars().first(), Centre,
            content.centre,
            lambda r: {**{f: getattr(r, f) for f in centre_fields}, "sources": _keys(r.sources)},
            write_centre,
        )

    settings = {s.key: s for s in session.execute(select(Setting)).scalars()}
    for key, value in content.settings.items():
        def write_setting(row: Setting, p: dict[str, Any], key: str = key) -> None:
            row.key, row.value = key, p["value"]

        sync.apply(f"setting {key}", settings.get(key), Setting, {"value": value},
                   lambda r: {"value": r.value}, write_setting)
    session.flush()
    return sync.report
