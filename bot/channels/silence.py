"""Was a turn without any answer meant to be silent? (Otherwise the patient is told to retry.)

The one deliberate silence is a conversation handed to a person (``request_human``
pauses it: the bot stays quiet until ``/restart``). Any other turn that produced no
message failed somewhere Rasa does not report to the channel — typically an action
server that could not be reached, which Rasa only logs.
"""
from __future__ import annotations

from typing import Any, Optional


async def silence_expected(agent: Optional[Any], sender_id: str) -> bool:
    """True if ``sender_id``'s conversation is paused (read back from the tracker store)."""
    if agent is None or getattr(agent, "tracker_store", None) is None:
        return False
    tracker = await agent.tracker_store.retrieve(sender_id)
    return tracker is not None and tracker.is_paused()
