"""Install the Debian packages a make target needs, only those that are missing.

Why one script: ``make run``, ``make test``, ``make cluster`` and ``.ci/run`` need programs
that pip and npm cannot install (PostgreSQL's server binaries, Redis, nginx, Chromium,
Node.js). Each calls this script with its target, so a fresh Debian machine needs no step
by hand and the list lives in one place (the README shows it).

    python3 tools/system_deps.py test|cluster|run [--dry-run]

As root it runs ``apt-get update`` and ``apt-get install`` for what is missing. Not as
root, with something missing, it stops at once (exit 1) printing the one command to run.
``--dry-run`` only prints what it would install. Nothing missing: silent, exit 0.
Standard library only: it runs before the project's virtual environment exists.
"""

from __future__ import annotations

import argparse
import glob
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

#: Debian packages per make target, in install order. Why each is there:
#: postgresql   initdb/pg_ctl for the private servers the KB tests and the cluster start
#:              (tests/postgres.py, bot/local_services.py; never the system service);
#: redis-server, nginx  the cluster and its fault tests (bot/cluster.py), on loopback;
#: chromium     the browser tests (Playwright never downloads a browser here), with
#: fonts-dejavu-core  a font, so the screenshot is readable;
#: nodejs, npm  the web page's socket.io client and axe-core (``npm ci`` in make).
TARGETS: dict[str, tuple[str, ...]] = {
    "test": (
        "postgresql",
        "redis-server",
        "nginx",
        "chromium",
        "fonts-dejavu-core",
        "nodejs",
        "npm",
    ),
    "cluster": ("postgresql", "redis-server", "nginx"),
    "run": ("nodejs", "npm"),
}

APT_ENV = {"DEBIAN_FRONTEND": "noninteractive"}
APT_INSTALL = ("apt-get", "install", "-y", "--no-install-recommends")
SBIN = "/usr/local/sbin:/usr/sbin:/sbin"


def _program(name: str) -> bool:
    return bool(shutil.which(name) or shutil.which(name, path=SBIN))


def _postgres_binaries() -> bool:
    """initdb and pg_ctl where bot/local_services.find_pg_bindir looks for them."""
    dirs = [os.environ.get("PNS_PG_BINDIR", ""), *glob.glob("/usr/lib/postgresql/*/bin")]
    initdb = shutil.which("initdb")
    dirs.append(str(Path(initdb).parent) if initdb else "")
    return any((Path(d) / "initdb").exists() and (Path(d) / "pg_ctl").exists() for d in dirs if d)


#: How to tell that a package's program is there (not dpkg: a binary built or installed
#: another way counts too, as it does for the code that starts it).
PROBES: dict[str, Callable[[], bool]] = {
    "postgresql": _postgres_binaries,
    "redis-server": lambda: _program("redis-server"),
    "nginx": lambda: _program("nginx"),
    # tests/integration/test_web_chat.py and test_admin.py launch exactly this path
    "chromium": lambda: os.access("/usr/bin/chromium", os.X_OK),
    "fonts-dejavu-core": lambda: Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").exists(),
    "nodejs": lambda: _program("node") or _program("nodejs"),
    "npm": lambda: _program("npm"),
}


@dataclass(frozen=True)
class Plan:
    """What to do: nothing, run ``commands`` (as root), or stop with ``message``."""

    missing: tuple[str, ...]
    commands: tuple[tuple[str, ...], ...] = ()
    message: str = ""


def missing_packages(target: str, present: Mapping[str, bool]) -> tuple[str, ...]:
    """The packages ``target`` needs that ``present`` does not mark as there, in order."""
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; one of {', '.join(TARGETS)}")
    return tuple(p for p in TARGETS[target] if not present.get(p, False))


def plan(target: str, present: Mapping[str, bool], is_root: bool, rerun: str) -> Plan:
    """The decision, pure: ``rerun`` is the command line to print for a user who is not root."""
    missing = missing_packages(target, present)
    if not missing:
        return Plan(missing)
    if not is_root:
        return Plan(
            missing,
            message=(
                f"`make {target}` needs Debian packages that are missing: {' '.join(missing)}.\n"
                f"Install them as root (apt-get update, then apt-get install), then run make "
                f"again:\n\n    {rerun}\n"
            ),
        )
    return Plan(missing, commands=(("apt-get", "update"), (*APT_INSTALL, *missing)))


def probe(target: str) -> dict[str, bool]:
    """Which of ``target``'s packages are there on this machine."""
    return {package: PROBES[package]() for package in TARGETS[target]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", choices=sorted(TARGETS))
    parser.add_argument("--dry-run", action="store_true", help="print, install nothing")
    args = parser.parse_args(argv)
    script = os.path.relpath(Path(__file__).resolve())
    rerun = shlex.join(["sudo", sys.executable, script, args.target])
    decided = plan(args.target, probe(args.target), os.geteuid() == 0, rerun)
    if args.dry_run:
        print(f"{args.target}: missing {' '.join(decided.missing) or 'nothing'}")
        for command in decided.commands:
            print("would run:", shlex.join(command))
        if decided.message:
            print(decided.message, end="")
        return 0
    if decided.message:
        print(decided.message, end="", file=sys.stderr)
        return 1
    for command in decided.commands:
        print("+", shlex.join(command), flush=True)
        subprocess.run(command, check=True, env={**os.environ, **APT_ENV})
    still = missing_packages(args.target, probe(args.target))
    if still:
        print(f"still missing after apt-get: {' '.join(still)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
