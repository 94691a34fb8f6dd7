"""The benchmark's statistics and report writing (the load itself: tests/integration)."""

import json
import math
import time
from pathlib import Path

from bench.load import LevelResult, cpu_seconds, percentile
from bench.run import write_report


def test_percentile_nearest_rank() -> None:
    values = sorted(float(v) for v in range(1, 101))
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile(values, 99) == 99.0
    assert percentile([7.0], 99) == 7.0
    assert math.isnan(percentile([], 50))


def test_level_summary() -> None:
    level = LevelResult(
        target="ours", users=2, duration_s=2.0, latencies_ms=[10.0, 20.0, 30.0, 40.0], errors=1
    )
    summary = level.summary()
    assert summary["messages"] == 5 and summary["errors"] == 1
    assert (
        summary["messages_per_s"] == 2.0 and summary["p50_ms"] == 20.0 and summary["p99_ms"] == 40.0
    )


def test_cpu_seconds_of_a_busy_process_grows() -> None:
    import os

    pid = os.getpid()
    start = cpu_seconds(pid)
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:
        pass
    assert cpu_seconds(pid) - start >= 0.1


def test_report_has_tables_ratios_and_plot(tmp_path: Path) -> None:
    def level(users: int, p95: float) -> dict:
        return {
            "users": users,
            "messages": 100,
            "conversations": 10,
            "errors": 0,
            "messages_per_s": 40.0,
            "p50_ms": p95 / 2,
            "p95_ms": p95,
            "p99_ms": p95 * 1.2,
        }

    data = {
        "command": "make bench",
        "when": "now",
        "machine": "test",
        "seconds": 1,
        "approx_minutes": 1,
        "targets": {
            "ours": [
                level(1, 60.0),
                {**level(10, 120.0), "cpu_ms_per_msg": {"Rasa server": 20.0, "action server": 4.0}},
            ],
            "baseline": [
                level(1, 40.0),
                {**level(10, 100.0), "cpu_ms_per_msg": {"baseline Rasa server": 16.0}},
            ],
            "parse": [level(1, 20.0), level(10, 60.0)],
        },
        "rss_mb": {"action server": 200.0, "Rasa server": 900.0},
        "rss_total_mb": 1100.0,
        "train_seconds": 300.0,
        "model_mb": 30.0,
        "cold_start_s": 30.0,
    }
    write_report(tmp_path, data)
    text = (tmp_path / "benchmarks.md").read_text()
    assert "| ours | 10 | 100 | 40.0 | 60.0 | 120.0 | 144.0 | 0 |" in text
    assert "| 10 | 1.2 | 2.0 |" in text  # ours/baseline and ours/parse at p95
    assert "| peak RSS, our assistant in total | 1100.0 MB |" in text
    assert "| ours | 10 | Rasa server 20.0, action server 4.0 | 24.0 | 1.5 |" in text
    assert "| baseline | 10 | baseline Rasa server 16.0 | 16.0 |  |" in text
    assert (tmp_path / "benchmarks.png").stat().st_size > 1000
    assert (
        json.loads((tmp_path / "benchmarks.json").read_text())["targets"]["ours"][1]["p95_ms"]
        == 120.0
    )


def test_baseline_gets_its_own_channel_and_endpoint_files(tmp_path: Path) -> None:
    """The minimal bot must not read the project's credentials.yml (Telegram variables)."""
    import rasa.shared.utils.io
    from rasa.core.utils import AvailableEndpoints

    from bench.run import baseline_run_files

    credentials, endpoints = baseline_run_files(tmp_path)
    assert rasa.shared.utils.io.read_config_file(str(credentials)) == {"rest": None}
    read = AvailableEndpoints.read_endpoints(str(endpoints))
    assert read.action is None and read.tracker_store is None and read.lock_store is None
