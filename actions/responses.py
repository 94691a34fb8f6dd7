"""Domain responses rendered by an action in a language it chooses, as pure functions.

Rasa renders ``dispatcher.utter_message(response=…)`` against the tracker as it was *before*
the action's events, so an action that sets the ``language`` slot cannot have a response
in the new language rendered by Rasa in the same run (the disclosure at the start of a
conversation, the first reply after the language changed). Such actions render the
response's variation for that language here, from the domain they are given. Everything else
uses ``response=`` and Rasa's own choice of variation by the slot.
"""

from __future__ import annotations

from typing import Any


def _condition_language(variation: dict[str, Any]) -> str | None:
    for condition in variation.get("condition") or []:
        if condition.get("type") == "slot" and condition.get("name") == "language":
            return str(condition.get("value"))
    return None


def response_variation(domain: dict[str, Any], name: str, lang: str) -> dict[str, Any]:
    """The variation of response ``name`` for ``lang`` (KeyError if the domain has none)."""
    variations = (domain.get("responses") or {}).get(name) or []
    for variation in variations:
        if _condition_language(variation) == lang:
            return variation
    for variation in variations:  # a response without language variations
        if not variation.get("condition"):
            return variation
    raise KeyError(f"response {name!r} has no variation for language {lang!r}")


def render_response(domain: dict[str, Any], name: str, lang: str, **values: str) -> dict[str, Any]:
    """``text`` and ``buttons`` of the variation, with ``{placeholders}`` filled as Rasa fills
    them (``{{``/``}}`` are literal braces, as in the buttons' JSON payloads)."""
    variation = response_variation(domain, name, lang)
    message: dict[str, Any] = {"text": str(variation.get("text", "")).format(**values)}
    if variation.get("buttons"):
        message["buttons"] = [
            {"title": b["title"].format(**values), "payload": b["payload"].format(**values)}
            for b in variation["buttons"]
        ]
    return message


def response_text(domain: dict[str, Any], name: str, lang: str, **values: str) -> str:
    return str(render_response(domain, name, lang, **values)["text"])
