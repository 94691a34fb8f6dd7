"""docs/hazard-log.md names only tests that exist, and every hazard names at least one.

A hazard whose evidence is a renamed or deleted test would look mitigated on paper only. The
named node ids are checked against pytest's own collection of the files they name (pytest
--collect-only in a subprocess, so this test sees exactly what `pytest` would run).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HAZARD_LOG = ROOT / "docs" / "hazard-log.md"
_HAZARD = re.compile(r"^## (H\d+) (.+)$", re.M)
_NODE = re.compile(r"`(tests/[\w/]+\.py::\w+)`")


def hazards(text: str) -> dict[str, list[str]]:
    """Hazard id → the test node ids its section names (pure, tested below)."""
    found: dict[str, list[str]] = {}
    matches = list(_HAZARD.finditer(text))
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        section = text[match.end() : end].split("\n---", 1)[0]
        found[match.group(1)] = _NODE.findall(section)
    return found


def collected(files: set[str]) -> set[str]:
    """Node ids pytest collects from ``files``, parameters stripped."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    ids = {line.split("[", 1)[0] for line in result.stdout.splitlines() if "::" in line}
    assert ids, result.stdout[-2000:] + result.stderr[-2000:]
    return ids


def test_hazards_are_parsed_with_their_tests() -> None:
    text = (
        "intro `tests/test_x.py::test_ignored`\n## H1 First\n- **Tests:**\n"
        "  - `tests/test_a.py::test_one`\n  - `tests/integration/test_b.py::test_two`\n"
        "## H2 Second\nnone\n---\n## Open questions `tests/test_c.py::test_no`\n"
    )
    assert hazards(text) == {
        "H1": ["tests/test_a.py::test_one", "tests/integration/test_b.py::test_two"],
        "H2": [],
    }


def test_every_hazard_names_tests_that_exist() -> None:
    logged = hazards(HAZARD_LOG.read_text(encoding="utf-8"))
    assert len(logged) >= 10
    assert not [h for h, nodes in logged.items() if not nodes], "a hazard names no test"
    named = {node for nodes in logged.values() for node in nodes}
    files = {node.split("::", 1)[0] for node in named}
    missing_files = sorted(f for f in files if not (ROOT / f).exists())
    assert not missing_files, missing_files
    missing = sorted(named - collected(files))
    assert not missing, f"hazard log names tests that pytest does not collect: {missing}"
