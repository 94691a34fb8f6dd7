"""Staff and operator commands for the knowledge base: ``python -m kb <command>``.

Operators:
  upgrade                         create or upgrade the database schema (migrations)
  load [--force]                  load the reviewed seed content (staff edits kept unless --force)
  check                           validate the seed content files without touching the database
                                  (exit status 1 if an item lacks a language)
  readability [--lang en|ru] [--top N]
                                  reading grade of every seed text (English: Flesch-Kincaid;
                                  Russian: Oborneva); exit 1 if an English text is above grade 9
                                  without a reason in kb/content/readability.yml
  revision -m MSG                 autogenerate a migration after a model change (developers)

Staff, reading:
  list [SELECTOR...] [--status S] [--lang L]
                                  items and their review state; SELECTOR is a type (answer),
                                  an entity kind (antibody) or a reference (or its start);
                                  every language unless it ends in @ru/@en or --lang is given
  show REF [--version N|--draft]  one item as YAML: published, a past version, the open change
  search TEXT... [--drafts] [--lang L]  items whose text contains TEXT
  history REF [--diff]            every version of an item: who, when, review, diff
  diff REF [--version N]          what publishing the open change would change, or what vN changed
  export [SELECTOR...] [-o FILE] [--format yaml|csv] [--drafts] [--lang L]
                                  (both languages unless --lang: one item per language)
  validate                        problems in the content (exit status 1 if there are any)
  stats                           amounts, review queue, feedback

Staff, changing (who you are: --user NAME or PNS_KB_USER):
  edit REF [--file F] [-m MSG] [--submit]   change one item in $EDITOR or from a YAML file
  import FILE... [-m MSG] [--submit]        items from YAML/CSV files become drafts, all or none
  submit REF...|--all                       draft → in review (--all: your drafts)
  approve REF...|--all                      in review → approved, by someone other than the author
  reject REF -m MSG                         close an open change without publishing it
  publish REF...|--all                      approved (or in review) → live, not by the author
  rollback REF --to N [-m MSG]              make published version N live again

References: source:KEY  entity:KIND:ID (or KIND:ID)  answer:INTENT[:KIND:ID]  phrase:KEY
            centre  setting:KEY
Languages:  a reference means the English item (with the fields that are the same in every
            language: sources, links, risk group, phone…); add @ru for its Russian version,
            which is drafted, reviewed, published and rolled back on its own:
            answer:ask_tests@ru, entity:antibody:yo@ru, phrase:handoff@ru, centre@ru
Exit status: 0 done, 1 validate found problems, 2 bad input, 3 refused by a review rule,
4 database error. The database is PNS_DATABASE_URL (default: SQLite under var/).
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from kb import commands, migrate, readability
from kb.commands import Result
from kb.db import session_scope
from kb.errors import ContentError, ReviewError
from kb.exchange import FORMATS
from kb.items import parse_ref
from kb.languages import other_langs
from kb.loader import CONTENT_DIR, load_content, read_content
from kb.models import LANGS, OPEN_STATES
from kb.settings import database_url
from kb.validate import gaps

EXIT_PROBLEMS, EXIT_INPUT, EXIT_REFUSED, EXIT_DATABASE = 1, 2, 3, 4
USER_VAR = "PNS_KB_USER"

Command = Callable[[argparse.Namespace, Session], Result]


def build_parser() -> argparse.ArgumentParser:
    # --database-url and --user work before or after the command name
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--database-url", default=argparse.SUPPRESS, help="overrides PNS_DATABASE_URL"
    )
    common.add_argument(
        "--user", default=argparse.SUPPRESS, help=f"your name for the history (or {USER_VAR})"
    )
    parser = argparse.ArgumentParser(
        prog="python -m kb",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--database-url", help="overrides PNS_DATABASE_URL")
    parser.add_argument("--user", help=f"your name for the history (or {USER_VAR})")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_text: str, handler: Command | None = None) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text, parents=[common])
        command.set_defaults(handler=handler)
        return command

    add("upgrade", "create or upgrade the schema")
    add("load", "load the seed content").add_argument(
        "--force", action="store_true", help="overwrite staff edits with the seed"
    )
    add("check", "validate the seed content files")
    for name in ("load", "check"):
        sub.choices[name].add_argument("--content", type=Path, default=CONTENT_DIR)
    readability = add("readability", "reading grade of every seed text")
    readability.add_argument("--lang", choices=("en", "ru"), default="en")
    readability.add_argument("--top", type=int, default=0, help="only the N hardest texts")
    readability.add_argument("--content", type=Path, default=CONTENT_DIR)
    add("revision", "autogenerate a migration").add_argument("-m", "--message", required=True)

    listing = add("list", "items and their review state", commands.cmd_list)
    listing.add_argument("selectors", nargs="*", metavar="SELECTOR")
    listing.add_argument("--status", choices=(*OPEN_STATES, "published"))
    show = add("show", "one item as YAML", commands.cmd_show)
    show.add_argument("ref")
    which = show.add_mutually_exclusive_group()
    which.add_argument("--version", type=int)
    which.add_argument("--draft", action="store_true", help="the open change")
    search = add("search", "items containing a text", commands.cmd_search)
    search.add_argument("text", nargs="+")
    search.add_argument("--drafts", action="store_true", help="search open changes too")
    history = add("history", "versions of an item", commands.cmd_history)
    history.add_argument("ref")
    history.add_argument("--diff", action="store_true")
    diff = add("diff", "changes of an item", commands.cmd_diff)
    diff.add_argument("ref")
    diff.add_argument("--version", type=int)
    for command in (listing, search):
        command.add_argument("--lang", choices=LANGS, help="only this language's versions")
    export = add("export", "write items as YAML or CSV", commands.cmd_export)
    export.add_argument("--lang", choices=LANGS, help="only this language's versions")
    export.add_argument("selectors", nargs="*", metavar="SELECTOR")
    export.add_argument("-o", "--output", type=Path)
    export.add_argument("--format", choices=FORMATS)
    export.add_argument(
        "--drafts", action="store_true", help="open changes instead of published text"
    )
    add("validate", "problems in the content", commands.cmd_validate)
    add("stats", "amounts, review queue, feedback", commands.cmd_stats)

    edit = add("edit", "change one item (draft)")
    edit.add_argument("ref")
    edit.add_argument("--file", type=Path, help="YAML with the item's fields instead of $EDITOR")
    importing = add("import", "items from YAML/CSV files become drafts", commands.cmd_import)
    importing.add_argument("files", nargs="+", type=Path, metavar="FILE")
    for command in (edit, importing):
        command.add_argument("-m", "--message", help="why (kept in the history)")
        command.add_argument("--submit", action="store_true", help="submit for review at once")
    for name, handler in (
        ("submit", commands.cmd_submit),
        ("approve", commands.cmd_approve),
        ("publish", commands.cmd_publish),
    ):
        step = add(name, f"{name} open changes", handler)
        step.add_argument("refs", nargs="*", metavar="REF")
        step.add_argument("--all", action="store_true")
    reject = add("reject", "close an open change unpublished", commands.cmd_reject)
    reject.add_argument("ref")
    reject.add_argument("-m", "--message", required=True)
    rollback = add("rollback", "make a published version live again", commands.cmd_rollback)
    rollback.add_argument("ref")
    rollback.add_argument("--to", type=int, required=True, metavar="N")
    rollback.add_argument("-m", "--message")
    return parser


WRITERS = frozenset({"edit", "import", "submit", "approve", "reject", "publish", "rollback"})


def run(args: argparse.Namespace, url: str) -> Result:
    if args.command == "upgrade":
        migrate.upgrade(url)
        return Result(["schema up to date"])
    if args.command == "revision":
        migrate.revision(url, args.message)
        return Result()
    if args.command == "check":
        content = read_content(args.content)
        problems = gaps(content.items)
        counts = ", ".join(
            f"{lang} {len(content.translations(lang))} item(s)" for lang in other_langs()
        )
        summary = (
            f"{len(content.entities)} entities, {len(content.answers)} answers, "
            f"{len(content.sources)} sources; translations: {counts}"
        )
        if problems:
            return Result([*(str(p) for p in problems), f"{len(problems)} gap(s); {summary}"], 1)
        return Result([f"content OK: {summary}"])
    if args.command == "readability":
        return readability_report(args.content, args.lang, args.top)
    if args.command == "load":
        content = read_content(args.content)
        with session_scope(url) as session:
            report = load_content(session, content, force=args.force)
        return Result([f"knowledge base loaded: {report}"])
    if args.command in WRITERS:
        commands.require_user(args)
    if args.command == "edit":
        return run_edit(args, url)
    with session_scope(url) as session:
        return args.handler(args, session)


def readability_report(content_dir: Path, lang: str, top: int = 0) -> Result:
    """Every seed text of one language, hardest first, with the summary and the verdict."""
    texts = readability.seed_texts(content_dir, lang)
    notes = readability.load_notes(content_dir)
    scored = sorted(
        (readability.score(ref, text, lang) for ref, text in texts),
        key=lambda s: s.grade,
        reverse=True,
    )
    judged = [s for s in scored if s.words >= readability.MIN_WORDS]
    measure = "Oborneva grade / reading ease" if lang == "ru" else "Flesch-Kincaid grade"
    lines = [f"{measure}, {len(judged)} texts of {readability.MIN_WORDS}+ words ({lang}):"]
    for s in judged[: top or None]:
        ease = f"  ease {s.reading_ease:5.1f}" if s.reading_ease is not None else ""
        flag = ""
        if lang == "en" and s.grade > readability.MAX_GRADE:
            flag = "  (reason on file)" if notes.get(s.ref) else "  ABOVE GRADE 9, NO REASON"
        lines.append(f"{s.grade:5.1f}{ease}  {s.ref}{flag}")
    if judged:
        mean = sum(s.grade for s in judged) / len(judged)
        over = sum(1 for s in judged if s.grade > readability.MAX_GRADE)
        lines.append(f"mean {mean:.1f}, max {judged[0].grade:.1f}, above 9: {over}")
    failing = readability.too_hard(texts, notes) if lang == "en" else []
    lines.append(f"{len(failing)} English text(s) above grade 9 without a reason")
    return Result(lines, 1 if failing else 0)


def run_edit(args: argparse.Namespace, url: str) -> Result:
    """Read the item, let staff edit it outside any transaction, then save in a new one."""
    ref = parse_ref(args.ref)
    if args.file:
        try:
            text = args.file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ContentError(f"{args.file}: cannot read: {exc}") from exc
        with session_scope(url) as session:
            return commands.save_edit(session, ref, text, str(args.file), args)
    with session_scope(url) as session:
        template = commands.edit_template(session, ref)
    path = edit_in_editor(template)
    text = path.read_text(encoding="utf-8")
    if text == template:
        path.unlink()
        return Result([f"{ref}: unchanged, nothing saved"])
    try:
        with session_scope(url) as session:
            result = commands.save_edit(session, ref, text, str(path), args)
    except ContentError as exc:
        raise ContentError(
            f"{exc}\nyour text is kept in {path}; fix it and run: "
            f"python -m kb edit {ref} --file {path}"
        ) from exc
    path.unlink()
    return result


def edit_in_editor(text: str) -> Path:
    """Open ``text`` in $VISUAL/$EDITOR; returns the file it was saved in."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not editor:
        raise ContentError("no editor: set $EDITOR (or $VISUAL), or give --file FILE")
    fd, name = tempfile.mkstemp(prefix="kb-edit-", suffix=".yml")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    done = subprocess.run([*shlex.split(editor), name])
    if done.returncode != 0:
        raise ContentError(
            f"the editor exited with status {done.returncode}; nothing saved (text in {name})"
        )
    return Path(name)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    url = args.database_url or database_url()
    args.user = args.user or os.environ.get(USER_VAR)
    try:
        result = run(args, url)
    except ContentError as exc:
        where = "error in seed content" if args.command in ("check", "load") else "error"
        print(f"{where}: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except ReviewError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except SQLAlchemyError as exc:
        reason = str(exc).splitlines()[0]
        print(
            f"database error: {reason}\n(is the schema up to date? run: python -m kb upgrade)",
            file=sys.stderr,
        )
        return EXIT_DATABASE
    for line in result.lines:
        print(line)
    return result.code
