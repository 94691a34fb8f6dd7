"""The staff CLI, ``python -m kb``: commands, messages and exit codes against a real database."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kb.cli import EXIT_DATABASE, EXIT_INPUT, EXIT_PROBLEMS, EXIT_REFUSED, main
from kb.contract import ENTITY_IDS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def kb(fresh_kb_url: str, capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch):
    """Run ``python -m kb`` in-process on the test's own KB; returns (exit code, stdout, stderr)."""
    monkeypatch.delenv("PNS_KB_USER", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)

    def run(*args: str, user: str = "") -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["--database-url", fresh_kb_url, *(["--user", user] if user else []), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_validate_exits_zero_on_the_shipped_content(kb_url: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kb", "--database-url", kb_url, "validate"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert (done.returncode, done.stdout.strip()) == (0, "0 problem(s)"), done.stderr


def test_a_change_goes_from_file_to_patients_through_review(kb, tmp_path: Path) -> None:
    change = tmp_path / "centre.yml"
    code, out, _ = kb("show", "centre")
    assert code == 0 and "name: Center for Neuromuscular Pathology" in out
    change.write_text(
        out.split("\n", 1)[1].replace("phone: null", "phone: +7 000 000-00-00"), encoding="utf-8"
    )

    assert kb(
        "edit", "centre", "--file", str(change), "-m", "phone added", "--submit", user="alice"
    )[:2] == (0, "centre: v2 in review\n1 in review version(s) saved, 0 item(s) unchanged\n")
    code, _, err = kb("approve", "centre", user="alice")
    assert code == EXIT_REFUSED and "a reviewer other than the author" in err
    assert (
        kb("show", "centre")[1].count("phone: null") == 1
    )  # patients still see the published centre
    assert kb("approve", "--all", user="bob")[:2] == (0, "centre: v2 approved\n")
    assert kb("publish", "centre", user="bob")[:2] == (0, "centre: v2 published\n")
    assert "phone: +7 000 000-00-00" in kb("show", "centre")[1]

    history = kb("history", "centre")[1].splitlines()
    assert history[0].startswith("v1   superseded seed")
    assert (
        history[1].startswith("v2   published  edit")
        and "by alice, reviewed by bob, published by bob" in history[1]
    )
    assert history[1].endswith("— phone added")
    assert "+phone: +7 000 000-00-00" in kb("diff", "centre", "--version", "2")[1]

    assert kb("rollback", "centre", "--to", "1", user="carol")[:2] == (
        0,
        "centre: v1 restored as v3 (published)\n",
    )
    assert "phone: null" in kb("show", "centre")[1]
    assert kb("validate")[0] == 0


def test_edit_in_the_editor(kb, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDITOR", "sed -i s/Sources$/References/")
    assert kb("edit", "phrase:sources.label", user="alice")[:2] == (
        0,
        "phrase:sources.label: v2 draft\n1 draft version(s) saved, 0 item(s) unchanged\n",
    )
    assert "text: References" in kb("show", "phrase:sources.label", "--draft")[1]
    assert "-text: Sources\n+text: References" in kb("diff", "phrase:sources.label")[1]

    monkeypatch.setenv("EDITOR", "true")  # saved without changes
    assert kb("edit", "phrase:handoff", user="alice")[:2] == (
        0,
        "phrase:handoff: unchanged, nothing saved\n",
    )
    monkeypatch.setenv("EDITOR", "false")  # the editor failed
    code, _, err = kb("edit", "phrase:handoff", user="alice")
    assert code == EXIT_INPUT and "exited with status 1; nothing saved" in err


def test_a_broken_edit_is_kept_for_the_author(kb, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDITOR", "sed -i s/^value:.*/value:/")
    code, _, err = kb("edit", "setting:emergency_number", user="alice")
    assert code == EXIT_INPUT and "'value' must be non-empty text" in err
    kept = Path(err.split("your text is kept in ")[1].split(";")[0])
    assert kept.exists()
    kept.unlink()
    assert kb("list", "--status", "draft")[1] == "0 item(s)\n"


def test_new_item_from_an_edit_template(kb, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDITOR", "sed -i -e s/^value:.*/value:\\ '15'/")
    assert kb("edit", "setting:poison_centre_number", user="alice")[0] == 0
    assert "setting:poison_centre_number" in kb("list", "setting")[1]
    assert "draft v1 by alice" in kb("list", "setting")[1]


def test_who_you_are_is_required_for_changes(kb, monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = kb("submit", "--all")
    assert code == EXIT_REFUSED and "--user NAME or set PNS_KB_USER" in err
    monkeypatch.setenv("PNS_KB_USER", "seed")
    code, _, err = kb("submit", "--all")
    assert code == EXIT_REFUSED and "reserved" in err
    monkeypatch.setenv("PNS_KB_USER", "alice")
    assert kb("submit", "--all")[:2] == (0, "nothing to submit\n")


def test_bad_references_and_arguments_exit_with_2(kb) -> None:
    code, _, err = kb("show", "antibody:no_such")
    assert code == EXIT_INPUT and "no such item" in err
    code, _, err = kb("history", "answer:ask_weather")
    assert code == EXIT_INPUT and "intent 'ask_weather'" in err
    code, _, err = kb("publish", "answer:ask_tests", "--all", user="bob")
    assert code == EXIT_INPUT and "not both" in err
    code, _, err = kb("list", "planets")
    assert code == EXIT_INPUT and "selects nothing" in err
    with pytest.raises(SystemExit) as raised:
        kb("rollback", "centre")  # --to missing
    assert raised.value.code == 2


def seed_item_count(content) -> int:
    """Items in the shipped seed content: what a freshly loaded KB publishes."""
    return len(content.items)  # both languages: each language version is an item


def test_list_search_and_stats(kb, seed_content) -> None:
    code, out, _ = kb("list", "antibody")
    assert (
        code == 0 and out.splitlines()[-1] == f"{2 * len(ENTITY_IDS['antibody'])} item(s)"
    )  # English and Russian
    assert out.splitlines()[0].startswith("entity:antibody:achr ")
    assert out.splitlines()[1].startswith("entity:antibody:achr@ru ")
    code, out, _ = kb("list", "antibody", "--lang", "ru")
    assert code == 0 and out.splitlines()[-1] == f"{len(ENTITY_IDS['antibody'])} item(s)"
    assert all("@ru" in line for line in out.splitlines()[:-1])
    assert kb("list", "antibody:yo@ru")[1].splitlines()[-1] == "1 item(s)"
    code, out, _ = kb("search", "анти-Yo", "--lang", "ru")
    assert code == 0 and "entity:antibody:yo@ru" in out
    code, out, _ = kb("search", "PCA-1")
    assert code == 0 and "entity:antibody:yo" in out
    code, out, _ = kb("stats")
    total = seed_item_count(seed_content)
    assert (
        code == 0
        and f"published items:       {total}" in out
        and "open changes:          draft 0" in out
    )


def test_export_then_import_changes_nothing(kb, tmp_path: Path, seed_content) -> None:
    total = seed_item_count(seed_content)
    for fmt in ("csv", "yml"):
        path = tmp_path / f"all.{fmt}"
        code, out, _ = kb("export", "-o", str(path))
        assert code == 0 and out == f"exported {total} item(s) to {path}\n"
        assert (
            kb("import", str(path), user="alice")[1]
            == f"0 draft version(s) saved, {total} item(s) unchanged\n"
        )
    code, out, _ = kb("export", "antibody:yo", "--format", "csv")
    assert code == 0 and out.startswith("ref,")
    assert [line.split(",")[0] for line in out.splitlines() if line.startswith("entity:")] == [
        "entity:antibody:yo",
        "entity:antibody:yo@ru",
    ]


def test_a_bad_import_file_exits_with_2_and_names_the_row(kb, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "ref,text,sources\nanswer:ask_tests,Fine.,g21\nanswer:ask_cause,Fine too.,nope\n",
        encoding="utf-8",
    )
    code, _, err = kb("import", str(path), user="alice")
    assert (
        code == EXIT_INPUT
        and f"error: {path}, row 3 (answer:ask_cause): unknown source key(s) ['nope']" in err
    )
    assert kb("list", "--status", "draft")[1] == "0 item(s)\n"


def test_validate_exits_with_1_when_it_finds_problems(kb, fresh_kb_url: str) -> None:
    from kb.db import session_scope
    from kb.models import Setting

    with session_scope(fresh_kb_url) as session:
        session.get(Setting, "emergency_number").value = " "
    code, out, _ = kb("validate")
    assert code == EXIT_PROBLEMS and out.splitlines()[-1] == "2 problem(s)"


def test_a_database_without_schema_exits_with_4(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    assert main(["--database-url", f"sqlite:///{tmp_path}/empty.sqlite3", "list"]) == EXIT_DATABASE
    assert "python -m kb upgrade" in capsys.readouterr().err
