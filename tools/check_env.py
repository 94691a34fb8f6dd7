"""Fail unless ``pip check`` is clean apart from the one known, accepted relaxation.

Rasa 3.6.21 declares ``matplotlib<3.6``, which has no Python 3.11 wheels; we install
matplotlib 3.7 instead (Rasa only uses it for evaluation plots). Anything else is a real
conflict and must fail the install.
"""

from __future__ import annotations

import subprocess
import sys

ACCEPTED = ("rasa 3.6.21 has requirement matplotlib<3.6,>=3.1",)


def main() -> int:
    done = subprocess.run([sys.executable, "-m", "pip", "check"], capture_output=True, text=True)
    problems = [
        line
        for line in done.stdout.splitlines()
        if line.strip()
        and not line.startswith(ACCEPTED)
        and line.strip() != "No broken requirements found."
    ]
    for line in problems:
        print(f"dependency conflict: {line}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
