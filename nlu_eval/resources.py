"""What serving one model costs: ``python -m nlu_eval.resources MODEL TEXTS.json`` prints JSON.

Run as a child process per model, so the figures are those of a process that holds only that
model (Rasa serves one model per server): resident memory after loading it and parsing, the
memory the model itself added, CPU time per parsed message (all threads, after a warm-up,
as the benchmark counts server CPU) and the model file's size.
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

WARM_UP = 20


def rss_mb() -> float:
    """Resident set size of this process now (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure_here(model: Path, texts: Sequence[str]) -> dict[str, float]:
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    before = rss_mb()
    agent = Agent.load(str(model))
    loaded = rss_mb()

    async def parse(items: Sequence[str]) -> None:
        for text in items:
            await agent.parse_message(text)

    asyncio.run(parse(texts[:WARM_UP]))
    started = time.process_time()
    asyncio.run(parse(texts))
    cpu = time.process_time() - started
    return {
        "model_mb": model.stat().st_size / 1e6,
        "rss_mb": rss_mb(),
        "model_rss_mb": loaded - before,
        "cpu_ms_per_message": 1000 * cpu / max(len(texts), 1),
        "messages": len(texts),
    }


def measure(model: Path, texts: Sequence[str], root: Path) -> dict[str, Any]:
    """:func:`measure_here` in a fresh child process (nothing else loaded in it)."""
    import os
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(list(texts), f, ensure_ascii=False)
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])),
    )
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "nlu_eval.resources", str(model), f.name],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        Path(f.name).unlink(missing_ok=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    texts = json.loads(Path(sys.argv[2]).read_text())
    print(json.dumps(measure_here(Path(sys.argv[1]), texts)))
