"""Is a stored conversation whole? Lost, duplicated and interleaved turns, from its events.

Used by the cluster tests on trackers read back from PostgreSQL after concurrent and
faulty traffic. A turn is a user event and what follows it up to the next user event;
it is whole when the assistant answered (a ``bot`` event) and went back to listening
(its last action is ``action_listen``) before the next user message was taken in.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ConversationCheck:
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    interleaved: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.interleaved)


def turns(events: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The events split at each user message (what comes before the first one is dropped)."""
    found: list[list[dict[str, Any]]] = []
    for event in events:
        if event.get("event") == "user":
            found.append([event])
        elif found:
            found[-1].append(event)
    return found


def check_conversation(
    events: Sequence[dict[str, Any]], sent: Iterable[str], unanswered_ok: Iterable[str] = ()
) -> ConversationCheck:
    """Compare the stored ``events`` with the texts that were ``sent`` (each once).

    ``unanswered_ok``: texts the patient got the "temporarily unavailable" reply to (an
    action server was down), whose turns hold no bot message in the tracker.
    """
    excused = set(unanswered_ok)
    result = ConversationCheck()
    conversation = turns(events)
    said = Counter(turn[0].get("text") for turn in conversation)
    result.lost = sorted(text for text in set(sent) if said[text] == 0)
    result.duplicated = sorted(text for text, count in said.items() if count > 1)
    for turn in conversation:
        actions = [e.get("name") for e in turn if e.get("event") == "action"]
        answered = any(e.get("event") == "bot" for e in turn)
        if (
            (not answered and turn[0].get("text") not in excused)
            or not actions
            or actions[-1] != "action_listen"
        ):
            result.interleaved.append(str(turn[0].get("text")))
    return result
