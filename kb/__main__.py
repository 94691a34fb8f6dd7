"""``python -m kb``: see :mod:`kb.cli` for the commands."""

from kb.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
