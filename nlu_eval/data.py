"""Annotated examples read from Rasa NLU YAML (training data and the held-out test set)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from nlu_eval.metrics import Entity, Example


def load_examples(*paths: Path) -> list[Example]:
    """Every intent example in the given files or folders, with its entity annotations."""
    from rasa.shared.nlu.training_data.loading import load_data  # heavy import, only when used

    examples: list[Example] = []
    for path in yaml_files(paths):
        data = load_data(str(path))
        for message in data.intent_examples:
            examples.append(
                Example(
                    message.get("text"),
                    message.get("intent"),
                    entities_of(message.get("entities") or []),
                )
            )
    return examples


def yaml_files(paths: Iterable[Path]) -> list[Path]:
    """The YAML files among ``paths`` (folders searched recursively, sorted for stable folds)."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix in {".yml", ".yaml"})
        else:
            found.append(path)
    return found


def entities_of(raw: Iterable[dict]) -> tuple[Entity, ...]:
    """Rasa entity dicts → ``Entity`` (value as given; the contract makes it the canonical id)."""
    return tuple(
        Entity(int(e["start"]), int(e["end"]), str(e["entity"]), str(e.get("value", "")))
        for e in raw
    )
