"""Start and stop the real assistant (`python -m bot run`) for integration tests.

Each stack gets free ports for all its servers (Rasa, action server, web page) and a KB of
its own, so test runs never collide with a `make run` on the same machine.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from bot.local_services import free_port

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 300


def descendants(pid: int) -> set[int]:
    """All live descendant pids of ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Assistant:
    """A running `python -m bot run` and how to talk to it."""

    def __init__(
        self,
        process: subprocess.Popen,
        base: str,
        token: str,
        db_url: str,
        log: Path,
        web_url: str = "",
    ) -> None:
        self.process, self.base, self.token, self.db_url, self.log = (
            process,
            base,
            token,
            db_url,
            log,
        )
        self.web_url = web_url

    def request(self, path: str, payload: Any = None) -> tuple[int, Any]:
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(
            self.base + path, data=data, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=60) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            return exc.code, None

    def post_raw(
        self, path: str, body: bytes, headers: Mapping[str, str] | None = None
    ) -> tuple[int, Any]:
        """POST ``body`` as it is; status and the decoded JSON answer (None if not JSON)."""
        req = urllib.request.Request(
            self.base + path,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(req, timeout=60) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        try:
            return status, json.loads(raw or b"null")
        except ValueError:
            return status, None

    def messages(
        self, text: str, sender: str, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"sender": sender, "message": text}
        if metadata is not None:
            body["metadata"] = metadata
        status, messages = self.request("/webhooks/rest/webhook", body)
        assert status == 200
        return messages

    def say(self, text: str, sender: str = "patient") -> str:
        """The bot's reply text (Rasa's REST channel sends each paragraph as a message)."""
        return "\n\n".join(m["text"] for m in self.messages(text, sender) if "text" in m)

    def tracker(self, sender: str) -> dict[str, Any]:
        status, tracker = self.request(f"/conversations/{sender}/tracker?token={self.token}")
        assert status == 200
        return tracker

    def parse(self, text: str) -> dict[str, Any]:
        status, result = self.request(f"/model/parse?token={self.token}", {"text": text})
        assert status == 200
        return result


def start_assistant(tmp: Path, extra_env: Mapping[str, str] | None = None) -> Assistant:
    """`python -m bot run` as `make run` starts it, on free ports, with a KB in ``tmp``."""
    db_url = f"sqlite:///{tmp / 'kb.sqlite3'}"
    rasa_port, action_port, web_port = free_port(), free_port(), free_port()
    token = "integration-test-token"
    env = {
        **os.environ,
        "PNS_DATABASE_URL": db_url,
        "PNS_VAR_DIR": str(tmp / "var"),
        "PNS_RASA_PORT": str(rasa_port),
        "PNS_ACTION_PORT": str(action_port),
        "PNS_WEB_PORT": str(web_port),
        "PNS_RASA_TOKEN": token,
        "PNS_ACTION_SECRET": "integration-test-action-secret",
        "PYTHONPATH": str(ROOT),
        **(extra_env or {}),
    }
    log = tmp / "bot-run.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while "PNS Assistant is running" not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"assistant did not start:\n{log.read_text(errors='replace')[-4000:]}")
        time.sleep(1)
    return Assistant(
        process,
        f"http://127.0.0.1:{rasa_port}",
        token,
        db_url,
        log,
        web_url=f"http://127.0.0.1:{web_port}",
    )


def stop_assistant(assistant: Assistant) -> None:
    """SIGKILL whatever of the stack is still running (tests may have stopped it already)."""
    if assistant.process.poll() is None:
        for pid in descendants(assistant.process.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        assistant.process.kill()
        assistant.process.wait()
