"""Content files staff exchange with the knowledge base: YAML and CSV, one item per entry/row.

Both formats carry the same *records* (:func:`kb.payloads.to_record`): a ``ref`` naming the
item and its fields, complete — a field left out is empty, so what a file says is what the
item becomes. YAML suits editing one item or a few; CSV suits reviewing many in a
spreadsheet (list fields hold one value per line inside the cell).

Reading only parses and locates (file, line or row); checking the fields is
:func:`kb.payloads.normalise`'s job, so every error names the place it came from.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml

from kb.errors import ContentError
from kb.items import Ref, parse_ref
from kb.payloads import ALL_FIELDS, FIELDS, to_record
from kb.revisions import to_yaml

FORMATS: tuple[str, ...] = ("yaml", "csv")
CSV_COLUMNS: tuple[str, ...] = ("ref", *ALL_FIELDS)
_LIST_FIELDS = frozenset(
    f.name
    for fields in FIELDS.values()
    for f in fields
    if f.kind in ("synonyms", "links", "sources")
)
YAML_HEADER = (
    "# PNS Assistant knowledge base items. Import with: python -m kb import FILE\n"
    "# A field left out is empty. References: source:KEY, entity:KIND:ID, "
    "answer:INTENT[:KIND:ID],\n"
    "# phrase:KEY, centre, setting:KEY.\n"
)


@dataclass(frozen=True)
class Record:
    """One item read from a file: where it was, which item, and its raw fields."""

    where: str
    ref: Ref
    fields: dict[str, Any]


def format_of(path: Path, explicit: str | None = None) -> str:
    """``yaml`` or ``csv``: as asked, else from the file name."""
    if explicit:
        return explicit
    suffix = path.suffix.lower()
    if suffix in (".yml", ".yaml"):
        return "yaml"
    if suffix == ".csv":
        return "csv"
    raise ContentError(f"{path}: cannot tell the format from the name; use .yml, .yaml or .csv")


def read_records(path: Path) -> list[Record]:
    """Every record of a YAML or CSV file (nothing is checked beyond the file's structure)."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ContentError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise ContentError(f"{path}: cannot read: {exc.strerror}") from exc
    if format_of(path) == "csv":
        return parse_csv(text, str(path))
    return parse_yaml(text, str(path))


# --------------------------------------------------------------------------- YAML


def parse_yaml(text: str, name: str, default_ref: Ref | None = None) -> list[Record]:
    """Records of a YAML document: ``items: [...]``, a list, or one item mapping.

    ``default_ref`` names the item of a one-item document that has no ``ref`` (``edit``).
    """
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise ContentError(f"{name}: not valid YAML: {exc}") from exc
    if isinstance(data, Mapping) and "items" in data:
        entries, node = data["items"], _child(node, "items")
    elif isinstance(data, Mapping):
        entries, node = [data], None
    else:
        entries = data
    if not isinstance(entries, list):
        raise ContentError(f"{name}: expected a list of items (or 'items:' with one)")
    lines = (
        [n.start_mark.line + 1 for n in node.value] if isinstance(node, yaml.SequenceNode) else []
    )
    records = []
    for n, entry in enumerate(entries):
        where = f"{name}, line {lines[n]}" if n < len(lines) else f"{name}, item {n + 1}"
        records.append(_record(entry, where, default_ref if len(entries) == 1 else None))
    return records


def _child(node: yaml.Node, key: str) -> yaml.Node | None:
    for key_node, value_node in node.value if isinstance(node, yaml.MappingNode) else []:
        if key_node.value == key:
            return value_node
    return None


def _record(entry: Any, where: str, default_ref: Ref | None) -> Record:
    if not isinstance(entry, Mapping):
        raise ContentError(f"{where}: an item must be a mapping of fields")
    fields = {str(k): v for k, v in entry.items() if k != "ref"}
    ref_text = entry.get("ref")
    if ref_text is None and default_ref is None:
        raise ContentError(f"{where}: missing 'ref' (which item this is)")
    try:
        ref = parse_ref(ref_text) if ref_text is not None else default_ref
    except ContentError as exc:
        raise ContentError(f"{where}: {exc}") from exc
    if default_ref is not None and ref != default_ref:
        raise ContentError(f"{where}: the file is about {ref}, not {default_ref}")
    return Record(f"{where} ({ref})", ref, fields)  # type: ignore[arg-type]


def write_yaml(items: Mapping[Ref, Mapping[str, Any]], out: TextIO) -> None:
    """Items as an importable YAML document (empty fields left out)."""
    records = [
        {k: v for k, v in to_record(ref, p).items() if v not in (None, [])}
        for ref, p in items.items()
    ]
    out.write(YAML_HEADER)
    out.write(to_yaml({"items": records}))


# --------------------------------------------------------------------------- CSV


def parse_csv(text: str, name: str) -> list[Record]:
    """Records of a CSV file with a header row; rows are numbered as a spreadsheet shows them."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [c.strip() for c in next(reader, [])]
        if "ref" not in header:
            raise ContentError(f"{name}: the header row has no 'ref' column")
        unknown = [c for c in header if c not in CSV_COLUMNS]
        if unknown or len(set(header)) != len(header):
            raise ContentError(
                f"{name}: header columns must be distinct and among "
                f"{', '.join(CSV_COLUMNS)}; found {header}"
            )
        records = []
        for number, cells in enumerate(reader, start=2):
            where = f"{name}, row {number}"
            if not any(c.strip() for c in cells):
                continue  # spreadsheets leave blank rows behind
            if len(cells) != len(header):
                raise ContentError(
                    f"{where}: {len(cells)} cells, but the header has {len(header)} columns"
                )
            row = dict(zip(header, cells))
            fields = {c: _cell(c, v) for c, v in row.items() if c != "ref" and v.strip()}
            records.append(_record({"ref": row["ref"].strip() or None, **fields}, where, None))
        return records
    except csv.Error as exc:
        raise ContentError(f"{name}, row {reader.line_num}: not valid CSV: {exc}") from exc


def _cell(column: str, value: str) -> Any:
    if column in _LIST_FIELDS:
        return [line.strip() for line in value.splitlines() if line.strip()]
    return value


def write_csv(items: Mapping[Ref, Mapping[str, Any]], out: TextIO) -> None:
    """Items as CSV: one row each, every column; list fields one value per line in the cell."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for ref, payload in items.items():
        record = to_record(ref, payload)
        writer.writerow(
            [
                "\n".join(v) if isinstance(v := record.get(c), list) else "" if v is None else v
                for c in CSV_COLUMNS
            ]
        )


def write(items: Mapping[Ref, Mapping[str, Any]], out: TextIO, fmt: str) -> None:
    (write_csv if fmt == "csv" else write_yaml)(items, out)
