"""The launcher's shared mechanics for the stack and the cluster: who died, stopping all."""

import sys
import time
from pathlib import Path

from bot.launcher import Service, first_failure, stop_all
from bot.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]


def service(name: str, code: str, log_dir: Path) -> Service:
    return Service(name, [sys.executable, "-c", code], log_dir / f"{name}.log", lambda: True)


def test_first_failure_names_the_dead_server_and_stop_all_stops_the_rest(tmp_path: Path) -> None:
    settings = load_settings(environ={"PNS_VAR_DIR": str(tmp_path)}, root=ROOT)
    alive = service("alive", "import time; time.sleep(60)", tmp_path)
    dying = service("dying", "raise SystemExit(3)", tmp_path)
    services = [alive, dying]
    for s in services:
        s.start(settings)
    deadline = time.monotonic() + 30
    while dying.exited() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert first_failure(services) == f"dying exited with 3; see {tmp_path / 'dying.log'}"
    assert first_failure([alive]) is None
    stop_all(services)
    assert not alive.running() and alive.exited() is not None
