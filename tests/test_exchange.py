"""Import and export: lossless round trips in YAML and CSV, and bad files rejected whole."""

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kb import migrate, review, revisions
from kb.db import session_scope
from kb.drafts import draft_records
from kb.errors import ContentError
from kb.exchange import read_records, write
from kb.items import LiveContent, Ref
from kb.loader import Content
from kb.models import Revision
from kb.revisions import Change


def export(url: str, fmt: str) -> str:
    out = io.StringIO()
    with session_scope(url) as session:
        write(LiveContent(session).items(), out, fmt)
    return out.getvalue()


def import_file(url: str, path: Path, author: str = "alice", submit: bool = False):
    with session_scope(url) as session:
        return draft_records(session, read_records(path), Change(author, "import"), submit=submit)


def open_count(url: str) -> int:
    with session_scope(url) as session:
        return len(revisions.open_revisions(session))


@pytest.mark.parametrize("fmt", ["yaml", "csv"])
def test_import_export_import_is_lossless(
    kb_url: str, blank_kb_url: str, seed_content: Content, tmp_path: Path, fmt: str
) -> None:
    first = tmp_path / f"first.{fmt}"
    first.write_text(export(kb_url, fmt), encoding="utf-8", newline="")

    migrate.upgrade(blank_kb_url)  # an empty knowledge base: every item is new
    report = import_file(blank_kb_url, first, submit=True)
    assert len(report.drafted) == len(seed_content.items) and not report.unchanged
    with session_scope(blank_kb_url) as session:
        review.publish(session, [parse.ref for parse in read_records(first)], "bob")
    with session_scope(blank_kb_url) as session:
        assert LiveContent(session).items() == seed_content.items

    second = export(blank_kb_url, fmt)
    assert second == first.read_bytes().decode("utf-8")
    again = import_file(blank_kb_url, first)
    assert not again.drafted and len(again.unchanged) == len(seed_content.items)


def test_exports_carry_both_languages_and_a_russian_row_imports_as_its_own_draft(
    fresh_kb_url: str, tmp_path: Path
) -> None:
    text = export(fresh_kb_url, "csv")
    rows = {line.split(",")[0] for line in text.splitlines()}
    assert {"answer:ask_tests", "answer:ask_tests@ru", "centre", "centre@ru"} <= rows
    assert "phrase:centre.label.phone@ru" in rows and "source:g21@ru" not in rows
    path = tmp_path / "ru.csv"
    path.write_text("ref,text\nanswer:ask_tests@ru,Новый текст об анализах.\n", encoding="utf-8")
    report = import_file(fresh_kb_url, path)
    assert [r.item_ref for r in report.drafted] == ["answer:ask_tests@ru"]
    bad = tmp_path / "bad.csv"
    bad.write_text("ref,text,sources\nanswer:ask_tests@ru,Текст.,g21\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"row 2 \(answer:ask_tests@ru\): unknown field"):
        import_file(fresh_kb_url, bad)


def test_yaml_and_csv_carry_the_same_items(kb_url: str, tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text(export(kb_url, "yaml"), encoding="utf-8")
    (tmp_path / "a.csv").write_text(export(kb_url, "csv"), encoding="utf-8", newline="")
    from_yaml = {r.ref: r.fields for r in read_records(tmp_path / "a.yml")}
    from_csv = {r.ref: r.fields for r in read_records(tmp_path / "a.csv")}
    assert from_yaml.keys() == from_csv.keys()
    with session_scope(kb_url) as session:
        for records in (read_records(tmp_path / "a.yml"), read_records(tmp_path / "a.csv")):
            assert not draft_records(session, records, Change("alice", "import")).drafted
        session.rollback()


def test_a_changed_row_becomes_one_draft(fresh_kb_url: str, tmp_path: Path) -> None:
    text = export(fresh_kb_url, "csv").replace(
        "Center for Neuromuscular Pathology patient page", "Clinic page"
    )
    path = tmp_path / "edited.csv"
    path.write_text(text, encoding="utf-8", newline="")
    report = import_file(fresh_kb_url, path)
    assert [r.item_ref for r in report.drafted] == ["source:clinic"]
    assert report.drafted[0].status == "draft"


YAML_ITEM = """items:
  - ref: entity:antibody:yo
    name: anti-Yo antibody
    description: Text.
    sources: [g21]
"""


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("bad.yml", "items:\n  - ref: centre\n    name: [unclosed\n", r"bad.yml: not valid YAML"),
        ("bad.yml", "just text\n", r"bad.yml: expected a list of items"),
        ("bad.yml", YAML_ITEM + "  - name: no ref\n", r"bad.yml, line 6: missing 'ref'"),
        (
            "bad.yml",
            YAML_ITEM
            + "  - ref: antibody:zzz\n    name: Z\n    description: d.\n    sources: [nope]\n",
            r"bad.yml, line 6 \(entity:antibody:zzz\): unknown source key\(s\) \['nope'\]",
        ),
        (
            "bad.yml",
            YAML_ITEM + "  - ref: answer:ask_horoscope\n    text: t\n",
            r"bad.yml, line 6: .*intent 'ask_horoscope'",
        ),
        (
            "bad.yml",
            YAML_ITEM
            + "  - ref: antibody:zzz\n    name: Z\n    description: d.\n    sources: [g21]\n"
            "    related: [cancer:moon]\n",
            r"line 6 \(entity:antibody:zzz\): related cancer 'moon'",
        ),
        (
            "bad.yml",
            YAML_ITEM.replace("sources: [g21]", "sources: [g21]\n    synonyms: [Anti-Hu]"),
            r"bad.yml, line 2 \(entity:antibody:yo\): duplicate synonym 'anti hu': "
            r"also used by entity:antibody:hu",
        ),
        (
            "bad.yml",
            YAML_ITEM.replace("Text.", "x" * 5000),
            r"line 2 .*'description' is 5000 characters long; the limit is 4000",
        ),
        (
            "bad.yml",
            YAML_ITEM + YAML_ITEM.replace("items:\n", ""),
            r"line 6 .*given twice \(also at .*bad.yml, line 2",
        ),
        (
            "bad.csv",
            "ref,name\nentity:antibody:yo,X\n",
            r"bad.csv, row 2 \(entity:antibody:yo\): 'description' must be non-empty",
        ),
        ("bad.csv", "name,text\nX,Y\n", r"bad.csv: the header row has no 'ref' column"),
        (
            "bad.csv",
            "ref,colour\ncentre,blue\n",
            r"bad.csv: header columns must be distinct and among",
        ),
        (
            "bad.csv",
            "ref,text,sources\n\nanswer:ask_tests,T,g21,extra\n",
            r"bad.csv, row 3: 4 cells, but the header has 3",
        ),
        (
            "bad.csv",
            'ref,text,sources\nanswer:ask_tests,T,"g21\nnope"\n',
            r"bad.csv, row 2 .*unknown source key\(s\) \['nope'\]",
        ),
        (
            "bad.csv",
            "ref,risk_group,text,sources\nanswer:ask_tests,high,T,g21\n",
            r"row 2 .*unknown field\(s\) \['risk_group'\]",
        ),
        ("bad.txt", "ref: centre\n", r"cannot tell the format"),
    ],
    ids=[
        "yaml-syntax",
        "yaml-shape",
        "yaml-no-ref",
        "unknown-source",
        "unknown-intent",
        "unknown-entity",
        "duplicate-synonym",
        "oversize",
        "item-twice",
        "csv-empty-field",
        "csv-no-ref",
        "csv-unknown-column",
        "csv-extra-cell",
        "csv-list-cell",
        "csv-wrong-field",
        "unknown-format",
    ],
)
def test_bad_input_names_the_place_and_writes_nothing(
    fresh_kb_url: str, tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    with session_scope(fresh_kb_url) as session:
        versions_before = session.scalar(select(func.count(Revision.id)))
    with pytest.raises(ContentError, match=message):
        import_file(fresh_kb_url, path)
    with session_scope(fresh_kb_url) as session:
        assert session.scalar(select(func.count(Revision.id))) == versions_before


def test_one_bad_item_leaves_the_good_ones_unwritten(fresh_kb_url: str, tmp_path: Path) -> None:
    path = tmp_path / "mixed.yml"
    path.write_text(
        "items:\n"
        "  - ref: answer:ask_tests\n    text: A good new text.\n    sources: [g21]\n"
        "  - ref: answer:ask_cause\n    text: ''\n    sources: [g21]\n",
        encoding="utf-8",
    )
    with pytest.raises(
        ContentError, match=r"line 5 \(answer:ask_cause\): 'text' must be non-empty"
    ):
        import_file(fresh_kb_url, path)
    assert open_count(fresh_kb_url) == 0


def test_invalid_utf8_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("ref,text\nanswer:ask_tests,caf\xe9\n".encode("latin-1"))
    with pytest.raises(ContentError, match="latin1.csv: not UTF-8"):
        read_records(path)


def test_a_spreadsheet_bom_and_blank_rows_are_accepted(fresh_kb_url: str, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(
        '\ufeffref,text,sources\r\n\r\nanswer:ask_tests,New text.,"g21\r\ng04"\r\n'.encode("utf-8")
    )
    records = read_records(path)
    assert [(r.where, r.ref, r.fields) for r in records] == [
        (
            f"{path}, row 3 (answer:ask_tests)",
            Ref("answer", ("ask_tests",)),
            {"text": "New text.", "sources": ["g21", "g04"]},
        )
    ]
