"""Private PostgreSQL, Redis and nginx instances on loopback, started by the project itself.

The production shape of the assistant (several Rasa servers and action servers behind a
reverse proxy, trackers in PostgreSQL, conversation locks in Redis) must be something a
developer and CI can start with one command, without touching the machine's own services.
Each server here runs in the foreground of its own process group (a :class:`~bot.launcher.Service`),
listens on 127.0.0.1 only, keeps its files in a directory of its own, and is stopped by
the launcher like the Rasa servers are. Debian's binaries are used as they are installed
(``tools/system_deps.py cluster`` installs them); a missing one is reported, never skipped.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
from collections.abc import Sequence
from pathlib import Path

import psycopg2

#: PostgreSQL refuses to run as root; Debian's package creates this user.
PG_USER = "postgres"
#: Durability traded for speed: for throw-away test clusters only (``durable=False``).
PG_FAST_SETTINGS = ("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def find_pg_bindir() -> Path:
    """Where initdb/postgres are: PNS_PG_BINDIR, Debian's newest postgresql/N/bin, or PATH."""
    candidates = [os.environ.get("PNS_PG_BINDIR", "")]
    candidates += sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True
    )
    initdb = shutil.which("initdb")
    candidates.append(str(Path(initdb).parent) if initdb else "")
    for candidate in filter(None, candidates):
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    raise RuntimeError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found: run "
        "`apt-get install postgresql` or set PNS_PG_BINDIR"
    )


def require_program(name: str, package: str) -> str:
    """The path of ``name`` (also in /usr/sbin), or an error naming the Debian package."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin")
    if not found:
        raise RuntimeError(f"{name} not found: run `apt-get install {package}`")
    return found


def as_pg_user(command: Sequence[str]) -> list[str]:
    """``command`` run as the ``postgres`` user when we are root (initdb refuses root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", PG_USER, "--", *command]
    return list(command)


def give_to_pg_user(path: Path) -> None:
    """Let the server user own ``path`` (only needed, and only possible, as root)."""
    if os.geteuid() == 0:
        user = pwd.getpwnam(PG_USER)
        os.chown(path, user.pw_uid, user.pw_gid)


class Postgres:
    """A PostgreSQL cluster in ``root``: created once, run in the foreground by :meth:`command`.

    The one private-PostgreSQL launcher: the cluster runs it as a :class:`~bot.launcher.Service`,
    the KB tests in the background with ``pg_ctl`` (``tests/postgres.py``, a subclass).
    """

    def __init__(self, root: Path, port: int, durable: bool = True) -> None:
        self.bindir = find_pg_bindir()
        self.root, self.port, self.durable = root, port, durable
        self.data = root / "data"

    def init(self) -> None:
        """``initdb`` unless the data directory exists (a local cluster keeps its data)."""
        if (self.data / "PG_VERSION").exists():
            return
        self.root.mkdir(parents=True, exist_ok=True)
        give_to_pg_user(self.root)
        done = subprocess.run(
            as_pg_user(
                [
                    str(self.bindir / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    PG_USER,
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--no-locale",
                    "--no-sync",
                ]
            ),
            capture_output=True,
            text=True,
            timeout=180,
        )
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed ({done.returncode}): {done.stderr or done.stdout}")

    def options(self) -> list[str]:
        """Server options: loopback only, socket in ``root``, no other state."""
        return [
            "-p",
            str(self.port),
            "-k",
            str(self.root),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "max_connections=200",
            *([] if self.durable else PG_FAST_SETTINGS),
        ]

    def command(self) -> list[str]:
        """The server in the foreground (a launcher :class:`~bot.launcher.Service` runs it)."""
        return as_pg_user([str(self.bindir / "postgres"), "-D", str(self.data), *self.options()])

    def url(self, database: str) -> str:
        return f"postgresql+psycopg2://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def ready(self) -> bool:
        try:
            connection = psycopg2.connect(
                host="127.0.0.1", port=self.port, user=PG_USER, dbname="postgres", connect_timeout=2
            )
        except psycopg2.OperationalError:
            return False
        connection.close()
        return True

    def admin(self, sql: str, params: Sequence[str] = ()) -> list[tuple]:
        """Run one statement outside a transaction (CREATE/DROP DATABASE need that)."""
        connection = psycopg2.connect(
            host="127.0.0.1", port=self.port, user=PG_USER, dbname="postgres"
        )
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(sql, params or None)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()

    def ensure_database(self, name: str) -> str:
        """Create database ``name`` if it does not exist; its SQLAlchemy URL."""
        if not self.admin("SELECT 1 FROM pg_database WHERE datname = %s", (name,)):
            self.admin(f'CREATE DATABASE "{name}"')
        return self.url(name)


class Redis:
    """A Redis server on loopback, in memory only (locks need no persistence)."""

    def __init__(self, root: Path, port: int) -> None:
        self.binary = require_program("redis-server", "redis-server")
        self.root, self.port = root, port

    def command(self) -> list[str]:
        self.root.mkdir(parents=True, exist_ok=True)
        return [
            self.binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.root),
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "yes",
        ]

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1.0) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False


def nginx_config(
    prefix: Path,
    public_port: int,
    rasa_ports: Sequence[int],
    action_port: int,
    action_ports: Sequence[int],
) -> str:
    """nginx in front of the Rasa servers (``public_port``) and action servers (``action_port``).

    A replica that refuses connections or fails mid-request is skipped and the request
    retried on the next one (``proxy_next_upstream``), also for POST: a message that
    never reached a Rasa server is safe to send again. A 503 is passed on, not retried:
    it means a shared dependency (Redis, PostgreSQL) is down for every replica alike. Rasa
    keeps no session state of its own (trackers are in PostgreSQL), so no stickiness is
    needed; socket.io's long polling is the exception and is pinned by client address.
    """

    def servers(ports: Sequence[int]) -> str:
        return "\n".join(
            f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=2s;" for p in ports
        )

    proxy = """
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_connect_timeout 2s;
            proxy_read_timeout 120s;
            proxy_next_upstream error timeout non_idempotent;
            proxy_next_upstream_tries 3;"""
    return f"""# Generated by bot.local_services for a local cluster; do not edit.
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
daemon off;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    client_max_body_size 1m;
    client_body_buffer_size 1m;  # action calls carry the whole tracker: keep them in memory
    upstream rasa {{
{servers(rasa_ports)}
    }}
    upstream rasa_sticky {{
        ip_hash;
{servers(rasa_ports)}
    }}
    upstream actions {{
{servers(action_ports)}
    }}
    server {{
        listen 127.0.0.1:{public_port};
        location /socket.io/ {{
            proxy_pass http://rasa_sticky;{proxy}
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
        }}
        location / {{
            proxy_pass http://rasa;{proxy}
        }}
    }}
    server {{
        listen 127.0.0.1:{action_port};
        location / {{
            proxy_pass http://actions;{proxy}
        }}
    }}
}}
"""


class Nginx:
    """nginx in the foreground with its configuration, pid and temp files under ``root``."""

    def __init__(self, root: Path) -> None:
        self.binary = require_program("nginx", "nginx")
        self.root = root

    def command(self, config: str) -> list[str]:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / "nginx.conf"
        path.write_text(config, encoding="utf-8")
        # -e: the compiled-in error log (/var/log/nginx) is opened before the configuration is read
        return [
            self.binary,
            "-p",
            str(self.root),
            "-c",
            str(path),
            "-e",
            str(self.root / "error.log"),
        ]
