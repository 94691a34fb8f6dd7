"""Train NLU configurations and collect their predictions: held-out set and k-fold CV.

Training is slow (minutes per run on a small machine), so every run is cached under
``var/eval/runs`` by a content hash of everything that determines its outcome: the config
file, the exact training and test examples, the project's NLU code and spaCy vocabulary, and
the Rasa version. Re-running ``make eval`` retrains only what changed. The cache holds the
raw parse results, so scoring code can change without retraining.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from nlu_eval.data import entities_of, yaml_files
from nlu_eval.metrics import Example, Prediction
from nlu_eval.predict import predict_raw, to_prediction

logger = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent
SPACY_HASH_FILE = ROOT / "var" / "spacy" / "pns_en" / "pns_vocabulary.sha256"
SEED = 42
DIET_DEFAULT_EPOCHS = 300  # rasa 3.6 DIETClassifier default


@dataclass
class Run:
    """One training + evaluation: gold test examples and what the model predicted."""

    config: str
    split: str  # "heldout" or "fold-<k>"
    train_seconds: float
    examples: list[Example]
    predictions: list[Prediction]
    resources: dict[str, Any] | None = None  # nlu_eval.resources figures, when measured


def load_messages(paths: Sequence[Path]) -> list[Any]:
    """Rasa ``Message`` objects of every intent example (kept to write fold training files)."""
    from rasa.shared.nlu.training_data.loading import load_data

    messages: list[Any] = []
    for path in yaml_files(paths):
        messages += load_data(str(path)).intent_examples
    return messages


def to_example(message: Any) -> Example:
    return Example(
        message.get("text"), message.get("intent"), entities_of(message.get("entities") or [])
    )


def as_yaml(messages: Sequence[Any]) -> str:
    """Rasa NLU YAML for ``messages`` (entity annotations kept)."""
    from rasa.shared.nlu.training_data.training_data import TrainingData

    return TrainingData(training_examples=list(messages)).nlu_as_yaml()


def code_fingerprint() -> str:
    """The project's NLU code and spaCy vocabulary: custom components change predictions."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "nlu").glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    if SPACY_HASH_FILE.exists():
        digest.update(SPACY_HASH_FILE.read_bytes())
    return digest.hexdigest()


def training_config(config: Path) -> str:
    """What in ``config`` shapes the trained model, as canonical JSON.

    Comments and formatting do not count, nor the FallbackClassifier's thresholds: it is not
    trained and its verdict is undone when scoring, so tuning it must not force a retrain.
    """
    data = yaml.safe_load(config.read_text())
    pipeline = [
        {k: v for k, v in c.items() if not (c["name"] == "FallbackClassifier" and k != "name")}
        for c in data.get("pipeline") or []
    ]
    return json.dumps({**data, "pipeline": pipeline, "assistant_id": None}, sort_keys=True)


def run_key(config: Path, train_yaml: str, test: Sequence[Example]) -> str:
    import rasa

    settings = training_config(config)
    # Only pipelines built on the project's spaCy pipeline or components depend on its code.
    code = code_fingerprint() if ("SpacyNLP" in settings or '"nlu.' in settings) else ""
    digest = hashlib.sha256()
    for part in (rasa.__version__, settings, train_yaml, code, repr(list(test))):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()[:20]


def train(config: Path, train_yaml: str, out_dir: Path, log_file: Path) -> tuple[Path, float]:
    """``rasa train nlu`` in a child process (isolated TensorFlow state); (model, seconds)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="nlu-train-") as tmp:
        data = Path(tmp) / "nlu.yml"
        data.write_text(train_yaml)
        cmd = [
            sys.executable,
            "-m",
            "rasa",
            "train",
            "nlu",
            "--config",
            str(config),
            "--nlu",
            str(data),
            "--out",
            str(out_dir),
            "--fixed-model-name",
            "model",
        ]
        env = dict(
            os.environ,
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        )
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        started = time.monotonic()
        with open(log_file, "ab") as log:
            done = subprocess.run(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        seconds = time.monotonic() - started
    model = out_dir / "model.tar.gz"
    if done.returncode != 0 or not model.exists():
        raise RuntimeError(
            f"rasa train nlu failed for {config.name} (exit {done.returncode}); see {log_file}"
        )
    return model, seconds


def run(
    config: Path,
    split: str,
    train_messages: Sequence[Any],
    test: Sequence[Example],
    cache: Path,
    measure_resources: bool = False,
) -> Run:
    """Train ``config`` on ``train_messages`` and predict ``test``, or reuse the cached result.

    ``measure_resources``: also measure what serving the model costs (``nlu_eval.resources``,
    on the test texts) before the model is deleted; kept in the cache with the parses.
    """
    train_yaml = as_yaml(train_messages)
    key = run_key(config, train_yaml, test)
    path = cache / config.stem / f"{split}-{key}.json"
    stored = json.loads(path.read_text()) if path.exists() else None
    if stored is None or (measure_resources and "resources" not in stored):
        logger.info("training %s (%s, %d examples)…", config.stem, split, len(train_messages))
        work = cache / "models" / f"{config.stem}-{split}"
        model, seconds = train(config, train_yaml, work, cache / "train.log")
        texts = [e.text for e in test]
        parses = predict_raw(model, texts)
        stored = {"train_seconds": seconds, "parses": parses}
        if measure_resources:
            from nlu_eval.resources import measure

            stored["resources"] = measure(model, texts, ROOT)
        shutil.rmtree(work, ignore_errors=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(stored))
    predictions = [to_prediction(e.text, p) for e, p in zip(test, stored["parses"])]
    return Run(
        config.stem,
        split,
        stored["train_seconds"],
        list(test),
        predictions,
        stored.get("resources"),
    )


def heldout_run(
    config: Path,
    train_paths: Sequence[Path],
    test_paths: Path | Sequence[Path],
    cache: Path,
    split: str = "heldout",
    measure_resources: bool = False,
) -> Run:
    """Train on all training data, evaluate on the held-out set(s) (one training for all)."""
    paths = [test_paths] if isinstance(test_paths, Path) else list(test_paths)
    test = [to_example(m) for m in load_messages(paths)]
    return run(config, split, load_messages(train_paths), test, cache, measure_resources)


def split_by_set(
    run_: Run, sizes: dict[str, int]
) -> dict[str, tuple[list[Example], list[Prediction]]]:
    """The run's examples and predictions cut back into the held-out sets (in ``sizes`` order)."""
    out: dict[str, tuple[list[Example], list[Prediction]]] = {}
    start = 0
    for name, size in sizes.items():
        out[name] = (run_.examples[start : start + size], run_.predictions[start : start + size])
        start += size
    return out


def folds(labels: Sequence[str], k: int, seed: int = SEED) -> list[list[int]]:
    """Test indices of ``k`` stratified folds (each intent spread evenly over the folds)."""
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    return [list(test) for _, test in splitter.split(list(range(len(labels))), list(labels))]


def epochs_of(config: Path) -> int | None:
    """Training epochs of the config's DIETClassifier (None without one)."""
    for component in yaml.safe_load(config.read_text()).get("pipeline") or []:
        if component["name"] == "DIETClassifier":
            return int(component.get("epochs", DIET_DEFAULT_EPOCHS))
    return None


def capped_config(config: Path, max_epochs: int | None, out_dir: Path) -> Path:
    """``config`` itself, or a copy (same file name) whose DIETClassifier trains at most
    ``max_epochs`` epochs: cross-validation trains five times, so on a small machine it may
    run shorter than the held-out training. The report states the epochs CV used."""
    epochs = epochs_of(config)
    if max_epochs is None or epochs is None or epochs <= max_epochs:
        return config
    data = yaml.safe_load(config.read_text())
    for component in data["pipeline"]:
        if component["name"] == "DIETClassifier":
            component["epochs"] = max_epochs
    out_dir.mkdir(parents=True, exist_ok=True)
    capped = out_dir / config.name
    capped.write_text(
        f"# {config.name} with DIETClassifier epochs {epochs} -> {max_epochs} (cross-validation)\n"
        + yaml.safe_dump(data, sort_keys=False)
    )
    return capped


def cv_runs(
    config: Path, train_paths: Sequence[Path], k: int, cache: Path, max_epochs: int | None = None
) -> list[Run]:
    """k-fold cross-validation on the training data: one run per fold (DIET epochs capped at
    ``max_epochs`` if given)."""
    config = capped_config(config, max_epochs, cache / "capped-configs")
    messages = load_messages(train_paths)
    runs = []
    for n, test_idx in enumerate(folds([m.get("intent") for m in messages], k), start=1):
        held = set(test_idx)
        train_part = [m for i, m in enumerate(messages) if i not in held]
        test_part = [to_example(messages[i]) for i in test_idx]
        runs.append(run(config, f"fold-{n}of{k}", train_part, test_part, cache))
    return runs
