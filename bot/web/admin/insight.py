"""What patients asked that the bot could not answer, and which answers they found unhelpful.

Read from the ``unanswered_question`` and ``feedback`` tables the dialogue fills
(:mod:`kb.feedback`; texts are already redacted, no sender ids). The grouping and weekly
trend are pure functions over plain rows, so they are tested without a database.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.web.admin.accounts import aware
from kb.models import Feedback, UnansweredQuestion

WEEKS = 8
TOP = 50
_PUNCT = re.compile(r"[^\w\s]")


def question_key(text: str) -> str:
    """Questions that differ only in case, punctuation or spacing count as one."""
    return " ".join(_PUNCT.sub(" ", text.lower()).split())


def week_start(moment: datetime) -> datetime:
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def weekly(times: Iterable[datetime], now: datetime, weeks: int = WEEKS) -> list[int]:
    """Counts per calendar week (Monday first), oldest first, the current week last."""
    current = week_start(now)
    counts = [0] * weeks
    for moment in times:
        age = (current - week_start(moment)).days // 7
        if 0 <= age < weeks:
            counts[weeks - 1 - age] += 1
    return counts


@dataclass
class QuestionGroup:
    text: str
    lang: str | None = None  # the conversation's language (None: recorded before languages)
    count: int = 0
    last_seen: datetime | None = None
    reasons: Counter = field(default_factory=Counter)
    trend: list[int] = field(default_factory=list)


def group_questions(
    rows: Sequence[tuple[datetime, str, str] | tuple[datetime, str, str, str | None]],
    now: datetime,
    top: int = TOP,
) -> list[QuestionGroup]:
    """(time, text, reason[, lang]) rows → groups of the same question in the same language,
    most asked first."""
    groups: dict[tuple[str | None, str], QuestionGroup] = {}
    times: dict[tuple[str | None, str], list[datetime]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: r[0]):
        moment, text, reason = row[0], row[1], row[2]
        lang = row[3] if len(row) > 3 else None
        key = (lang, question_key(text))
        if not key[1]:
            continue
        group = groups.setdefault(key, QuestionGroup(text, lang))
        group.text, group.last_seen = text, moment  # the latest wording
        group.count += 1
        group.reasons[reason] += 1
        times[key].append(moment)
    for key, group in groups.items():
        group.trend = weekly(times[key], now)
    return sorted(groups.values(), key=lambda g: (-g.count, g.text))[:top]


@dataclass
class FeedbackGroup:
    intent: str
    entities: str
    lang: str | None = None  # the language the answer was given in (None: before languages)
    not_helpful: int = 0
    helpful: int = 0
    trend: list[int] = field(default_factory=list)  # not helpful, per week

    @property
    def share_not_helpful(self) -> float:
        total = self.not_helpful + self.helpful
        return self.not_helpful / total if total else 0.0


def group_feedback(
    rows: Sequence[tuple[datetime, str, str, int] | tuple[datetime, str, str, int, str | None]],
    now: datetime,
    top: int = TOP,
) -> list[FeedbackGroup]:
    """(time, intent, entities, helpful[, lang]) rows → answers (per language) with "not
    helpful" votes, worst first."""
    groups: dict[tuple[str, str, str | None], FeedbackGroup] = {}
    unhelpful: dict[tuple[str, str, str | None], list[datetime]] = defaultdict(list)
    for row in rows:
        moment, intent, entities, helpful = row[0], row[1], row[2], row[3]
        lang = row[4] if len(row) > 4 else None
        key = (intent, entities, lang)
        group = groups.setdefault(key, FeedbackGroup(intent, entities, lang))
        if helpful:
            group.helpful += 1
        else:
            group.not_helpful += 1
            unhelpful[key].append(moment)
    found = [g for g in groups.values() if g.not_helpful]
    for group in found:
        group.trend = weekly(unhelpful[(group.intent, group.entities, group.lang)], now)
    return sorted(
        found, key=lambda g: (-g.not_helpful, -g.share_not_helpful, g.intent, g.entities)
    )[:top]


@dataclass
class Insight:
    questions: list[QuestionGroup]
    feedback: list[FeedbackGroup]
    unanswered_weekly: list[int]
    not_helpful_weekly: list[int]
    week_labels: list[str]


def load(session: Session, now: datetime, weeks: int = WEEKS) -> Insight:
    since = week_start(now) - timedelta(weeks=weeks - 1)
    questions = [
        (aware(t), text, reason, lang)
        for t, text, reason, lang in session.execute(
            select(
                UnansweredQuestion.created_at,
                UnansweredQuestion.text,
                UnansweredQuestion.reason,
                UnansweredQuestion.lang,
            ).where(UnansweredQuestion.created_at >= since)
        )
    ]
    feedback = [
        (aware(t), intent, entities, helpful, lang)
        for t, intent, entities, helpful, lang in session.execute(
            select(
                Feedback.created_at,
                Feedback.intent,
                Feedback.entities,
                Feedback.helpful,
                Feedback.lang,
            ).where(Feedback.created_at >= since)
        )
    ]
    labels = [
        (week_start(now) - timedelta(weeks=n)).strftime("%d %b") for n in range(weeks - 1, -1, -1)
    ]
    return Insight(
        group_questions(questions, now),
        group_feedback(feedback, now),
        weekly((q[0] for q in questions), now, weeks),
        weekly((f[0] for f in feedback if not f[3]), now, weeks),
        labels,
    )
