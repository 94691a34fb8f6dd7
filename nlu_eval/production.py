"""The production NLU: ``config.yml`` and the model ``make build`` trained from it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from nlu_eval.experiments import ROOT


def current_model() -> Path:
    """The model for the current inputs (``bot.build`` names it by their hash); never trains."""
    from bot.build import current_model_path
    from bot.settings import load_settings

    path = current_model_path(load_settings())
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


def same_pipeline(config: Path, production: Path = ROOT / "config.yml") -> bool:
    """Whether ``production`` trains the NLU pipeline of ``config`` (FallbackClassifier
    thresholds aside: they are not trained)."""
    from nlu_eval.experiments import training_config

    def nlu(path: Path) -> Any:
        return json.loads(training_config(path))["pipeline"]

    return nlu(config) == nlu(production)


def training_seconds(model: Path) -> float:
    """Seconds ``make build`` took to train ``model`` (NLU and dialogue policies); 0 if unknown."""
    from bot.build import training_time_file

    path = training_time_file(model)
    return float(path.read_text()) if path.exists() else 0.0
