"""Did a turn fail, and was a turn without any answer meant to be silent?

In both failure cases the patient is told to retry (:data:`bot.channels.texts.UNAVAILABLE`,
sent by :mod:`bot.channels.pipeline`) instead of getting silence or a misleading "Sorry,
I can't help with that".

The one deliberate silence is a conversation handed to a person (``request_human``
pauses it: the bot stays quiet until ``/restart``). Any other turn that produced no
message failed somewhere Rasa does not report to the channel — typically an action
server that could not be reached, which Rasa only logs.
"""

from __future__ import annotations

from typing import Any

#: Attribute set on a turn's output channel when one of its custom actions could not run.
FAILED_FLAG = "pns_action_failed"


def mark_turn_failed(output_channel: Any) -> None:
    """Called when a custom action of the turn failed (``bot.rasa_server`` wraps Rasa's call).

    Rasa only logs such a failure and goes on: with rule-based policies a failed action can
    lead to the core fallback's "Sorry, I can't help with that", which is not the truth
    when the action server is down. The output channel object is per message, so the flag
    reaches exactly the channel that handles this turn.
    """
    if output_channel is not None:
        setattr(output_channel, FAILED_FLAG, True)


def turn_failed(output_channel: Any) -> bool:
    """True if a custom action of the turn sent to ``output_channel`` could not run."""
    return bool(getattr(output_channel, FAILED_FLAG, False))


async def silence_expected(agent: Any | None, sender_id: str) -> bool:
    """True if ``sender_id``'s conversation is paused (read back from the tracker store)."""
    if agent is None or getattr(agent, "tracker_store", None) is None:
        return False
    tracker = await agent.tracker_store.retrieve(sender_id)
    return tracker is not None and tracker.is_paused()
