"""Bring everything the servers need up to date, doing only the work that changed.

1. KB schema upgraded (migrations) and seed content loaded (idempotent);
2. spaCy pipeline rebuilt if the KB vocabulary changed;
3. Rasa model trained only if its inputs changed: the model file is named after a content
   hash of config, domain, NLU data and code, stories and the spaCy vocabulary, so an
   existing file *is* the up-to-date model.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bot.settings import Settings
from kb import migrate
from kb.db import session_scope
from kb.loader import LoadReport, load_content, read_content
from kb.settings import PRIVACY_KEY_VAR, ensure_privacy_key

logger = logging.getLogger(__name__)

MODEL_PREFIX = "pns-"
TRAINING_DATA_DIRS = ("nlu", "stories")
MODELS_KEPT = 3
#: The steps of a build, in order; :class:`BuildProgress` records each as it finishes.
BUILD_STEPS: tuple[str, ...] = ("knowledge base", "spaCy pipeline", "Rasa model")
#: Where a build writes its progress record, when a watcher asks for one (the admin's rebuild).
PROGRESS_VAR = "PNS_BUILD_PROGRESS"


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
    if not env.get(PRIVACY_KEY_VAR):  # every process must hash conversation ids alike
        env[PRIVACY_KEY_VAR] = ensure_privacy_key(settings.root / ".env", env)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


@dataclass
class BuildResult:
    kb_report: LoadReport
    spacy_rebuilt: bool
    model_path: Path
    model_trained: bool


@dataclass
class BuildProgress:
    """Which build steps are done and the model file, as a small JSON record.

    The admin's rebuild job runs the build in a child process and shows its steps from this
    record (``PNS_BUILD_PROGRESS`` names the file), instead of reading the build's log text.
    Each write replaces the file whole, so a reader never sees half a record.
    """

    path: Path | None = None
    done: list[str] = field(default_factory=list)
    model_path: str | None = None

    @classmethod
    def from_env(cls) -> BuildProgress:
        """Recording to the file ``PNS_BUILD_PROGRESS`` names (or nowhere when unset)."""
        path = os.environ.get(PROGRESS_VAR)
        return cls(Path(path) if path else None)

    @classmethod
    def read(cls, path: Path) -> BuildProgress:
        """The record as last written; empty if there is none yet (or it is unreadable)."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls(path)
        done = [step for step in data.get("done", []) if step in BUILD_STEPS]
        return cls(path, done, data.get("model_path"))

    def step_done(self, step: str, model_path: Path | None = None) -> None:
        if step not in BUILD_STEPS:
            raise ValueError(f"unknown build step {step!r}")
        self.done.append(step)
        if model_path is not None:
            self.model_path = str(model_path)
        if self.path is not None:
            record = {"done": self.done, "model_path": self.model_path}
            partial = self.path.with_name(self.path.name + ".part")
            partial.write_text(json.dumps(record), encoding="utf-8")
            partial.replace(self.path)


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


def build_all(settings: Settings, progress: BuildProgress | None = None) -> BuildResult:
    """Everything ``make run`` / ``make test`` need, each step skipped when up to date."""
    progress = progress or BuildProgress()
    report = prepare_kb(settings)
    logger.info("knowledge base: %s", report)
    progress.step_done("knowledge base")
    from nlu import spacy_pipeline

    rebuilt, ambiguous = spacy_pipeline.ensure_pipeline(
        settings.database_url, settings.spacy_model_dir
    )
    for form, owners in ambiguous.items():
        logger.warning(
            "synonym %r is claimed by %s; it is not recognised until staff resolve it", form, owners
        )
    logger.info("spaCy pipeline: %s", "rebuilt" if rebuilt else "up to date")
    progress.step_done("spaCy pipeline")
    log_dir = settings.var_dir / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    model, trained = ensure_model(settings, log_dir / "train.log")
    logger.info("Rasa model: %s (%s)", model.name, "trained" if trained else "up to date")
    progress.step_done("Rasa model", model)
    return BuildResult(report, rebuilt, model, trained)
