"""Live vs retrain: whether the running model knows the KB vocabulary, and the rebuild job.

Text changes need nothing here: answers are read from the KB at answer time. Names and
synonyms are different: the spaCy entity ruler is built from them and trained into the Rasa
model, so a published vocabulary change needs a rebuild. "Needs retraining" compares the
model file the Rasa server has loaded with the file :mod:`bot.build` would produce for the
KB's current vocabulary (the model file name *is* the hash of its inputs).

The rebuild runs ``python -m bot model`` (pipeline rebuild + ``rasa train`` only if needed,
at low CPU priority) in a child process, so the web server stays responsive and the Rasa
server keeps answering with the old model; only when the new model file exists is the Rasa
server told to load it (``PUT /model``), which swaps models once loading has finished. The
child reports its steps and the model file in a progress record
(:class:`bot.build.BuildProgress`); the log is only shown to staff.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from bot.build import BUILD_STEPS, PROGRESS_VAR, BuildProgress, model_file_name, project_env
from bot.settings import Settings

logger = logging.getLogger(__name__)

RELOAD_STEP = "reload the Rasa server"
RELOAD_TIMEOUT_S = 600.0
#: Where :func:`bot.build.ensure_model` logs ``rasa train`` (beside the rebuild log).
TRAIN_LOG = "train.log"


def last_lines(text: str, count: int) -> str:
    """The last ``count`` non-empty lines; progress bars redraw with ``\\r`` (last state counts)."""
    shown = []
    for line in text.replace("\r\n", "\n").split("\n"):
        states = [state.rstrip() for state in line.split("\r") if state.strip()]
        if states:
            shown.append(states[-1])
    return "\n".join(shown[-count:])


def vocabulary_hash(session: Session) -> str:
    """The spaCy pipeline hash the KB's published vocabulary would build.

    Imported here: spaCy pulls in TensorFlow (seconds, hundreds of MB), which the page server
    should pay only when someone opens the Model page.
    """
    from nlu.spacy_pipeline import vocabulary_hash as pipeline_vocabulary_hash

    return pipeline_vocabulary_hash(session)


def loaded_model(settings: Settings, timeout: float = 5.0) -> str | None:
    """File name of the model the Rasa server has loaded (None if it does not answer)."""
    url = f"{settings.rasa_url}/status?token={settings.rasa_token or ''}"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            model_file = json.loads(response.read()).get("model_file")
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return Path(model_file).name if model_file else None


@dataclass(frozen=True)
class ModelState:
    """What the staff page says about the model."""

    expected: str
    loaded: str | None

    @property
    def needs_retraining(self) -> bool:
        """The KB vocabulary differs from what the running model was built with."""
        return self.loaded is not None and self.loaded != self.expected

    @property
    def summary(self) -> str:
        if self.loaded is None:
            return "the Rasa server is not answering, so the loaded model is unknown"
        if self.needs_retraining:
            return (
                "needs retraining: names or synonyms changed since the running model was built; "
                "text changes are already live"
            )
        return "up to date: the running model knows every published name and synonym"


def model_state(session: Session, settings: Settings) -> ModelState:
    return ModelState(
        model_file_name(settings.root, vocabulary_hash(session)), loaded_model(settings)
    )


# --------------------------------------------------------------------------- the job


@dataclass
class StepState:
    name: str
    state: str = "waiting"  # waiting | running | done | failed


def step_states(
    done_steps: Collection[str], finished: bool, failed: bool, reloaded: bool = False
) -> list[StepState]:
    """Where a rebuild is, from the build steps recorded as done (pure: the page and tests).

    ``reloaded``: the Rasa server serves the new model.
    """
    names = [*BUILD_STEPS, RELOAD_STEP]
    done = [name in done_steps for name in BUILD_STEPS] + [reloaded]
    states = [StepState(name, "done" if ok else "waiting") for name, ok in zip(names, done)]
    current = next((s for s in states if s.state == "waiting"), None)
    if current is not None and (not finished or failed):
        current.state = "failed" if failed else "running"
    return states


@dataclass
class RebuildJob:
    """One rebuild: the child process, its log, and the outcome."""

    started_by: str
    log_path: Path
    started_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    model_path: str | None = None
    error: str | None = None
    reloaded: bool = False

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    @property
    def progress_path(self) -> Path:
        """The build's progress record (:class:`bot.build.BuildProgress`), beside the log."""
        return self.log_path.with_name("rebuild.progress.json")

    def progress(self) -> BuildProgress:
        return BuildProgress.read(self.progress_path)

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def training_progress(self) -> str:
        """The last lines ``rasa train`` wrote during this job (epoch bars included)."""
        train_log = self.log_path.with_name(TRAIN_LOG)
        if not train_log.exists() or train_log.stat().st_mtime < self.started_at:
            return ""
        return last_lines(train_log.read_bytes()[-20_000:].decode(errors="replace"), 6)

    def snapshot(self) -> dict[str, object]:
        log = self.log_text()
        steps = step_states(
            self.progress().done, self.finished, self.error is not None, self.reloaded
        )
        return {
            "started_by": self.started_by,
            "started_at": self.started_at,
            "finished": self.finished,
            "error": self.error,
            "model": Path(self.model_path).name if self.model_path else None,
            "steps": [{"name": s.name, "state": s.state} for s in steps],
            "log_tail": log[-3000:],
            "training": self.training_progress(),
        }


def rebuild_command(python: str = sys.executable) -> list[str]:
    """``python -m bot model`` at the lowest CPU priority (staff pages stay quick)."""
    nice = shutil.which("nice")
    return ([nice, "-n", "19"] if nice else []) + [python, "-m", "bot", "model"]


class Rebuilder:
    """Runs at most one rebuild at a time for one web server; the last one stays visible."""

    def __init__(self, settings: Settings, command: Sequence[str] | None = None) -> None:
        self.settings = settings
        self.command = list(command or rebuild_command())
        self.job: RebuildJob | None = None
        self._task: asyncio.Task | None = None

    @property
    def running(self) -> bool:
        return self.job is not None and not self.job.finished

    def start(self, user: str) -> bool:
        """Start a rebuild in the background; False if one is already running."""
        if self.running:
            return False
        log_dir = self.settings.var_dir / "log"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.job = RebuildJob(user, log_dir / "rebuild.log")
        self.job.log_path.write_text("")
        self.job.progress_path.unlink(missing_ok=True)
        self._task = asyncio.get_running_loop().create_task(self._run(self.job))
        return True

    async def wait(self) -> None:
        if self._task is not None:
            await asyncio.shield(self._task)

    async def _run(self, job: RebuildJob) -> None:
        try:
            env = {**project_env(self.settings), PROGRESS_VAR: str(job.progress_path)}
            with open(job.log_path, "ab") as log:
                process = await asyncio.create_subprocess_exec(
                    *self.command, cwd=self.settings.root, env=env, stdout=log, stderr=log
                )
                await process.wait()
            model_path = job.progress().model_path
            if process.returncode != 0 or not model_path:
                job.error = f"the build failed (exit {process.returncode}); see the log below"
                return
            job.model_path = model_path
            await asyncio.get_running_loop().run_in_executor(None, self.reload, job.model_path)
            job.reloaded = True
        except Exception as exc:  # the page must show any failure, not lose it in a task
            logger.exception("rebuild failed")
            job.error = f"{type(exc).__name__}: {exc}"
        finally:
            job.finished_at = time.time()

    def reload(self, model_path: str) -> None:
        """Ask the Rasa server to load ``model_path``; it answers once the new model serves."""
        request = urllib.request.Request(
            f"{self.settings.rasa_url}/model?token={self.settings.rasa_token or ''}",
            data=json.dumps({"model_file": model_path}).encode(),
            method="PUT",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=RELOAD_TIMEOUT_S) as response:
                if response.status != 204:
                    raise RuntimeError(f"the Rasa server answered {response.status} to the reload")
        except urllib.error.HTTPError as exc:
            raise RuntimeError(
                f"the Rasa server refused the new model ({exc.code}): {exc.read()[:300]!r}"
            ) from exc
