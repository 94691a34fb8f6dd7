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
    count: int = 0
    last_seen: datetime | None = None
    reasons: Counter = field(default_factory=Counter)
    trend: list[int] = field(default_factory=list)


def group_questions(
    rows: Sequence[tuple[datetime, str, str]], now: datetime, top: int = TOP
) -> list[QuestionGroup]:
    """(time, text, reason) rows → groups of the same question, most asked first."""
    groups: dict[str, QuestionGroup] = {}
    times: dict[str, list[datetime]] = defaultdict(list)
    for moment, text, reason in sorted(rows, key=lambda r: r[0]):
        key = question_key(text)
        if not key:
            continue
        group = groups.setdefault(key, QuestionGroup(text))
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
    not_helpful: int = 0
    helpful: int = 0
    trend: list[int] = field(default_factory=list)  # not helpful, per week

    @property
    def share_not_helpful(self) -> float:
        total = self.not_helpful + self.helpful
        return self.not_helpful / total if total else 0.0


def group_feedback(
    rows: Sequence[tuple[datetime, str, str, int]], now: datetime, top: int = TOP
) -> list[FeedbackGroup]:
    """(time, intent, entities, helpful) rows → answers with "not helpful" votes, worst first."""
    groups: dict[tuple[str, str], FeedbackGroup] = {}
    unhelpful: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for moment, intent, entities, helpful in rows:
        key = (intent, entities)
        group = groups.setdefault(key, FeedbackGroup(intent, entities))
        if helpful:
            group.helpful += 1
        else:
            group.not_helpful += 1
            unhelpful[key].append(moment)
    found = [g for g in groups.values() if g.not_helpful]
    for group in found:
        group.trend = weekly(unhelpful[(group.intent, group.entities)], now)
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
        (aware(t), text, reason)
        for t, text, reason in session.execute(
            select(
                UnansweredQuestion.created_at, UnansweredQuestion.text, UnansweredQuestion.reason
            ).where(UnansweredQuestion.created_at >= since)
        )
    ]
    feedback = [
        (aware(t), intent, entities, helpful)
        for t, intent, entities, helpful in session.execute(
            select(Feedback.created_at, Feedback.intent, Feedback.entities, Feedback.helpful).where(
                Feedback.created_at >= since
            )
        )
    ]
    labels = [
        (week_start(now) - timedelta(weeks=n)).strftime("%d %b") for n in range(weeks - 1, -1, -1)
    ]
    return Insight(
        group_questions(questions, now),
        group_feedback(feedback, now),
        weekly((t for t, _, _ in questions), now, weeks),
        weekly((t for t, _, _, helpful in feedback if not helpful), now, weeks),
        labels,
    )
