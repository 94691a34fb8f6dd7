"""Staff insight (grouping, weekly trends), the rebuild's progress and model state: pure logic."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.build import (
    BUILD_STEPS,
    BuildProgress,
    current_model_path,
    model_file_name,
    model_hash_for,
)
from bot.settings import ROOT, load_settings
from bot.web.admin import insight
from bot.web.admin.rebuild import (
    RELOAD_STEP,
    ModelState,
    Rebuilder,
    last_lines,
    rebuild_command,
    step_states,
)

NOW = datetime(2026, 11, 19, 15, 0, tzinfo=UTC)  # a Thursday


def test_weekly_counts_put_the_current_week_last() -> None:
    times = [
        NOW,
        NOW - timedelta(days=3),
        NOW - timedelta(days=4),
        NOW - timedelta(weeks=7),
        NOW - timedelta(weeks=9),
    ]
    # Monday 16 Nov starts the current week: NOW and NOW-3d are in it, NOW-4d (Sunday) in the
    # week before
    assert insight.weekly(times, NOW, weeks=8) == [1, 0, 0, 0, 0, 0, 1, 2]
    assert (
        insight.weekly([NOW + timedelta(days=7)], NOW) == [0] * insight.WEEKS
    )  # clock skew: ignored


def test_questions_are_grouped_by_wording_most_asked_first() -> None:
    rows = [
        (NOW - timedelta(days=10), "Is PNS contagious?", "low_confidence"),
        (NOW - timedelta(days=1), "is  pns contagious", "no_answer"),
        (NOW, "what about my cat", "low_confidence"),
        (NOW, "?!", "low_confidence"),  # nothing left after normalising
    ]
    groups = insight.group_questions(rows, NOW)
    assert [(g.text, g.count) for g in groups] == [
        ("is  pns contagious", 2),
        ("what about my cat", 1),
    ]
    assert dict(groups[0].reasons) == {"low_confidence": 1, "no_answer": 1}
    assert groups[0].trend[-2:] == [1, 1] and groups[0].last_seen == NOW - timedelta(days=1)


def test_feedback_lists_answers_with_not_helpful_votes_worst_first() -> None:
    rows = [
        (NOW, "ask_tests", "", 0),
        (NOW, "ask_tests", "", 1),
        (NOW, "ask_tests", "", 1),
        (NOW, "ask_treatment", "syndrome:lems", 0),
        (NOW, "ask_treatment", "syndrome:lems", 0),
        (NOW, "ask_prognosis", "", 1),
    ]
    groups = insight.group_feedback(rows, NOW)
    assert [(g.intent, g.not_helpful, g.helpful) for g in groups] == [
        ("ask_treatment", 2, 0),
        ("ask_tests", 1, 2),
    ]
    assert groups[1].share_not_helpful == 1 / 3 and groups[0].trend[-1] == 2


def test_progress_follows_the_build_record() -> None:
    names = lambda states: [(s.name, s.state) for s in states]  # noqa: E731
    assert names(step_states([], finished=False, failed=False))[0] == ("knowledge base", "running")
    done = ["knowledge base", "spaCy pipeline"]
    assert names(step_states(done, False, False))[1:3] == [
        ("spaCy pipeline", "done"),
        ("Rasa model", "running"),
    ]
    assert names(step_states(done, True, True))[2] == ("Rasa model", "failed")
    done.append("Rasa model")
    assert names(step_states(done, False, False))[3] == (RELOAD_STEP, "running")
    assert all(s.state == "done" for s in step_states(done, True, False, reloaded=True))


def test_the_build_progress_record_is_written_whole_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "progress.json"
    assert BuildProgress.read(path).done == []  # nothing written yet
    progress = BuildProgress(path)
    progress.step_done("knowledge base")
    assert BuildProgress.read(path).done == ["knowledge base"]
    progress.step_done("spaCy pipeline")
    progress.step_done("Rasa model", tmp_path / "pns-x.tar.gz")
    record = BuildProgress.read(path)
    assert record.done == list(BUILD_STEPS) and record.model_path == str(tmp_path / "pns-x.tar.gz")
    assert not list(tmp_path.glob("*.part"))
    with pytest.raises(ValueError, match="unknown build step"):
        progress.step_done("deploy")
    path.write_text("{not json")
    assert BuildProgress.read(path).done == []


def test_training_progress_shows_the_last_state_of_progress_bars() -> None:
    log = (
        "INFO start\nEpochs:   0%|  | 0/50\rEpochs:  10%|# | 5/50\rEpochs:  12%|# | 6/50\r\n"
        "\nINFO x\r\n"
    )
    assert last_lines(log, 2) == "Epochs:  12%|# | 6/50\nINFO x"
    assert last_lines("", 3) == ""


def test_needs_retraining_compares_the_running_model_with_the_vocabulary() -> None:
    assert ModelState("pns-a.tar.gz", "pns-b.tar.gz").needs_retraining
    assert not ModelState("pns-a.tar.gz", "pns-a.tar.gz").needs_retraining
    assert (
        not ModelState("pns-a.tar.gz", None).needs_retraining
        and "not answering" in ModelState("a", None).summary
    )


def test_model_file_name_is_the_name_the_build_gives_the_model() -> None:
    import rasa

    from nlu import spacy_pipeline

    settings = load_settings(root=ROOT)
    current = spacy_pipeline.current_hash(settings.spacy_model_dir)
    expected = f"pns-{model_hash_for(ROOT, current, [rasa.__version__])}.tar.gz"
    assert model_file_name(ROOT, current) == expected == current_model_path(settings).name
    assert model_file_name(ROOT, current + "x") != expected


async def test_a_failed_rebuild_is_reported_and_only_one_runs_at_a_time(tmp_path: Path) -> None:
    settings = load_settings(
        environ={"PNS_VAR_DIR": str(tmp_path), "PNS_RASA_PORT": "9"}, root=ROOT
    )
    script = (
        "import sys, time; from bot.build import BuildProgress; "
        "BuildProgress.from_env().step_done('knowledge base'); "
        "print('x: knowledge base: ok', file=sys.stderr, flush=True); time.sleep(1); sys.exit(3)"
    )
    rebuilder = Rebuilder(settings, [sys.executable, "-c", script])
    assert rebuilder.start("rita") and rebuilder.running
    assert not rebuilder.start("rob")  # one at a time
    await rebuilder.wait()
    job = rebuilder.job.snapshot()
    assert job["finished"] and "exit 3" in job["error"] and job["started_by"] == "rita"
    assert [s["state"] for s in job["steps"]] == ["done", "failed", "waiting", "waiting"]
    assert "knowledge base: ok" in job["log_tail"]


async def test_a_reload_the_rasa_server_refuses_is_an_error(tmp_path: Path) -> None:
    settings = load_settings(
        environ={"PNS_VAR_DIR": str(tmp_path), "PNS_RASA_PORT": "9"}, root=ROOT
    )
    script = (
        "from pathlib import Path; from bot.build import BuildProgress; "
        "p = BuildProgress.from_env(); "
        "p.step_done('knowledge base'); p.step_done('spaCy pipeline'); "
        "p.step_done('Rasa model', Path('/tmp/pns-none.tar.gz'))"
    )
    rebuilder = Rebuilder(settings, [sys.executable, "-c", script])
    rebuilder.start("rita")
    await rebuilder.wait()
    job = rebuilder.job.snapshot()
    assert job["model"] == "pns-none.tar.gz" and job["error"] and "Error" in job["error"]
    assert job["steps"][-1] == {"name": RELOAD_STEP, "state": "failed"}
    assert rebuild_command()[-4:] == [sys.executable, "-m", "bot", "model"]
