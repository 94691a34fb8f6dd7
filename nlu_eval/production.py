"""The production NLU: ``config.yml`` and the model ``make build`` trained from it."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from nlu_eval.experiments import ROOT


def current_model() -> Path:
    """The model for the current inputs (``bot.build`` names it by their hash); never trains."""
    import rasa

    from bot.build import MODEL_PREFIX, model_hash
    from bot.settings import load_settings

    settings = load_settings()
    name = MODEL_PREFIX + model_hash(settings.root, settings.spacy_model_dir, [rasa.__version__])
    path = settings.models_dir / f"{name}.tar.gz"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `make build` first (it trains the model)")
    return path


def pipeline(config: Path) -> list[dict[str, Any]]:
    return list(yaml.safe_load(config.read_text())["pipeline"])


def configured_threshold(config: Path = ROOT / "config.yml") -> float:
    """The FallbackClassifier threshold ``config`` uses."""
    for component in pipeline(config):
        if component["name"] == "FallbackClassifier":
            return float(component["threshold"])
    raise ValueError(f"no FallbackClassifier in {config}")
