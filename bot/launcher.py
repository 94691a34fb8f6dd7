"""Start the action server, the Rasa server and the web page server, wait until all are
healthy, stop cleanly.

Each server runs in its own process group, so stopping the stack (Ctrl-C, SIGTERM, or a test
fixture) takes down everything it started and leaves no orphans.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from bot.build import project_env
from bot.channels.credentials import ChannelReport, write_config
from bot.settings import Settings, settings_environ

logger = logging.getLogger(__name__)

STARTUP_TIMEOUT_S = 240.0
STOP_TIMEOUT_S = 20.0


def http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    """Status and body of a GET (status 0 when nothing answers)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return 0, b""


def action_server_healthy(settings: Settings, port: int | None = None) -> bool:
    status, _ = http_get(f"http://{settings.host}:{port or settings.action_port}/health")
    return status == 200


def rasa_server_ready(settings: Settings, port: int | None = None) -> bool:
    """Rasa answers ``/status`` (with the API token) once a model is loaded."""
    status, body = http_get(
        f"http://{settings.host}:{port or settings.rasa_port}/status?token={settings.rasa_token}"
    )
    if status != 200:
        return False
    try:
        return bool(json.loads(body).get("model_file"))
    except ValueError:
        return False


def web_server_healthy(settings: Settings) -> bool:
    status, _ = http_get(f"{settings.web_url}/healthz")
    return status == 200


@dataclass
class Service:
    """One server process and the log it writes to."""

    name: str
    cmd: list[str]
    log_path: Path
    ready: Callable[[], bool]
    env_extra: dict[str, str] = field(default_factory=dict)
    #: How the server is asked to stop (PostgreSQL: SIGINT, its "fast" shutdown).
    stop_signal: int = signal.SIGTERM
    process: subprocess.Popen | None = None
    _log: IO[bytes] | None = None

    def start(self, settings: Settings) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        env = {**project_env(settings), **self.env_extra}
        self.process = subprocess.Popen(
            self.cmd,
            cwd=settings.root,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL the whole process group at once: a crash, as fault tests inject it."""
        if self.process is not None:
            _signal_group(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def stop(self, timeout: float = STOP_TIMEOUT_S) -> None:
        """Signal the process group to stop, then SIGKILL what is still there after ``timeout``."""
        if self.process is not None and self.process.poll() is None:
            _signal_group(self.process.pid, self.stop_signal)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.process is not None:
            _signal_group(self.process.pid, signal.SIGKILL)  # stray grandchildren, if any
        if self._log is not None:
            self._log.close()
            self._log = None


def start_all(
    services: list[Service], settings: Settings, timeout: float = STARTUP_TIMEOUT_S
) -> None:
    """Start ``services`` at once and wait until each is healthy (they start in parallel)."""
    for service in services:
        service.start(settings)
    wait_healthy(services, timeout)


def first_failure(services: list[Service]) -> str | None:
    """A message naming the first of ``services`` that has died since start, else None."""
    for service in services:
        code = service.exited()
        if code is not None:
            return f"{service.name} exited with {code}; see {service.log_path}"
    return None


def stop_all(services: list[Service]) -> None:
    """Stop ``services`` in reverse start order (dependents before what they depend on)."""
    for service in reversed(services):
        service.stop()


def wait_healthy(services: list[Service], timeout: float = STARTUP_TIMEOUT_S) -> None:
    """Wait for the health checks of ``services``; an error if one exits or is too slow."""
    deadline = time.monotonic() + timeout
    pending = list(services)
    while pending:
        for service in list(pending):
            code = service.exited()
            if code is not None:
                raise RuntimeError(f"{service.name} exited with {code}; see {service.log_path}")
            if service.ready():
                logger.info("%s is up", service.name)
                pending.remove(service)
        if pending and time.monotonic() > deadline:
            names = ", ".join(s.name for s in pending)
            raise TimeoutError(
                f"{names} not healthy after {timeout:.0f}s; see logs in "
                f"{pending[0].log_path.parent}"
            )
        time.sleep(0.3)


def action_service(
    settings: Settings,
    log_dir: Path,
    port: int | None = None,
    name: str = "action server",
    log_name: str = "actions.log",
) -> Service:
    """The action server (:mod:`bot.action_server`) on ``port`` (default: the settings' port)."""
    port = port or settings.action_port
    return Service(
        name,
        [sys.executable, "-m", "bot.action_server", "--host", settings.host, "--port", str(port)],
        log_dir / log_name,
        lambda: action_server_healthy(settings, port),
    )


def rasa_service(
    settings: Settings,
    model: Path,
    log_dir: Path,
    port: int | None = None,
    name: str = "Rasa server",
    log_name: str = "rasa.log",
) -> Service:
    """A Rasa server (HTTP API, channels of the generated credentials) on ``port``."""
    port = port or settings.rasa_port
    return Service(
        name,
        [
            sys.executable,
            "-m",
            "bot.rasa_server",
            "run",
            "--model",
            str(model),
            "--interface",
            settings.host,
            "--port",
            str(port),
            "--enable-api",
            "--auth-token",
            str(settings.rasa_token),
            "--endpoints",
            str(settings.endpoints_path),
            "--credentials",
            str(settings.credentials_path),
            "--cors",
            *settings.web_origins,
        ],
        log_dir / log_name,
        lambda: rasa_server_ready(settings, port),
    )


def write_rasa_config(settings: Settings, extra: dict[str, str] | None = None) -> ChannelReport:
    """Generate the credentials and endpoints files Rasa is started with; the channels that are on.

    Variables come from ``.env`` and the environment, plus what the launcher decided
    (the action endpoint, and ``extra``: the cluster's stores).
    """
    environ = {
        **settings_environ(root=settings.root),
        "PNS_ACTION_ENDPOINT_URL": settings.action_endpoint_url,
        **({"PNS_ACTION_SECRET": settings.action_secret} if settings.action_secret else {}),
        **(extra or {}),
    }
    write_config(settings.root / "endpoints.yml", settings.endpoints_path, environ)
    return write_config(settings.root / "credentials.yml", settings.credentials_path, environ)


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class Stack:
    """The action server, the Rasa server and the web page for one model, as one unit."""

    def __init__(
        self, settings: Settings, model: Path, log_dir: Path, rasa_server: bool = True
    ) -> None:
        """``rasa_server=False`` starts only the action server (``rasa shell`` brings its own)."""
        if not settings.rasa_token:
            raise ValueError("a Rasa API token is required (PNS_RASA_TOKEN)")
        if not settings.action_secret:
            raise ValueError("an action server secret is required (PNS_ACTION_SECRET)")
        self.settings = settings
        self.rasa_server = rasa_server
        self.channels = ChannelReport()
        self.services = [action_service(settings, log_dir)]
        if rasa_server:
            self.services += [
                rasa_service(settings, model, log_dir),
                Service(
                    "web page server",
                    [sys.executable, "-m", "bot.web"],
                    log_dir / "web.log",
                    lambda: web_server_healthy(settings),
                ),
            ]

    def start(self, timeout: float = STARTUP_TIMEOUT_S) -> None:
        """Start the servers and wait for their health checks; on failure stop them all.

        The Rasa server's channel file is generated first (:mod:`bot.channels.credentials`).
        """
        if self.rasa_server:
            self.channels = write_rasa_config(self.settings)
        try:
            start_all(self.services, self.settings, timeout)
        except BaseException:
            self.stop()
            raise

    def failed(self) -> str | None:
        """A message if a server has died since start, else None."""
        return first_failure(self.services)

    def stop(self) -> None:
        stop_all(self.services)

    def pids(self) -> list[int]:
        return [s.process.pid for s in self.services if s.process is not None]

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
