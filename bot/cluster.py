"""The assistant as several replicas on one machine: the production shape, on loopback.

``python -m bot cluster`` (``make cluster``) starts, each in its own process group:

- PostgreSQL (KB and conversation trackers) and Redis (conversation locks), private
  instances under ``var/cluster`` — never the machine's own services;
- ``replicas`` action servers and ``replicas`` Rasa servers (default 2 + 2), all on the
  same model, KB and stores;
- nginx in front: patients' traffic on the public port is spread over the Rasa servers,
  and the Rasa servers reach the action servers through nginx as well, so either kind
  of replica can die without the conversation noticing.

Servers of one kind start in parallel. :class:`Cluster` is also what the cluster and
fault tests start (tests/cluster/), so what is tested is what ``make cluster`` runs.
"""

from __future__ import annotations

import dataclasses
import logging
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.build import BuildResult, build_all
from bot.channels.credentials import ChannelReport
from bot.launcher import (
    Service,
    action_service,
    first_failure,
    http_get,
    rasa_service,
    start_all,
    stop_all,
    write_rasa_config,
)
from bot.local_services import Nginx, Postgres, Redis, free_port, nginx_config, port_open
from bot.settings import Settings

logger = logging.getLogger(__name__)

KB_DATABASE = "pns_kb"
TRACKER_DATABASE = "pns_tracker"
DEFAULT_PUBLIC_PORT = 5080


@dataclass(frozen=True)
class ClusterPorts:
    """Where each server of the cluster listens (all on 127.0.0.1)."""

    public: int
    actions_balancer: int
    postgres: int
    redis: int
    rasa: tuple[int, ...]
    actions: tuple[int, ...]

    @classmethod
    def free(cls, replicas: int = 2, public: int | None = None) -> ClusterPorts:
        return cls(
            public or free_port(),
            free_port(),
            free_port(),
            free_port(),
            tuple(free_port() for _ in range(replicas)),
            tuple(free_port() for _ in range(replicas)),
        )


class Cluster:
    """PostgreSQL, Redis, action servers, Rasa servers and nginx for one model, as one unit."""

    def __init__(
        self,
        settings: Settings,
        state_dir: Path,
        ports: ClusterPorts,
        durable: bool = True,
        lock_store: dict[str, Any] | None = None,
    ) -> None:
        """``state_dir`` keeps the databases and logs; ``durable=False`` for throw-away clusters.

        ``lock_store`` replaces the generated ``lock_store`` endpoint (to compare Rasa's own).
        """
        self.lock_store = lock_store
        if not settings.rasa_token or not settings.action_secret:
            raise ValueError("the cluster needs PNS_RASA_TOKEN and PNS_ACTION_SECRET")
        self.ports = ports
        self.state_dir = state_dir
        self.log_dir = state_dir / "log"
        self.postgres = Postgres(state_dir / "postgres", ports.postgres, durable=durable)
        self.redis = Redis(state_dir / "redis", ports.redis)
        self.nginx = Nginx(state_dir / "nginx")
        # Children reach the KB on the cluster's PostgreSQL and the action servers through nginx.
        self.settings = dataclasses.replace(
            settings,
            database_url=self.postgres.url(KB_DATABASE),
            action_port=ports.actions_balancer,
            rasa_port=ports.public,
            var_dir=state_dir / "var",
        )
        self.stores = {
            "PNS_TRACKER_STORE_URL": self.postgres.url(TRACKER_DATABASE),
            "PNS_LOCK_STORE_URL": self.redis.url(),
        }
        self.channels = ChannelReport()
        self.postgres_service = Service(
            "PostgreSQL",
            self.postgres.command(),
            self.log_dir / "postgres.log",
            self.postgres.ready,
            stop_signal=signal.SIGINT,
        )
        self.redis_service = Service(
            "Redis", self.redis.command(), self.log_dir / "redis.log", self.redis.ready
        )
        self.nginx_service = Service(
            "nginx",
            self.nginx.command(
                nginx_config(
                    self.nginx.root, ports.public, ports.rasa, ports.actions_balancer, ports.actions
                )
            ),
            self.log_dir / "nginx.log",
            lambda: port_open(ports.public) and port_open(ports.actions_balancer),
        )
        self.action_servers = [
            action_service(
                self.settings, self.log_dir, port, f"action server {i + 1}", f"actions-{i + 1}.log"
            )
            for i, port in enumerate(ports.actions)
        ]
        self.rasa_servers: list[Service] = []

    @property
    def url(self) -> str:
        """Where patients and integrations reach the assistant (nginx)."""
        return f"http://127.0.0.1:{self.ports.public}"

    def services(self) -> list[Service]:
        return [
            self.postgres_service,
            self.redis_service,
            *self.action_servers,
            *self.rasa_servers,
            self.nginx_service,
        ]

    def start(self, timeout: float = 300.0) -> BuildResult:
        """Start everything, in dependency order, servers of one kind in parallel."""
        try:
            self.postgres.init()
            self.start_services([self.postgres_service, self.redis_service], timeout)
            self.postgres.ensure_database(KB_DATABASE)
            self.postgres.ensure_database(TRACKER_DATABASE)
            result = build_all(self.settings)
            self.channels = write_rasa_config(self.settings, self.stores)
            if self.lock_store is not None:
                endpoints = yaml.safe_load(self.settings.endpoints_path.read_text(encoding="utf-8"))
                endpoints["lock_store"] = self.lock_store
                self.settings.endpoints_path.write_text(yaml.safe_dump(endpoints), encoding="utf-8")
            self.rasa_servers = [
                rasa_service(
                    self.settings,
                    result.model_path,
                    self.log_dir,
                    port,
                    f"Rasa server {i + 1}",
                    f"rasa-{i + 1}.log",
                )
                for i, port in enumerate(self.ports.rasa)
            ]
            self.start_services(
                [*self.action_servers, *self.rasa_servers, self.nginx_service], timeout
            )
        except BaseException:
            self.stop()
            raise
        return result

    def start_services(self, services: list[Service], timeout: float = 300.0) -> None:
        start_all(services, self.settings, timeout)

    def restart(self, service: Service, timeout: float = 300.0) -> None:
        """Start a stopped (or killed) server of the cluster again and wait until it is healthy."""
        service.stop()
        self.start_services([service], timeout)

    def failed(self) -> str | None:
        """A message if a server has died since start, else None."""
        return first_failure(self.services())

    def stop(self) -> None:
        stop_all(self.services())

    def healthy(self) -> bool:
        status, _ = http_get(f"{self.url}/webhooks/rest/")
        return status == 200

    def __enter__(self) -> Cluster:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
