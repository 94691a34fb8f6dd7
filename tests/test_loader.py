"""Seed loading: idempotent, respects staff edits, rejects bad content before writing."""

import copy
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from kb.db import session_scope
from kb.items import LiveContent, Ref
from kb.loader import Content, ContentError, load_content, read_content
from kb.models import Answer, Entity, Setting, Source
from kb.validate import gaps


def test_reloading_unchanged_content_changes_nothing(
    fresh_kb_url: str, seed_content: Content
) -> None:
    with session_scope(fresh_kb_url) as session:
        report = load_content(session, seed_content)
    assert report.created == report.updated == 0
    assert not report.kept_staff_edits
    assert report.unchanged > 100


def test_staff_edits_survive_a_reload_unless_forced(
    fresh_kb_url: str, seed_content: Content
) -> None:
    with session_scope(fresh_kb_url) as session:
        yo = session.execute(select(Entity).where(Entity.key == "yo")).scalar_one()
        yo.translation("en").description = "Edited by clinic staff."
        yo.translation("ru").description = "Изменено сотрудниками клиники."
        session.get(Setting, "emergency_number").value = "911"
    with session_scope(fresh_kb_url) as session:
        report = load_content(session, seed_content)
        assert sorted(report.kept_staff_edits) == [
            "antibody yo",
            "antibody yo (ru)",
            "setting emergency_number",
        ]
        yo = session.execute(select(Entity).where(Entity.key == "yo")).scalar_one()
        assert yo.translation("en").description == "Edited by clinic staff."
        assert yo.translation("ru").description == "Изменено сотрудниками клиники."
    with session_scope(fresh_kb_url) as session:
        report = load_content(session, seed_content, force=True)
        assert report.updated == 3
        assert session.get(Setting, "emergency_number").value == "112"


def test_changed_seed_updates_rows_staff_did_not_touch(
    fresh_kb_url: str, seed_content: Content
) -> None:
    changed = copy.deepcopy(seed_content)
    changed.entities[("syndrome", "lems")]["description"] = "New reviewed text."
    with session_scope(fresh_kb_url) as session:
        report = load_content(session, changed)
        assert report.updated == 1 and not report.kept_staff_edits
        lems = session.execute(select(Entity).where(Entity.key == "lems")).scalar_one()
        assert lems.translation("en").description == "New reviewed text."
        assert (
            lems.translation("ru").description
            == (seed_content.items[Ref("entity", ("syndrome", "lems"), "ru")]["description"])
        )


def _write_content(tmp_path: Path, mutate) -> Path:
    src = Path(__file__).resolve().parent.parent / "kb" / "content"
    dst = tmp_path / "content"
    (dst / "entities").mkdir(parents=True)
    for path in src.rglob("*.yml"):
        target = dst / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        data = yaml.safe_load(path.read_text())
        mutate(path.relative_to(src).as_posix(), data)
        target.write_text(yaml.safe_dump(data, allow_unicode=True))
    return dst


@pytest.mark.parametrize(
    ("file", "change", "message"),
    [
        (
            "entities/antibodies.yml",
            lambda d: d["items"][0].update(sources=["no_such_source"]),
            "unknown source",
        ),
        (
            "entities/antibodies.yml",
            lambda d: d["items"][0].update(risk_group="huge"),
            "risk_group",
        ),
        (
            "entities/antibodies.yml",
            lambda d: d["items"][0].update(related={"cancer": ["no_such_cancer"]}),
            "not in the content",
        ),
        ("entities/antibodies.yml", lambda d: d["items"][0].update(description=""), "description"),
        ("answers.yml", lambda d: d["answers"][0].update(intent="ask_weather"), "intent"),
        ("entities/syndromes.yml", lambda d: d["items"].append(dict(d["items"][0])), "duplicate"),
        (
            "entities/antibodies.yml",
            lambda d: d["items"][1]["synonyms"].append(d["items"][0]["synonyms"][0]),
            "duplicate synonym",
        ),
        ("answers.yml", lambda d: d["answers"][0].update(text="x" * 5000), "limit is 4000"),
        # the Russian overlay: only language fields, only items the English has
        (
            "ru/entities/antibodies.yml",
            lambda d: d["items"][0].update(sources=["clinic"]),
            r"ru/entities/antibodies.yml: 'hu'.*unknown field\(s\) \['sources'\]",
        ),
        (
            "ru/entities/antibodies.yml",
            lambda d: d["items"].append({"id": "zeta", "name": "анти-Зета", "description": "…"}),
            "entity:antibody:zeta .*is not in the content",
        ),
        ("ru/answers.yml", lambda d: d["answers"][0].update(text=""), "'text' must be non-empty"),
        (
            "ru/phrases.yml",
            lambda d: d["phrases"]["handoff"].update(text="{телефон}"),
            "unknown placeholder",
        ),
        (
            "ru/entities/antibodies.yml",
            # a Russian synonym of anti-Hu that is anti-Yo's English lab name
            lambda d: d["items"][0]["synonyms"].append("PCA-1"),
            "duplicate synonym 'pca 1'",
        ),
        (
            "ru/centre.yml",
            lambda d: d.update(settings={"emergency_number": "103"}),
            "settings are the same in every language",
        ),
    ],
)
def test_invalid_content_is_rejected_with_its_location(
    tmp_path: Path, file, change, message
) -> None:
    def mutate(name: str, data: dict) -> None:
        if name == file:
            change(data)

    with pytest.raises(ContentError, match=message):
        read_content(_write_content(tmp_path, mutate))


def test_loaded_database_matches_content(kb_url: str, seed_content: Content) -> None:
    with session_scope(kb_url) as session:
        assert session.scalar(select(func.count(Entity.id))) == len(seed_content.entities)
        assert session.scalar(select(func.count(Answer.id))) == len(seed_content.answers)
        assert session.scalar(select(func.count(Source.id))) == len(seed_content.sources)
    with session_scope(kb_url) as session:
        # every item in both languages, exactly as the files say
        assert LiveContent(session).items() == seed_content.items


def test_the_russian_overlay_gives_every_item_with_text_a_russian_version(
    seed_content: Content,
) -> None:
    english = {r for r in seed_content.items if r.type in ("entity", "answer", "phrase", "centre")}
    assert {r for r in seed_content.items if r.lang == "ru"} == {r.in_lang("ru") for r in english}
    assert gaps(seed_content.items) == []
    yo = seed_content.items[Ref("entity", ("antibody", "yo"), "ru")]
    assert set(yo) == {"name", "description", "synonyms"}  # neutral fields stay English-only
    assert "анти-Yo" in yo["synonyms"]


def test_a_missing_translation_in_the_seed_files_is_reported_by_check(tmp_path: Path) -> None:
    def mutate(name: str, data: dict) -> None:
        if name == "ru/answers.yml":
            data["answers"] = [a for a in data["answers"] if a["intent"] != "ask_cause"]
        if name == "ru/phrases.yml":
            del data["phrases"]["centre.label.phone"]
            data["phrases"]["linked.cancer"]["text"] = "Опухоли: много."

    content = read_content(_write_content(tmp_path, mutate))  # reading still works
    problems = {str(p) for p in gaps(content.items)}
    assert problems == {
        "answer:ask_cause@ru: knowledge intent has no general answer (Russian)",
        "phrase:centre.label.phone@ru: phrase used by the answers is missing (Russian)",
        "phrase:linked.cancer@ru: placeholders [] differ from the English ['items']",
    }
    from kb.cli import main

    assert main(["check", "--content", str(_write_content(tmp_path / "b", mutate))]) == 1
    assert main(["check"]) == 0
