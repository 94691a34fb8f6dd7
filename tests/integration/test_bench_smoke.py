"""Smoke run of the benchmark harness against the real stack (the full run is `make bench`)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def test_bench_smoke_measures_the_running_assistant(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PNS_VAR_DIR": str(tmp_path / "var")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.run",
            "--smoke",
            "--seconds",
            "2",
            "--out",
            str(tmp_path / "out"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    data = json.loads((tmp_path / "out" / "benchmarks.json").read_text())
    for target in ("ours", "parse"):
        for level in data["targets"][target]:
            assert level["errors"] == 0 and level["messages"] > 0, (target, level)
            assert level["cpu_ms_per_msg"]["Rasa server"] > 0, (target, level)
    assert data["rss_mb"]["Rasa server"] > 100 and data["rss_mb"]["action server"] > 20
    assert data["cold_start_s"] > 0
    assert "| ours | 1 |" in (tmp_path / "out" / "benchmarks.md").read_text()
