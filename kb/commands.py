"""The staff commands of ``python -m kb``, each one unit of work on one session.

Commands return what to print instead of printing, so :mod:`kb.cli` prints only after the
transaction has committed: a message never claims a change that was then rolled back.
"""

from __future__ import annotations

import argparse
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from kb import review, revisions
from kb.drafts import DraftReport, draft_records
from kb.errors import ContentError
from kb.exchange import format_of, parse_yaml, read_records, write
from kb.items import ITEM_TYPES, LiveContent, Ref, parse_ref, title
from kb.models import KINDS, Revision
from kb.payloads import fields_of
from kb.revisions import Change, history_line, render, search
from kb.stats import stats
from kb.validate import validate

REBUILD_HINT = "entity names or synonyms changed: run `make build` so the assistant recognises them"


@dataclass
class Result:
    """Lines for stdout and the exit code (0 ok, 1 problems found)."""

    lines: list[str] = field(default_factory=list)
    code: int = 0


def matches(ref: Ref, selectors: Iterable[str], lang: str | None = None) -> bool:
    """Whether ``ref`` is one of ``selectors``: a type, an entity kind, a ref or a ref prefix.

    A selector names an item in every language (``answer:ask_tests`` selects the English and
    the Russian version) unless it ends in ``@LANG``; ``lang`` keeps only that language.
    """
    if lang is not None and ref.lang != lang:
        return False
    selectors = list(selectors)
    text = str(ref.base)
    for selector in selectors:
        body, at, only = selector.partition("@")
        body = f"entity:{body}" if body.split(":")[0] in KINDS else body
        if at and only != ref.lang:
            continue
        if text == body or text.startswith(body + ":"):
            return True
    return not selectors


def check_selectors(selectors: Iterable[str]) -> None:
    for selector in selectors:
        if selector.partition("@")[0].split(":")[0] not in (*ITEM_TYPES, *KINDS):
            raise ContentError(
                f"{selector!r} selects nothing; start with one of {', '.join(ITEM_TYPES + KINDS)}"
            )


def _refs(
    session: Session, args: argparse.Namespace, pick: Callable[[Revision], bool]
) -> list[Ref]:
    """The refs named on the command line, or with --all the open changes ``pick`` accepts."""
    if args.all == bool(args.refs):
        raise ContentError("name the items, or give --all (not both)")
    if args.refs:
        return [parse_ref(r) for r in args.refs]
    return [ref for ref, r in revisions.open_revisions(session).items() if pick(r)]


# --------------------------------------------------------------------------- reading


def cmd_list(args: argparse.Namespace, session: Session) -> Result:
    check_selectors(args.selectors)
    overview = review.Overview.load(session)
    live = LiveContent(session).items()
    result = Result()
    for ref, status in overview.items.items():
        if matches(ref, args.selectors, args.lang) and (
            not args.status or status.state == args.status
        ):
            item = live.get(ref) or (revisions.payload(status.open) if status.open else None)
            result.lines.append(f"{str(ref):<45} {status.describe():<34} {title(ref, item)}")
    result.lines.append(f"{len(result.lines)} item(s)")
    return result


def cmd_show(args: argparse.Namespace, session: Session) -> Result:
    ref = parse_ref(args.ref)
    status = review.Overview.load(session).items.get(ref)
    if status is None:
        raise ContentError(f"{ref}: no such item (see `python -m kb list`)")
    if args.version is not None:
        revision = revisions.version(session, ref, args.version)
        if revision is None:
            raise ContentError(f"{ref}: there is no version {args.version}")
        item, shown = revisions.payload(revision), f"v{revision.version} ({revision.status})"
    elif args.draft:
        if status.open is None:
            raise ContentError(f"{ref}: has no open change")
        item, shown = (
            revisions.payload(status.open),
            f"v{status.open.version} ({status.open.status})",
        )
    else:
        item, shown = LiveContent(session).payload(ref), "published"
    return Result([f"# {ref}: {status.describe()}; showing {shown}", render(ref, item).rstrip()])


def cmd_search(args: argparse.Namespace, session: Session) -> Result:
    needle = " ".join(args.text).lower()
    found: dict[Ref, Mapping[str, Any]] = dict(LiveContent(session).items())
    if args.drafts:
        found.update(
            {ref: revisions.payload(r) for ref, r in revisions.open_revisions(session).items()}
        )
    found = {ref: item for ref, item in found.items() if matches(ref, (), args.lang)}
    result = Result([f"{str(ref):<45} {hit[:80]}" for ref, hit in search(found, needle).items()])
    result.lines.append(f"{len(result.lines)} item(s) match {needle!r}")
    return result


def cmd_history(args: argparse.Namespace, session: Session) -> Result:
    ref = parse_ref(args.ref)
    found = revisions.versions(session, ref)
    if not found:
        raise ContentError(f"{ref}: no recorded versions")
    result = Result()
    for revision in found:
        result.lines.append(history_line(revision))
        if args.diff and revision.diff:
            result.lines.append(revision.diff.rstrip())
    return result


def cmd_diff(args: argparse.Namespace, session: Session) -> Result:
    """The stored diff of a version, or what publishing the open change would change."""
    ref = parse_ref(args.ref)
    if args.version is not None:
        revision = revisions.version(session, ref, args.version)
        if revision is None:
            raise ContentError(f"{ref}: there is no version {args.version}")
        return Result([revision.diff.rstrip() or "(no change)"])
    pending = revisions.open_revision(session, ref)
    if pending is None:
        raise ContentError(f"{ref}: has no open change; give --version N for a past one")
    diff = revisions.pending_diff(ref, LiveContent(session).payload(ref), pending)
    return Result([diff.rstrip() or "(no change)"])


def cmd_export(args: argparse.Namespace, session: Session) -> Result:
    check_selectors(args.selectors)
    items = LiveContent(session).items()
    if args.drafts:
        items.update(
            {ref: revisions.payload(r) for ref, r in revisions.open_revisions(session).items()}
        )
    chosen = {
        ref: items[ref]
        for ref in sorted(items, key=Ref.sort_key)
        if matches(ref, args.selectors, args.lang)
    }
    fmt = args.format or (format_of(args.output) if args.output else "yaml")
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as out:
            write(chosen, out, fmt)
        return Result([f"exported {len(chosen)} item(s) to {args.output}"])
    buffer = io.StringIO()
    write(chosen, buffer, fmt)
    return Result([buffer.getvalue().rstrip("\n")])


def cmd_validate(args: argparse.Namespace, session: Session) -> Result:
    problems = validate(session)
    return Result(
        [*(str(p) for p in problems), f"{len(problems)} problem(s)"], 1 if problems else 0
    )


def cmd_stats(args: argparse.Namespace, session: Session) -> Result:
    return Result([f"{label + ':':<22} {value}" for label, value in stats(session)])


# --------------------------------------------------------------------------- changing


def _drafted(report: DraftReport) -> Result:
    result = Result(
        [f"{r.item_ref}: v{r.version} {r.status.replace('_', ' ')}" for r in report.drafted]
    )
    result.lines.append(str(report))
    return result


def cmd_import(args: argparse.Namespace, session: Session) -> Result:
    records = [record for path in args.files for record in read_records(Path(path))]
    if not records:
        raise ContentError("the file(s) hold no items")
    return _drafted(
        draft_records(session, records, Change(args.user, "import", args.message), args.submit)
    )


def edit_template(session: Session, ref: Ref) -> str:
    """What ``edit`` puts in front of staff: the open change, else the published item."""
    pending = revisions.open_revision(session, ref)
    item = revisions.payload(pending) if pending else LiveContent(session).payload(ref)
    source = (
        f"open v{pending.version} ({pending.status})" if pending else "published" if item else "new"
    )
    if item is None:  # a new item: every field, empty
        item = {
            f.name: [] if f.kind in ("synonyms", "links", "sources") else None
            for f in fields_of(ref)
        }
    return (
        f"# {ref} — editing {source}. Save and close to store a draft; "
        f"an empty file or unchanged text stores nothing.\n" + render(ref, item)
    )


def save_edit(
    session: Session, ref: Ref, text: str, where: str, args: argparse.Namespace
) -> Result:
    if not text.strip() or all(
        line.startswith("#") or not line.strip() for line in text.splitlines()
    ):
        return Result([f"{ref}: empty file, nothing saved"])
    records = parse_yaml(text, where, default_ref=ref)
    if len(records) != 1:
        raise ContentError(f"{where}: edit takes exactly one item, found {len(records)}")
    report = draft_records(session, records, Change(args.user, "edit", args.message), args.submit)
    if not report.drafted:
        return Result([f"{ref}: unchanged, nothing saved"])
    return _drafted(report)


def _each(
    session: Session,
    refs: list[Ref],
    action: Callable[[Session, Ref, str], Revision],
    user: str,
    verb: str,
) -> Result:
    if not refs:
        return Result([f"nothing to {verb}"])
    done = [action(session, ref, user) for ref in refs]
    return Result([f"{r.item_ref}: v{r.version} {r.status.replace('_', ' ')}" for r in done])


def cmd_submit(args: argparse.Namespace, session: Session) -> Result:
    refs = _refs(session, args, lambda r: r.status == "draft" and r.author == args.user)
    return _each(session, refs, review.submit, args.user, "submit")


def cmd_approve(args: argparse.Namespace, session: Session) -> Result:
    refs = _refs(session, args, lambda r: r.status == "in_review" and r.author != args.user)
    return _each(session, refs, review.approve, args.user, "approve")


def cmd_reject(args: argparse.Namespace, session: Session) -> Result:
    revision = review.reject(session, parse_ref(args.ref), args.user, args.message)
    return Result([f"{revision.item_ref}: v{revision.version} rejected"])


def cmd_publish(args: argparse.Namespace, session: Session) -> Result:
    refs = _refs(
        session, args, lambda r: r.status in ("in_review", "approved") and r.author != args.user
    )
    if not refs:
        return Result(["nothing to publish"])
    done = review.publish(session, refs, args.user)
    result = Result([f"{r.item_ref}: v{r.version} published" for r in done])
    if any(r.item_ref.startswith("entity:") for r in done):
        result.lines.append(f"note: {REBUILD_HINT}")
    return result


def cmd_rollback(args: argparse.Namespace, session: Session) -> Result:
    ref = parse_ref(args.ref)
    revision = review.rollback(session, ref, args.to, args.user, args.message)
    result = Result([f"{ref}: v{args.to} restored as v{revision.version} (published)"])
    if ref.type == "entity":
        result.lines.append(f"note: {REBUILD_HINT}")
    return result


def require_user(args: argparse.Namespace) -> None:
    args.user = review.check_user(getattr(args, "user", None))
