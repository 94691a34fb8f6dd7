"""A private, throw-away PostgreSQL server for the test session (Debian's server binaries).

The KB suite runs against a real PostgreSQL as well as SQLite, so that what differs between
them (string lengths, transactions, NULL handling, time zones) is tested rather than
assumed. The cluster lives in a temporary directory, listens on a free port on 127.0.0.1
only, trusts local connections, and is removed at the end. As root, the server runs as the
``postgres`` user (initdb refuses root).

If the binaries are missing the tests fail — they are not skipped: install them with
``python3 tools/system_deps.py test`` (``make test`` runs it) or point ``PNS_PG_BINDIR`` at them.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg2

from bot.local_services import find_pg_bindir, free_port

SERVER_USER = "postgres"
# durability is irrelevant for a test cluster and costs seconds on every commit
FAST_SETTINGS = (
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c listen_addresses=127.0.0.1"
)


class PostgresServer:
    """One running cluster; :meth:`url` names a database on it."""

    def __init__(self, bindir: Path, root: Path, port: int) -> None:
        self.bindir, self.root, self.port = bindir, root, port
        self.data = root / "data"

    @classmethod
    def start(cls) -> PostgresServer:
        server = cls(find_pg_bindir(), Path(tempfile.mkdtemp(prefix="pns-pg-")), free_port())
        try:
            server._run(
                "initdb",
                "-D",
                str(server.data),
                "-U",
                SERVER_USER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            )
            server._run(
                "pg_ctl",
                "-D",
                str(server.data),
                "-l",
                str(server.root / "server.log"),
                "-w",
                "-t",
                "60",
                "-o",
                f"-p {server.port} -k {server.root} {FAST_SETTINGS}",
                "start",
            )
        except BaseException:
            server.stop()
            raise
        return server

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bindir / program), *args]
        if os.geteuid() == 0:
            os.chown(self.root, pwd.getpwnam(SERVER_USER).pw_uid, -1)
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"{program} failed ({done.returncode}): {done.stderr or done.stdout}\n{tail}"
            )

    def url(self, database: str) -> str:
        return f"postgresql+psycopg2://{SERVER_USER}@127.0.0.1:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE need that)."""
        connection = psycopg2.connect(
            host="127.0.0.1", port=self.port, user=SERVER_USER, dbname="postgres"
        )
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(sql)
        finally:
            connection.close()

    def create_database(self, name: str, template: str | None = None) -> str:
        self.admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
