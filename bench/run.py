"""``make bench``: latency, throughput and footprint of the assistant, published in docs/.

Three targets under the same load, in one run:
  ours      the full assistant (Rasa server + action server + KB) over the REST channel;
  baseline  a minimal Rasa bot, default pipeline, no custom actions (bench/baseline.py);
  parse     ``/model/parse`` of our model alone (NLU inference only).
Each at 1, 10 and 50 simulated patients. Writes docs/benchmarks.md, .json and .png; the
numbers in the doc are only ever written by this command.

Usage: python -m bench.run [--smoke] [--seconds N] [--out docs]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from bench.baseline import ensure_baseline_model
from bench.load import CONVERSATION, LevelResult, cpu_seconds, parse_sender, rest_sender, run_level
from bot.build import build_all, training_time_file
from bot.launcher import Service, Stack, http_get
from bot.local_services import free_port
from bot.settings import Settings, load_settings

LEVELS = (1, 10, 50)
SMOKE_LEVELS = (1, 2)
TOKEN = "bench-token"


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def first_answer(base_url: str, deadline_s: float = 120.0) -> bool:
    async with aiohttp.ClientSession() as http:
        send = rest_sender(base_url)
        end = time.perf_counter() + deadline_s
        while time.perf_counter() < end:
            try:
                if await send(http, "bench-cold-start", "hello"):
                    return True
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    return False


def bench_settings(base: Settings, work: Path) -> Settings:
    return replace(
        base,
        database_url=f"sqlite:///{work / 'kb.sqlite3'}",
        rasa_port=free_port(),
        action_port=free_port(),
        rasa_token=TOKEN,
        action_secret=base.action_secret or "bench-action-secret",
        var_dir=work,
    )


async def measure(
    target: str,
    send,
    levels: Sequence[int],
    seconds: float,
    servers: dict[str, int] | None = None,
) -> list[LevelResult]:
    """Each level after a warm-up; ``servers`` (name → pid) get their CPU per message measured."""
    results = []
    for users in levels:
        await run_level(target, send, users, min(2.0, seconds))  # warm-up, not counted
        before = {name: cpu_seconds(pid) for name, pid in (servers or {}).items()}
        level = await run_level(target, send, users, seconds)
        answered = max(1, len(level.latencies_ms))
        level.cpu_ms_per_msg = {
            name: round((cpu_seconds(pid) - before[name]) * 1000 / answered, 1)
            for name, pid in (servers or {}).items()
        }
        results.append(level)
    return results


def run_ours(
    settings: Settings, model: Path, levels: Sequence[int], seconds: float, log_dir: Path
) -> dict[str, Any]:
    stack = Stack(settings, model, log_dir)
    started = time.perf_counter()
    stack.start()
    try:
        asyncio.run(first_answer(settings.rasa_url))
        cold_start = time.perf_counter() - started
        servers = {
            s.name: s.process.pid
            for s in stack.services
            if s.name in ("Rasa server", "action server")
        }
        ours = asyncio.run(
            measure("ours", rest_sender(settings.rasa_url), levels, seconds, servers)
        )
        parse = asyncio.run(
            measure(
                "parse",
                parse_sender(settings.rasa_url, TOKEN),
                levels,
                seconds,
                {"Rasa server": servers["Rasa server"]},
            )
        )
        rss = {s.name: round(peak_rss_mb(s.process.pid), 1) for s in stack.services}
    finally:
        stack.stop()
    return {"cold_start_s": round(cold_start, 1), "levels": ours, "parse": parse, "rss_mb": rss}


def baseline_run_files(folder: Path) -> tuple[Path, Path]:
    """The baseline's own channel and endpoint files: the REST channel, no action server.

    Passed explicitly because Rasa would otherwise read the project's credentials.yml and
    endpoints.yml from the working directory (Telegram variables, our action server).
    """
    folder.mkdir(parents=True, exist_ok=True)
    credentials, endpoints = folder / "credentials.yml", folder / "endpoints.yml"
    credentials.write_text("rest:\n")
    endpoints.write_text("# the minimal bot has no action server, tracker or lock store settings\n")
    return credentials, endpoints


def run_baseline(
    settings: Settings, model: Path, levels: Sequence[int], seconds: float, log_dir: Path
) -> dict[str, Any]:
    import sys

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    credentials, endpoints = baseline_run_files(log_dir.parent / "baseline-run")
    service = Service(
        "baseline Rasa server",
        [
            sys.executable,
            "-m",
            "rasa",
            "run",
            "--model",
            str(model),
            "--interface",
            "127.0.0.1",
            "--port",
            str(port),
            "--credentials",
            str(credentials),
            "--endpoints",
            str(endpoints),
        ],
        log_dir / "baseline.log",
        lambda: http_get(url + "/")[0] == 200,
    )
    started = time.perf_counter()
    service.start(settings)
    try:
        deadline = time.monotonic() + 240
        while not service.ready():
            if service.exited() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"baseline server did not start; see {service.log_path}")
            time.sleep(0.5)
        asyncio.run(first_answer(url))
        cold_start = time.perf_counter() - started
        levels_result = asyncio.run(
            measure(
                "baseline",
                rest_sender(url),
                levels,
                seconds,
                {"baseline Rasa server": service.process.pid},
            )
        )
        rss = round(peak_rss_mb(service.process.pid), 1)
    finally:
        service.stop()
    return {
        "cold_start_s": round(cold_start, 1),
        "levels": levels_result,
        "rss_mb": {"baseline Rasa server": rss},
    }


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 2) if b else None


def write_report(out: Path, data: dict[str, Any]) -> None:
    """docs/benchmarks.{json,md,png} from one run's measurements."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "benchmarks.json").write_text(json.dumps(data, indent=2) + "\n")
    rows = [
        "| target | patients | messages | msg/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for target in ("ours", "baseline", "parse"):
        for level in data["targets"].get(target, []):
            rows.append(
                f"| {target} | {level['users']} | {level['messages']} | {level['messages_per_s']} "
                "| "
                f"{level['p50_ms']} | {level['p95_ms']} | {level['p99_ms']} | {level['errors']} |"
            )
    ratios = ["| patients | ours / baseline (p95) | ours / parse (p95) |", "|---|---|---|"]
    by_users = {
        t: {level["users"]: level for level in data["targets"].get(t, [])}
        for t in ("ours", "baseline", "parse")
    }
    for users, ours in by_users["ours"].items():
        base, parse = by_users["baseline"].get(users), by_users["parse"].get(users)
        ratios.append(
            f"| {users} | {ratio(ours['p95_ms'], base['p95_ms']) if base else 'n/a'} | "
            f"{ratio(ours['p95_ms'], parse['p95_ms']) if parse else 'n/a'} |"
        )
    cpu = cpu_rows(by_users)
    footprint = ["| what | value |", "|---|---|"]
    for name, mb in data["rss_mb"].items():
        footprint.append(f"| peak RSS, {name} | {mb} MB |")
    footprint.append(f"| peak RSS, our assistant in total | {data['rss_total_mb']} MB |")
    for key, label in (
        ("train_seconds", "training time, our model"),
        ("baseline_train_seconds", "training time, baseline"),
        ("model_mb", "model size, ours"),
        ("cold_start_s", "cold start, ours (process start → first answer)"),
        ("baseline_cold_start_s", "cold start, baseline"),
    ):
        if data.get(key) is not None:
            unit = {"train_seconds": "s", "baseline_train_seconds": "s", "model_mb": "MB"}.get(
                key, "s"
            )
            footprint.append(f"| {label} | {data[key]} {unit} |")
    before_rows = []
    if data.get("before"):
        old = {level["users"]: level for level in data["before"]["targets"].get("ours", [])}
        before_rows = [
            "| patients | p95 before → after (ms) | msg/s before → after | server CPU ms/message "
            "before → after |",
            "|---|---|---|---|",
        ]
        for users, now in by_users["ours"].items():
            if users in old:
                before_rows.append(
                    f"| {users} | {old[users]['p95_ms']} → {now['p95_ms']} | "
                    f"{old[users]['messages_per_s']} → {now['messages_per_s']} | "
                    f"{_cpu_total(old[users])} → {_cpu_total(now)} |"
                )
        before_rows.insert(
            0, f"Earlier run: {data['before']['when']} (`{data['before']['command']}`).\n"
        )
    targets = target_rows(data, by_users)
    plot = _plot(out, by_users)
    text = f"""# Benchmarks

Written by `{data["command"]}` on {data["when"]} ({data["machine"]}); do not edit by hand.
Each simulated patient runs this conversation over the REST channel, one message after the
reply to the previous one, then starts a new one: {" → ".join(f'"{m}"' for m in CONVERSATION)}.
Each level ran {data["seconds"]} s after a short warm-up. "parse" sends the same texts to
`/model/parse` (NLU only); "baseline" is a minimal Rasa bot with Rasa's default pipeline and
no custom actions on the same NLU data (bench/baseline.py).

## Latency and throughput
{chr(10).join(rows)}

## Overhead as ratios
{chr(10).join(ratios)}

## Server CPU per message
CPU time the server processes spent per answered message (user + system, all threads, from
/proc). Unlike latency it does not include waiting for a core, so it compares runs made
under different machine load.

{chr(10).join(cpu)}

## Footprint
{chr(10).join(footprint)}

## Targets (issue 7, this 2-core machine)
{chr(10).join(targets)}

{f"![latency vs concurrency]({plot})" if plot else ""}

{"## Before / after (ours)" + chr(10) + chr(10).join(before_rows) if before_rows else ""}

## Reproduce
`{data["command"]}` (about {data["approx_minutes"]} minutes; trains the baseline once).
Machine load during the run matters: the figures are only comparable within one run.
"""
    (out / "benchmarks.md").write_text(text)


def _cpu_total(level: dict[str, Any]) -> Any:
    """Total server CPU ms per message of a level, or n/a for runs that did not measure it."""
    cpu = level.get("cpu_ms_per_msg")
    return round(sum(cpu.values()), 1) if cpu else "n/a"


def cpu_rows(by_users: dict[str, dict[int, dict[str, Any]]]) -> list[str]:
    """Per target and level: CPU ms per message of each server, total, and ours vs baseline."""
    rows = [
        "| target | patients | per server (ms) | total ms | ours / baseline |",
        "|---|---|---|---|---|",
    ]
    for target in ("ours", "baseline", "parse"):
        for users, level in sorted(by_users.get(target, {}).items()):
            cpu = level.get("cpu_ms_per_msg")
            if not cpu:
                continue
            base = by_users.get("baseline", {}).get(users)
            versus = (
                ratio(_cpu_total(level), _cpu_total(base))
                if target == "ours" and base and base.get("cpu_ms_per_msg")
                else ""
            )
            servers = ", ".join(f"{name} {ms}" for name, ms in cpu.items())
            rows.append(f"| {target} | {users} | {servers} | {_cpu_total(level)} | {versus} |")
    return rows


def target_rows(data: dict[str, Any], by_users: dict[str, dict[int, dict[str, Any]]]) -> list[str]:
    """Each target of issue 7 with the measured value and whether it is met."""
    ours10, base10 = by_users["ours"].get(10), by_users["baseline"].get(10)
    best_rate = max((level["messages_per_s"] for level in by_users["ours"].values()), default=0.0)
    errors = sum(level["errors"] for level in by_users["ours"].values())
    checks = [
        ("p95 at 10 patients ≤ 150 ms", ours10["p95_ms"] if ours10 else None, lambda v: v <= 150),
        ("≥ 30 messages/s sustained", best_rate, lambda v: v >= 30),
        ("zero errors", errors, lambda v: v == 0),
        ("total RSS < 1.5 GB", data["rss_total_mb"], lambda v: v < 1536),
        (
            "p95 within 1.5× of the minimal bot (10 patients)",
            ratio(ours10["p95_ms"], base10["p95_ms"]) if ours10 and base10 else None,
            lambda v: v <= 1.5,
        ),
    ]
    rows = ["| target | measured | met |", "|---|---|---|"]
    for label, value, ok in checks:
        rows.append(
            f"| {label} | {value if value is not None else 'n/a'} | "
            f"{'n/a' if value is None else ('yes' if ok(value) else 'no')} |"
        )
    return rows


def _plot(out: Path, by_users: dict[str, dict[int, dict[str, Any]]]) -> str | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for target, style in (("ours", "o-"), ("baseline", "s--"), ("parse", "^:")):
        points = sorted(by_users.get(target, {}).items())
        if points:
            ax.plot(
                [u for u, _ in points],
                [level["p95_ms"] for _, level in points],
                style,
                label=f"{target} p95",
            )
    ax.set_xlabel("concurrent patients")
    ax.set_ylabel("latency per message, p95 (ms)")
    ax.set_xscale("log")
    ax.set_title("PNS Assistant: latency vs concurrency")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "benchmarks.png", dpi=120)
    plt.close(fig)
    return "benchmarks.png"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--smoke", action="store_true", help="tiny run that only checks the harness"
    )
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument(
        "--before", type=Path, help="benchmarks.json of an earlier run, shown as before/after"
    )
    parser.add_argument(
        "--render", type=Path, help="only re-write the report from this run's benchmarks.json"
    )
    args = parser.parse_args(argv)
    command = "python -m bench.run " + " ".join(
        argv if argv is not None else __import__("sys").argv[1:]
    )
    if args.render:
        data = json.loads(args.render.read_text())
        if args.before:
            data["before"] = json.loads(args.before.read_text())
        write_report(args.out or args.render.parent, data)
        return 0
    base = load_settings()
    work = base.var_dir / "bench"
    work.mkdir(parents=True, exist_ok=True)
    levels = SMOKE_LEVELS if args.smoke else LEVELS
    seconds = args.seconds or (2.0 if args.smoke else 30.0)
    out = args.out or (work / "smoke" if args.smoke else base.root / "docs")
    settings = bench_settings(base, work)
    built = build_all(settings)
    model = built.model_path
    timing = training_time_file(model)
    ours = run_ours(settings, model, levels, seconds, work / "log")
    data: dict[str, Any] = {
        "command": command.strip(),
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": (
            f"{platform.machine()}, {__import__('os').cpu_count()} cores, "
            f"Python {platform.python_version()}"
        ),
        "seconds": seconds,
        "approx_minutes": 2 if args.smoke else 15,
        "targets": {
            "ours": [level.summary() for level in ours["levels"]],
            "parse": [level.summary() for level in ours["parse"]],
        },
        "rss_mb": dict(ours["rss_mb"]),
        "rss_total_mb": round(sum(ours["rss_mb"].values()), 1),
        "train_seconds": float(timing.read_text()) if timing.exists() else None,
        "model_mb": round(model.stat().st_size / 1e6, 1),
        "cold_start_s": ours["cold_start_s"],
    }
    if not (args.smoke or args.no_baseline):
        baseline_model, baseline_train = ensure_baseline_model(base.root, work / "baseline")
        baseline = run_baseline(settings, baseline_model, levels, seconds, work / "log")
        data["targets"]["baseline"] = [level.summary() for level in baseline["levels"]]
        data["rss_mb"].update(baseline["rss_mb"])
        data["baseline_train_seconds"] = round(baseline_train, 1)
        data["baseline_cold_start_s"] = baseline["cold_start_s"]
    if args.before:
        data["before"] = json.loads(args.before.read_text())
    write_report(out, data)
    print((out / "benchmarks.md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
