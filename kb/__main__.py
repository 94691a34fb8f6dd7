"""Staff and operator commands for the knowledge base: ``python -m kb <command>``.

  upgrade            create or upgrade the database schema (migrations)
  load [--force]     load the reviewed seed content (staff edits are kept unless --force)
  check              validate the seed content files without touching the database
  revision -m MSG    autogenerate a migration after a model change (developers)

The database is ``PNS_DATABASE_URL`` (default: SQLite under ``var/``).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

from bot.settings import load_settings
from kb import migrate
from kb.db import session_scope
from kb.loader import CONTENT_DIR, ContentError, load_content, read_content


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kb", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="overrides PNS_DATABASE_URL")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("upgrade", help="create or upgrade the schema")
    load = sub.add_parser("load", help="load the seed content")
    load.add_argument("--force", action="store_true", help="overwrite staff edits with the seed")
    load.add_argument("--content", type=Path, default=CONTENT_DIR)
    check = sub.add_parser("check", help="validate the seed content")
    check.add_argument("--content", type=Path, default=CONTENT_DIR)
    rev = sub.add_parser("revision", help="autogenerate a migration")
    rev.add_argument("-m", "--message", required=True)
    args = parser.parse_args(argv)
    url = args.database_url or load_settings().database_url

    try:
        if args.command == "upgrade":
            migrate.upgrade(url)
        elif args.command == "revision":
            migrate.revision(url, args.message)
        elif args.command == "check":
            content = read_content(args.content)
            print(f"content OK: {len(content.entities)} entities, {len(content.answers)} answers, "
                  f"{len(content.sources)} sources")
        elif args.command == "load":
            content = read_content(args.content)
            with session_scope(url) as session:
                report = load_content(session, content, force=args.force)
            print(f"knowledge base loaded: {report}")
    except ContentError as exc:
        print(f"error in seed content: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
