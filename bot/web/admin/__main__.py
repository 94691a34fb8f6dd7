"""``python -m bot.web.admin``: staff accounts from the command line (the first admin).

There is no default account and no default password: whoever runs the server creates the
first admin here, and that admin creates everyone else in the browser.

  create-user NAME --role admin|reviewer|editor   asks for the password twice
  set-password NAME                               a new password (ends the user's sessions)

``--password-stdin`` reads the password from standard input instead (scripts, tests).
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence

from bot.settings import load_settings
from bot.web.admin import accounts
from kb import migrate
from kb.db import session_scope
from kb.errors import ContentError
from kb.staff import STAFF_ROLES

OPERATOR = "command-line"


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password (at least 12 characters): ")
    if getpass.getpass("Again: ") != first:
        raise ContentError("the two passwords differ")
    return first


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.web.admin",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create-user", help="a new staff account")
    create.add_argument("username")
    create.add_argument("--role", choices=STAFF_ROLES, required=True)
    reset = sub.add_parser("set-password", help="a new password for an account")
    reset.add_argument("username")
    for command in (create, reset):
        command.add_argument(
            "--password-stdin", action="store_true", help="read the password from stdin"
        )
    args = parser.parse_args(argv)
    url = load_settings().database_url
    try:
        password = read_password(args.password_stdin)
        migrate.upgrade(url)
        with session_scope(url) as session:
            if args.command == "create-user":
                accounts.create_user(session, args.username, password, args.role, OPERATOR)
            else:
                user = accounts.find_user(session, args.username)
                if user is None:
                    raise ContentError(f"no user {args.username!r}")
                accounts.set_password(session, user, password, OPERATOR)
    except ContentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.username}: {'created' if args.command == 'create-user' else 'password changed'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
