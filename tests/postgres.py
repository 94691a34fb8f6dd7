"""A private, throw-away PostgreSQL server for the test session (Debian's server binaries).

The KB suite runs against a real PostgreSQL as well as SQLite, so that what differs between
them (string lengths, transactions, NULL handling, time zones) is tested rather than
assumed. The cluster lives in a temporary directory, listens on a free port on 127.0.0.1
only, trusts local connections, and is removed at the end. As root, the server runs as the
``postgres`` user (initdb refuses root). It is the cluster's launcher
(:class:`bot.local_services.Postgres`), started in the background with ``pg_ctl``.

If the binaries are missing the tests fail — they are not skipped: install them with
``python3 tools/system_deps.py test`` (``make test`` runs it) or point ``PNS_PG_BINDIR`` at them.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

from bot.local_services import Postgres, as_pg_user, free_port


class PostgresServer(Postgres):
    """One running cluster without durability (fast commits); :meth:`url` names a database."""

    @classmethod
    def start(cls) -> PostgresServer:
        server = cls(Path(tempfile.mkdtemp(prefix="pns-pg-")), free_port(), durable=False)
        try:
            server.init()
            log = str(server.root / "server.log")
            server.pg_ctl("-l", log, "-w", "-t", "60", "-o", shlex.join(server.options()), "start")
        except BaseException:
            server.stop()
            raise
        return server

    def pg_ctl(self, *args: str) -> None:
        command = as_pg_user([str(self.bindir / "pg_ctl"), "-D", str(self.data), *args])
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"pg_ctl failed ({done.returncode}): {done.stderr or done.stdout}\n{tail}"
            )

    def create_database(self, name: str, template: str | None = None) -> str:
        self.admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self.pg_ctl("-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
