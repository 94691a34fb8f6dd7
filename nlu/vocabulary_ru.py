"""The Russian words the NLU must recognise: names and synonyms of every KB entity in Russian.

One function, :func:`russian_terms`, is the only reader. Until the KB stores a language per
synonym (branch ru-kb), it reads the reviewed Russian overlay ``kb/content/ru/entities/*.yml``
(ids are the English items' ids); once the database has the Russian synonyms, its body becomes
``kb.vocabulary.terms(session, lang="ru")`` (published content only, like English) and nothing
else changes.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from kb.loader import CONTENT_DIR
from kb.vocabulary import Term

OVERLAY_DIR = CONTENT_DIR / "ru" / "entities"
_PARENTHESES = re.compile(r"^(?P<outer>[^()]*)\((?P<inner>[^()]*)\)\s*$")


def name_forms(name: str) -> tuple[str, ...]:
    """A display name as synonyms: «нейромиотония (синдром Исаакса)» gives both parts; a
    parenthesised list («(запор, вздутие, рвота)») is an explanation, not a name."""
    found = _PARENTHESES.match(name)
    if not found:
        return (name,)
    inner = found["inner"].strip()
    return (found["outer"].strip(),) + ((inner,) if inner and "," not in inner else ())


def russian_terms(session: Session | None = None, overlay_dir: Path = OVERLAY_DIR) -> list[Term]:
    """Every entity's Russian name and synonyms, in a stable order (``session``: unused until
    the KB stores languages; taken now so callers do not change then)."""
    terms: list[Term] = []
    for path in sorted(overlay_dir.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        kind = data["kind"]
        for item in data.get("items") or []:
            names = [*name_forms(str(item["name"])), *(str(s) for s in item.get("synonyms") or [])]
            terms.append(Term(kind, str(item["id"]), tuple(dict.fromkeys(n for n in names if n))))
    return sorted(terms, key=lambda t: (t.kind, t.key))
