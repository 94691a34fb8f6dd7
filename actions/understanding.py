"""Reading patients' free-text answers, as pure functions.

Rasa gives us an intent and entities; these helpers add what a referral assessment needs on
top: whether an entity was *negated* ("anti-Yo negative", "never had cancer"), whether an
answer means yes, no or "I don't know", whether the user wants to stop, whether a message is a
follow-up that refers to the previous topic ("and how is it treated?"), and whether it contains
a red flag that must be treated as an emergency whatever the predicted intent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from kb.contract import ABOUT_PNS_INTENTS

YES, NO, UNKNOWN = "yes", "no", "unknown"

_WORD = re.compile(r"[a-z0-9']+")


def _norm(text: str) -> str:
    return " ".join(_WORD.findall(text.lower().replace("’", "'")))


_DONT_KNOW = re.compile(
    r"\b(i )?(do ?n'?t|dont|do not) know\b|\bnot sure\b|\bno idea\b|\bdunno\b|\bunsure\b|\bidk\b"
    r"|\b(never|not|haven'?t|havent|hasn'?t|hasnt) (been )?(tested|checked)\b|\bno tests?\b"
    r"|\bnot yet tested\b"
    r"|\bcan'?t remember\b|\bno clue\b"
)
_YES = re.compile(
    r"^(yes|yeah|yea|yep|yup|ya|yess+|sure|correct|right|true|indeed|of course|definitely"
    r"|absolutely|certainly"
    r"|affirmative|ok|okay|uh huh|i do|i have|i did|she does|he does|she has|he has|she did|he did"
    r"|they have"
    r"|it was|he was|she was|they were|we do|that's right|thats right)\b"
)
_NO = re.compile(
    r"^(no|nope|nah|never|not really|none|negative|i don'?t|i do not|she doesn'?t|he doesn'?t"
    r"|i haven'?t"
    r"|she hasn'?t|he hasn'?t|they haven'?t|i didn'?t|she didn'?t|he didn'?t|not at all)\b"
)
#: Button payloads of the yes/no questions (domain.yml utter_ask_*).
_PAYLOADS = {"/affirm": "yes", "/deny": "no"}

_STOP = re.compile(
    r"^(stop|cancel|quit|exit|enough|never ?mind|forget it)\b"
    r"|\b(stop|cancel|end) (the |these |this )?(questions|assessment|quiz|questionnaire)\b"
    r"|\bdon'?t want to (answer|continue|go on)\b|\bdo not want to (answer|continue)\b"
)

_NEGATION_BEFORE = re.compile(
    r"\b(no|not|never|without|negative for|free of|neither|nor|no sign of|no signs of|ruled out"
    r"|hasn'?t|haven'?t|didn'?t|doesn'?t|don'?t)\b(?:\s+\S+){0,3}\s*$"
)
_NEGATION_AFTER = re.compile(
    r"^\s*(\S+\s+){0,2}(negative|not found|not detected|ruled out|was negative|came back negative"
    r"|absent)\b"
)

_FOLLOW_UP = re.compile(
    r"^(and|also|what about|how about|and what about|and how|and is|and can|and what)\b"
    r"|\b(it|its|it's|this|that|these|those|they|them|their)\b"
)

# Red flags (docs/architecture.md): seizure that won't stop, can't breathe, stroke signs,
# unresponsive, suicidal. Phrased as happening now, so questions *about* a symptom in
# general ("can LEMS affect breathing?") do not trigger them.
_RED_FLAGS = re.compile(
    r"\b(can ?n?o?'?t|cannot|can not|unable to|struggling to|hard to|trouble|not) breath(e|ing)?\b"
    r"|\b(stopped|isn'?t|is not|not) breathing\b|\bgasping\b|\bchoking and can'?t\b"
    r"|\b(seizure|fit|convulsion|fitting|seizing)s?\b[^.!?]{0,30}\b(won'?t|will not|doesn'?t"
    r"|does not|not|wont|isn'?t) (stop|stopping|ending)\b"
    r"|\b(seizure|fit|convulsion)s?\b[^.!?]{0,20}\b(for|over|more than) (\d+|five|ten|several) min"
    r"|\b(face|mouth) (is )?(drooping|droops|dropped|fell)\b|\bface droop\b|\bhaving a stroke\b"
    r"|\bstroke right now\b"
    r"|\b(unresponsive|unconscious|passed out and|won'?t wake|can'?t wake|cannot wake|not waking"
    r"|not responding)\b"
    r"|\b(kill|killing|hurt|hurting|harm|harming) (myself|himself|herself)\b"
    r"|\bend (my|his|her) life\b"
    r"|\bsuicid(e|al)\b|\bwant to die\b|\bdon'?t want to (live|be alive)\b|\bbetter off dead\b"
)


def answer_kind(text: str) -> str | None:
    """YES, NO or UNKNOWN for an answer to a yes/no question, or None if it is not one.

    Decided by the words (or the button payload), never by the predicted intent alone:
    DIET can be confidently wrong on unusual text ("sdfkj" → affirm 0.98), and a wrong
    "yes" here would change medical advice. "I don't know" and "never tested" are UNKNOWN,
    which the assessment counts as not found.
    """
    if text.strip() in _PAYLOADS:
        return YES if _PAYLOADS[text.strip()] == "yes" else NO
    clean = _norm(text)
    if _DONT_KNOW.search(clean):
        return UNKNOWN
    if _YES.match(clean):
        return YES
    if _NO.match(clean):
        return NO
    return None


def wants_to_stop(text: str) -> bool:
    return bool(_STOP.search(_norm(text)))


def is_negated(text: str, start: int, end: int) -> bool:
    """Whether the entity at ``text[start:end]`` is negated ("no cancer", "Yo negative")."""
    lowered = text.lower().replace("’", "'")
    before = lowered[max(0, start - 40) : start]
    before = re.split(r"[.!?;]|\bbut\b", before)[-1]
    after = re.split(r"[.!?;,]|\bbut\b", lowered[end : end + 40])[0]
    return bool(_NEGATION_BEFORE.search(before) or _NEGATION_AFTER.search(after))


def is_follow_up(text: str) -> bool:
    """Does the message lean on the previous topic ("and how is it treated?")?"""
    return bool(_FOLLOW_UP.search(_norm(text)))


def has_red_flag(text: str) -> bool:
    return bool(_RED_FLAGS.search(text.lower().replace("’", "'")))


def resolve_follow_up(
    intent: str,
    entities: Sequence[tuple[str, str]],
    text: str,
    last_intent: str | None,
    last_entities: Iterable[tuple[str, str]],
) -> tuple[str, list[tuple[str, str]]]:
    """Fill a follow-up question from the previous knowledge question.

    Callers pass ``last_intent=None`` unless the previous message was that question: context
    does not survive other turns in between.

    - no entities and the message refers back ("how is it treated?") → the previous entities,
      except for questions about PNS in general;
    - "what about anti-Ri?" (new entity, "what about"/"and" opening) → the previous intent, so
      an antibody question stays an antibody question.
    """
    entities = list(entities)
    last_entities = list(last_entities)
    if not last_intent:
        return intent, entities
    opening = _norm(text)
    if not entities and last_entities and intent not in ABOUT_PNS_INTENTS and is_follow_up(text):
        return intent, last_entities
    if entities and re.match(r"^(and )?(what|how) about\b|^and\b", opening):
        return last_intent, entities
    return intent, entities
