"""Read the reviewed seed content (``kb/content/*.yml``) and load it into the database.

Loading is idempotent and respects staff work: a row whose current content no longer matches
the seed payload that was last written into it has been edited by staff, and is kept unless
``force`` is given. Invalid content is rejected as a whole with a message that names the file
and item, before anything is written.

Seed content is reviewed in the repository before it ships, so it loads as published: every
item the loader writes gets a version by ``seed`` in the history (:mod:`kb.review`), and
items that have no history yet get a baseline version.

Languages: the English files (``content/*.yml``, ``content/entities/*.yml``) hold every item
with its language-neutral fields; each other language has an overlay tree with the same file
names (``content/ru/...``) that holds only the fields written in a language, keyed exactly like
the English. Each overlay entry becomes the ``@ru`` item of its English item (:mod:`kb.items`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.orm import Session

from kb import revisions
from kb.errors import ContentError
from kb.items import LiveContent, Ref, parse_ref, payload_of, sorted_refs
from kb.models import BASE_LANG, KINDS, LANGS
from kb.payloads import check_synonym_clashes, known_in, normalise
from kb.revisions import Change, payload_hash

__all__ = [
    "CONTENT_DIR",
    "Content",
    "ContentError",
    "LoadReport",
    "load_content",
    "payload_hash",
    "read_content",
]

CONTENT_DIR = Path(__file__).resolve().parent / "content"
SEED_AUTHOR = "seed"


# --------------------------------------------------------------------------- reading


@dataclass
class Content:
    """Parsed, validated seed content: one payload per item reference.

    The views (``sources``, ``entities``…) share the payload dicts with :attr:`items`, so a
    change made through a view is what gets loaded.
    """

    items: dict[Ref, dict[str, Any]] = field(default_factory=dict)

    def _of(self, item_type: str, lang: str = BASE_LANG) -> Iterator[tuple[Ref, dict[str, Any]]]:
        return (
            (ref, p) for ref, p in self.items.items() if ref.type == item_type and ref.lang == lang
        )

    def translations(self, lang: str) -> dict[Ref, dict[str, Any]]:
        """The ``lang`` versions of the items (``answer:ask_tests@ru`` …)."""
        return {ref: p for ref, p in self.items.items() if ref.translated and ref.lang == lang}

    @property
    def sources(self) -> dict[str, dict[str, Any]]:
        return {ref.parts[0]: p for ref, p in self._of("source")}

    @property
    def entities(self) -> dict[tuple[str, str], dict[str, Any]]:
        return {ref.entity: p for ref, p in self._of("entity")}  # type: ignore[misc]

    @property
    def answers(self) -> dict[tuple[str, tuple[str, str] | None], dict[str, Any]]:
        return {(ref.parts[0], ref.entity): p for ref, p in self._of("answer")}

    @property
    def phrases(self) -> dict[str, dict[str, Any]]:
        return {ref.parts[0]: p for ref, p in self._of("phrase")}

    @property
    def centre(self) -> dict[str, Any] | None:
        return self.items.get(Ref("centre"))

    @property
    def settings(self) -> dict[str, str]:
        return {ref.parts[0]: p["value"] for ref, p in self._of("setting")}


def _yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ContentError(f"{path.name}: not valid YAML: {exc}") from exc


class _Records:
    """Raw seed items by reference, each with the place it was read from."""

    def __init__(self) -> None:
        self.raw: dict[Ref, tuple[str, dict[str, Any]]] = {}

    def add(self, ref_text: str, where: str, raw: Mapping[str, Any]) -> None:
        try:
            ref = parse_ref(ref_text)
        except ContentError as exc:
            raise ContentError(f"{where}: {exc}") from exc
        if ref in self.raw:
            raise ContentError(
                f"{where}: missing or duplicate id ({ref} is already defined in {self.raw[ref][0]})"
            )
        self.raw[ref] = (where, dict(raw))


def _entity_records(
    records: _Records, filename: str, kind: str, item: Mapping[str, Any], at: str = ""
) -> None:
    key = item.get("id")
    where = f"{filename}: {key!r}"
    if not key:
        raise ContentError(f"{where}: missing or duplicate id")
    raw = {k: v for k, v in item.items() if k not in ("id", "answers")}
    related = raw.get("related")
    if isinstance(related, Mapping):
        raw["related"] = [
            f"{rel_kind}:{rel_key}" for rel_kind, keys in related.items() for rel_key in keys or []
        ]
    records.add(f"entity:{kind}:{key}{at}", where, raw)
    for answer in item.get("answers") or []:
        intent = answer.get("intent")
        records.add(
            f"answer:{intent}:{kind}:{key}{at}",
            f"{where}: answer {intent!r}",
            {k: v for k, v in answer.items() if k != "intent"},
        )


def _read_tree(records: _Records, content_dir: Path, lang: str) -> None:
    """The items of one language's tree: the English files, or a language's overlay."""
    at, prefix = ("", "") if lang == BASE_LANG else (f"@{lang}", f"{lang}/")
    if lang == BASE_LANG:
        for item in (_yaml(content_dir / "sources.yml") or {}).get("sources", []):
            key = item.get("key")
            where = f"sources.yml: {key!r}"
            if not key:
                raise ContentError(f"{where}: missing or duplicate key")
            records.add(f"source:{key}", where, {k: v for k, v in item.items() if k != "key"})
    for path in sorted((content_dir / "entities").glob("*.yml")):
        data = _yaml(path) or {}
        kind = data.get("kind")
        name = f"{prefix}entities/{path.name}"
        if kind not in KINDS:
            raise ContentError(f"{name}: kind {kind!r} is not one of {KINDS}")
        for item in data.get("items", []):
            _entity_records(records, name, kind, item, at)
    answers_file = content_dir / "answers.yml"
    answers = (_yaml(answers_file) or {}).get("answers", []) if answers_file.exists() else []
    for item in answers:
        intent, entity = item.get("intent"), item.get("entity")
        records.add(
            f"answer:{intent}{':' + str(entity) if entity else ''}{at}",
            f"{prefix}answers.yml: answer {intent!r}",
            {k: v for k, v in item.items() if k not in ("intent", "entity")},
        )
    phrases_file = content_dir / "phrases.yml"
    phrases = (_yaml(phrases_file) or {}).get("phrases", {}) if phrases_file.exists() else {}
    for key, item in phrases.items():
        records.add(f"phrase:{key}{at}", f"{prefix}phrases.yml: {key!r}", item or {})
    centre_file = content_dir / "centre.yml"
    centre_data = (_yaml(centre_file) or {}) if centre_file.exists() else {}
    if centre_data.get("centre"):
        records.add(f"centre{at}", f"{prefix}centre.yml", centre_data["centre"])
    settings = centre_data.get("settings") or {}
    if settings and lang != BASE_LANG:
        raise ContentError(
            f"{prefix}centre.yml: settings are the same in every language; keep them in centre.yml"
        )
    for key, value in settings.items():
        records.add(f"setting:{key}", f"centre.yml: setting {key!r}", {"value": value})


def read_content(content_dir: Path = CONTENT_DIR) -> Content:
    """Parse and validate every seed file; raise :class:`ContentError` on the first problem.

    Reading succeeds with a language missing for some items (that is a gap for
    :func:`kb.languages.language_gaps` and ``python -m kb check`` to report), never with an
    overlay entry that has no English item or carries a language-neutral field.
    """
    records = _Records()
    _read_tree(records, content_dir, BASE_LANG)
    for lang in LANGS:
        if lang != BASE_LANG and (content_dir / lang).is_dir():
            _read_tree(records, content_dir / lang, lang)

    known = known_in(records.raw)
    content = Content()
    for ref in sorted_refs(records.raw):
        where, raw = records.raw[ref]
        content.items[ref] = normalise(ref, raw, where, known)
    check_synonym_clashes(content.items, {ref: where for ref, (where, _) in records.raw.items()})
    return content


# --------------------------------------------------------------------------- loading


@dataclass
class LoadReport:
    """What a load did, for the operator (printed by ``python -m kb load``)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_staff_edits: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        kept = (
            f"; kept {len(self.kept_staff_edits)} staff-edited: {', '.join(self.kept_staff_edits)}"
            if self.kept_staff_edits
            else ""
        )
        return f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}{kept}"


def load_content(session: Session, content: Content, force: bool = False) -> LoadReport:
    """Bring the database in line with ``content`` (see module docstring for the rules)."""
    report = LoadReport()
    live = LiveContent(session)
    rows = live.rows()
    history = revisions.published_revisions(session)
    to_write: dict[Ref, dict[str, Any]] = {}
    for ref, item in content.items.items():
        row = rows.get(ref)
        if row is None:
            report.created += 1
            to_write[ref] = item
            continue
        seed_hash, current_hash = payload_hash(item), payload_hash(payload_of(ref, row))
        if current_hash == seed_hash:
            row.seed_hash = seed_hash
            report.unchanged += 1
        elif row.seed_hash != current_hash and not force:
            report.kept_staff_edits.append(ref.label)
        else:
            report.updated += 1
            to_write[ref] = item
            continue
        if ref not in history:
            revisions.record_baseline(session, ref, row)
    previous = {ref: payload_of(ref, rows[ref]) if ref in rows else None for ref in to_write}
    for ref, row in live.write(to_write).items():
        row.seed_hash = payload_hash(to_write[ref])
        revisions.record_published(
            session, ref, to_write[ref], Change(SEED_AUTHOR, "seed"), previous[ref]
        )
    session.flush()
    return report
