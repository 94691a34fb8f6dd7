"""tools/system_deps.py: which Debian packages each make target installs, decided purely."""

import itertools
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tools.system_deps import APT_INSTALL, PROBES, TARGETS, missing_packages, plan, probe

ROOT = Path(__file__).resolve().parents[1]
RERUN = "sudo python3 tools/system_deps.py test"


def every_presence(packages: tuple[str, ...]):
    """Every combination of present/absent for ``packages``."""
    for bits in itertools.product([False, True], repeat=len(packages)):
        yield dict(zip(packages, bits, strict=True))


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_every_combination_installs_exactly_what_is_missing(target: str) -> None:
    needed = TARGETS[target]
    for present in every_presence(needed):
        absent = tuple(p for p in needed if not present[p])
        assert missing_packages(target, present) == absent
        as_root = plan(target, present, is_root=True, rerun=RERUN)
        as_user = plan(target, present, is_root=False, rerun=RERUN)
        assert as_root.missing == as_user.missing == absent
        if not absent:
            assert as_root.commands == as_user.commands == ()
            assert as_root.message == as_user.message == ""
            continue
        # root: the package lists first, then one install of exactly the missing ones
        assert as_root.commands == (("apt-get", "update"), (*APT_INSTALL, *absent))
        assert as_root.message == ""
        # not root: stop at once, nothing run, the one command to run printed
        assert as_user.commands == ()
        assert RERUN in as_user.message
        assert " ".join(absent) in as_user.message


def test_targets_need_what_their_servers_start() -> None:
    assert set(TARGETS["cluster"]) == {"postgresql", "redis-server", "nginx"}
    assert set(TARGETS["cluster"]) < set(TARGETS["test"])
    assert {"chromium", "fonts-dejavu-core", "nodejs", "npm"} < set(TARGETS["test"])
    assert set(TARGETS["run"]) == {"nodejs", "npm"}
    assert set(PROBES) == set().union(*TARGETS.values())


def test_unknown_target_and_unknown_presence() -> None:
    with pytest.raises(ValueError, match="unknown target 'deploy'"):
        missing_packages("deploy", {})
    # a package nobody probed counts as missing (never assumed to be there)
    assert missing_packages("cluster", {"nginx": True}) == ("postgresql", "redis-server")


def test_dry_run_reports_this_machine_and_installs_nothing() -> None:
    result = subprocess.run(
        [sys.executable, "tools/system_deps.py", "test", "--dry-run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    missing = [p for p, there in probe("test").items() if not there]
    assert result.stdout.splitlines()[0] == f"test: missing {' '.join(missing) or 'nothing'}"


def test_make_targets_and_ci_call_the_script() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("test", "cluster", "run"):
        rule = re.search(rf"^{target}:.*$", makefile, re.MULTILINE)
        assert rule and f"system-deps-{target}" in rule.group(0), target
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "tools/system_deps.py test" in ci
    assert "apt-get install" not in ci  # the list lives in the script only
