"""Bring everything the servers need up to date, doing only the work that changed.

1. KB schema upgraded (migrations) and seed content loaded (idempotent);
2. spaCy pipeline rebuilt if the KB vocabulary changed;
3. Rasa model trained only if its inputs changed: the model file is named after a content
   hash of config, domain, NLU data and code, stories and the spaCy vocabulary, so an
   existing file *is* the up-to-date model.
"""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.settings import Settings
from kb import migrate
from kb.db import session_scope
from kb.loader import LoadReport, load_content, read_content

logger = logging.getLogger(__name__)

MODEL_PREFIX = "pns-"
TRAINING_DATA_DIRS = ("nlu", "stories")
MODELS_KEPT = 3


def model_input_files(root: Path) -> list[Path]:
    """Every file whose content changes what ``rasa train`` produces."""
    files = [root / "config.yml", root / "domain.yml"]
    for folder in TRAINING_DATA_DIRS:
        files += sorted(
            p for p in (root / folder).rglob("*") if p.suffix in {".yml", ".yaml", ".py"}
        )
    return files


def model_hash_for(root: Path, vocabulary_hash: str, extra: Iterable[str] = ()) -> str:
    """The model hash for a given spaCy vocabulary hash (built or not yet built)."""
    digest = hashlib.sha256()
    for path in model_input_files(root):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(vocabulary_hash.encode())
    for item in extra:
        digest.update(item.encode())
    return digest.hexdigest()[:16]


def model_name(root: Path, vocabulary_hash: str) -> str:
    """The one naming rule of models: prefix + hash of the inputs, the vocabulary and Rasa's
    version (read without importing Rasa). ``rasa train --fixed-model-name`` takes this."""
    from importlib.metadata import version

    return f"{MODEL_PREFIX}{model_hash_for(root, vocabulary_hash, [version('rasa')])}"


def model_file_name(root: Path, vocabulary_hash: str) -> str:
    """The file :func:`ensure_model` writes for a vocabulary (the admin compares it)."""
    return f"{model_name(root, vocabulary_hash)}.tar.gz"


def current_model_path(settings: Settings) -> Path:
    """Where the model for the current inputs and built spaCy pipeline is (or will be)."""
    from nlu import spacy_pipeline  # spaCy brings TensorFlow: imported only where needed

    vocabulary = spacy_pipeline.current_hash(settings.spacy_model_dir)
    return settings.models_dir / model_file_name(settings.root, vocabulary)


def project_env(settings: Settings) -> dict[str, str]:
    """Environment for child processes: project importable, settings passed on explicitly."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(settings.root), env.get("PYTHONPATH")]))
    env["PNS_DATABASE_URL"] = settings.database_url
    env["PNS_ACTION_ENDPOINT_URL"] = settings.action_endpoint_url
    if settings.action_secret:
        env["PNS_ACTION_SECRET"] = settings.action_secret
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


@dataclass
class BuildResult:
    kb_report: LoadReport
    spacy_rebuilt: bool
    model_path: Path
    model_trained: bool


def prepare_kb(settings: Settings) -> LoadReport:
    migrate.upgrade(settings.database_url)
    content = read_content()
    with session_scope(settings.database_url) as session:
        return load_content(session, content)


def ensure_model(settings: Settings, log_file: Path | None = None) -> tuple[Path, bool]:
    """Return the model for the current inputs, training it only if it does not exist."""
    path = current_model_path(settings)
    name = path.name.removesuffix(".tar.gz")
    if path.exists():
        return path, False
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "rasa",
        "train",
        "--config",
        "config.yml",
        "--domain",
        "domain.yml",
        "--data",
        *TRAINING_DATA_DIRS,
        "--out",
        str(settings.models_dir),
        "--fixed-model-name",
        name,
    ]
    logger.info("training the Rasa model (%s)…", name)
    started = time.perf_counter()
    with open(log_file or os.devnull, "ab") as log:
        done = subprocess.run(
            cmd, cwd=settings.root, env=project_env(settings), stdout=log, stderr=subprocess.STDOUT
        )
    if done.returncode != 0 or not path.exists():
        hint = f"; see {log_file}" if log_file else ""
        raise RuntimeError(f"rasa train failed (exit {done.returncode}){hint}")
    training_time_file(path).write_text(f"{time.perf_counter() - started:.1f}\n")
    prune_models(settings.models_dir, keep=path)
    return path, True


def training_time_file(model: Path) -> Path:
    """Where the seconds ``rasa train`` took for ``model`` are kept (read by the benchmark)."""
    return model.with_name(model.name.replace(".tar.gz", ".train-seconds"))


def prune_models(models_dir: Path, keep: Path) -> None:
    """Keep the newest few models (quick rollback) and delete older ones."""
    models = sorted(
        models_dir.glob(f"{MODEL_PREFIX}*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True
    )
    for old in [m for m in models if m != keep][MODELS_KEPT - 1 :]:
        old.unlink(missing_ok=True)
        training_time_file(old).unlink(missing_ok=True)


def build_all(settings: Settings) -> BuildResult:
    """Everything ``make run`` / ``make test`` need, each step skipped when up to date."""
    report = prepare_kb(settings)
    logger.info("knowledge base: %s", report)
    from nlu import spacy_pipeline

    rebuilt, ambiguous = spacy_pipeline.ensure_pipeline(
        settings.database_url, settings.spacy_model_dir
    )
    for form, owners in ambiguous.items():
        logger.warning(
            "synonym %r is claimed by %s; it is not recognised until staff resolve it", form, owners
        )
    logger.info("spaCy pipeline: %s", "rebuilt" if rebuilt else "up to date")
    log_dir = settings.var_dir / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    model, trained = ensure_model(settings, log_dir / "train.log")
    logger.info("Rasa model: %s (%s)", model.name, "trained" if trained else "up to date")
    return BuildResult(report, rebuilt, model, trained)
