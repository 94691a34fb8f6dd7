"""Facts of the referral assessment that the user has already stated, as pure functions.

Patients often say everything at once: "I have numbness in my feet. I never had cancer and my
antibody test was negative. Who should I see?". The assessment must not then ask "Has the
person been diagnosed with cancer?". These functions read the user's messages (text plus the
KB entities Rasa found in them) and return what each says about the three facts of
:mod:`actions.referral`:

- ``cancer_history``: a named cancer or the words cancer / tumour / lymphoma …; past counts
  ("had breast cancer years ago" → True), negation ("never had cancer" → False), uncertainty
  or a search ("they are looking for a tumour", "could it be cancer?") → no fact;
- ``neuro_symptoms``: a symptom or syndrome entity (True), "no symptoms at all" or a negated
  symptom (False), gone symptoms ("the numbness went away") count as absent;
- ``antibodies_positive``: an antibody entity or "antibodies were positive" (True), "antibody
  test was negative" / "anti-Yo negative" (False), "never tested" / "results pending" (False:
  the assessment counts "not tested" as not found, like the answer "I don't know").

Questions are not statements: a fact is read only from the parts of a message that state
something ("my mum has breast cancer, can it cause PNS?" states the cancer; "can breast cancer
cause PNS?" states nothing). Later messages win over earlier ones.

English only; the Russian reading belongs next to it in its own functions (same contract).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

CANCER, SYMPTOMS, ANTIBODIES = "cancer_history", "neuro_symptoms", "antibodies_positive"


@dataclass(frozen=True)
class UserMessage:
    """One user message as the tracker has it: its text and Rasa's entities."""

    text: str
    entities: tuple[Mapping[str, Any], ...] = ()
    intent: str | None = None


@dataclass(frozen=True)
class Clause:
    """A stretch of a message between punctuation / "but" / "and", with its offsets."""

    start: int
    end: int
    text: str
    question: bool


# ------------------------------------------------------------------ clauses and questions
_SENTENCE = re.compile(r"[^.!?;\n]+[.!?;\n]*")
_CLAUSE_SPLIT = re.compile(r",|\bbut\b|\band\b(?= (?:i|my|he|she|they|we|his|her|our|their|it)\b)")
_QUESTION_START = re.compile(
    r"^\s*(?:so |and |but |also |then |ok |okay )?(?:can|could|does|do|did|is|are|was|were|what|"
    r"which|how|why|where|when|who|whom|whose|should|shall|would|will|might|may|am|has|have|"
    r"isn'?t|aren'?t|doesn'?t|don'?t|any ?one|anybody|tell me|explain|i wonder|wondering)\b",
    re.IGNORECASE,
)
_STATEMENT_START = re.compile(
    r"^\s*(?:i|i'?m|i'?ve|i'?d|my|me|we|we'?ve|our|he|he'?s|she|she'?s|his|her|they|they'?ve|"
    r"their|mum|mom|dad|father|mother|husband|wife|son|daughter)\b",
    re.IGNORECASE,
)


def clauses(text: str) -> list[Clause]:
    """The message split into clauses, each marked as a question or a statement.

    A clause is a question when it opens like one ("can …", "what …"), or when its sentence
    ends with "?" and the clause does not open with a person ("my mum has breast cancer,
    can it cause PNS?": the first clause is a statement, the second a question).
    """
    found: list[Clause] = []
    for sentence in _SENTENCE.finditer(text):
        asks = sentence.group().rstrip().endswith("?")
        pieces = _CLAUSE_SPLIT.split(sentence.group())
        offset = sentence.start()
        for piece in pieces:
            start = text.find(piece, offset)
            offset = start + len(piece)
            if not piece.strip():
                continue
            question = bool(_QUESTION_START.match(piece)) or (
                asks and not _STATEMENT_START.match(piece) and len(pieces) == 1
            )
            found.append(Clause(start, start + len(piece), piece, question))
    return found


# ------------------------------------------------------------------ words of each fact
_NEGATION = (
    r"\b(?:no|not|never|none|without|free of|neither|nor|ruled out|haven'?t|hasn'?t|hadn'?t|"
    r"didn'?t|doesn'?t|don'?t|isn'?t|wasn'?t|weren'?t|nobody|nothing|zero)\b"
)
_NEGATED_AFTER = re.compile(
    r"^[^,;]{0,30}?\b(?:negative|not found|not detected|ruled out|absent|clear|normal|"
    r"went away|gone|disappeared|resolved|no longer|any ?more|free|benign|non-?cancerous)\b",
    re.IGNORECASE,
)
# the user does not know, or it is still being looked for: not a stated fact
_UNCERTAIN = re.compile(
    r"\b(?:might|maybe|perhaps|possibly|suspect\w*|worried|afraid (?:of|that)|fear|scared|"
    r"checking for|looking for|search(?:ing)? for|screen(?:ing)? for|scan(?:ning)? for|"
    r"could (?:it|this|that) be|could be|may be|rule out|not sure (?:if|whether)|whether|"
    r"in the family|family history|runs in)\b",
    re.IGNORECASE,
)
# a cancer looked for, or someone else's: not the person's diagnosis
_CANCER_UNCERTAIN = re.compile(
    r"\b(?:check|test|screen|scan|examin|investigat|look)\w*\s+(?:\w+\s+)?for\b"
    r"|\b(?:died|passed away)\b",
    re.IGNORECASE,
)
_CANCER_WORDS = re.compile(
    r"\b(?:cancers?|tumou?rs?|malignan\w*|carcinomas?|lymphomas?|leuka?emia|sarcomas?|"
    r"oncolog\w*|chemo(?:therapy)?|radiotherapy|cancer survivor)\b",
    re.IGNORECASE,
)
_NO_SYMPTOMS = re.compile(
    r"\b(?:no|not any|without|free of|don'?t have any|doesn'?t have any|never had any|"
    r"hasn'?t got any|haven'?t got any|none of (?:the|these|those))\s+(?:\w+\s+){0,2}?"
    r"(?:symptoms?|signs?|nerve problems?|neurological problems?|complaints?|problems)\b"
    r"|\bsymptom[- ]free\b|\b(?:feel|feels|feeling) (?:fine|well|ok|okay|great|normal)\b"
    r"|\bno (?:symptoms|problems) at all\b",
    re.IGNORECASE,
)
_HAS_SYMPTOMS = re.compile(
    r"\b(?:has|have|having|had|got|with|developed|noticed)\s+(?:\w+\s+){0,2}?"
    r"(?:neurological|nerve|neuro)\s+(?:symptoms?|problems?|issues?)\b",
    re.IGNORECASE,
)
_ANTIBODY_WORDS = re.compile(
    r"\b(?:antibod(?:y|ies)|antibody test|antibody panel|paraneoplastic panel|onconeural|"
    r"antineuronal)\b",
    re.IGNORECASE,
)
_ANTIBODY_NOT_TESTED = re.compile(
    r"\b(?:never|not|haven'?t|hasn'?t|wasn'?t|weren'?t|nobody|no one|not yet)\b[^,;]{0,25}"
    r"\b(?:tested|checked|test(?:ed)? for|done)\b"
    r"|\b(?:waiting for|still waiting|pending|not back|not (?:in|ready) yet|don'?t know|"
    r"not sure|no idea)\b",
    re.IGNORECASE,
)
_ANTIBODY_NEGATIVE = re.compile(
    r"\b(?:negative|not found|not detected|nothing (?:found|was found|showed|came up)|"
    r"found nothing|showed nothing|clear|normal|no antibod(?:y|ies))\b",
    re.IGNORECASE,
)
_ANTIBODY_POSITIVE = re.compile(
    r"\b(?:positive|found|detected|flagged|showed|came back with|present|raised|high|elevated)\b"
    r"|\b(?:have|has|had|got|with)\s+(?:\w+\s+)?antibodies\b",
    re.IGNORECASE,
)
# "tested for anti-Hu" names an antibody without a result
_TESTED_FOR = re.compile(r"\b(?:test|check|screen|look)\w*\s+(?:\w+\s+)?for\b", re.IGNORECASE)

KB_KINDS = ("antibody", "syndrome", "symptom", "cancer", "test", "treatment")


def _negated(clause: str, start: int, end: int) -> bool:
    """Is the mention at ``clause[start:end]`` negated within its clause?"""
    before = clause[max(0, start - 45) : start]
    words_before = re.search(_NEGATION + r"(?:\W+\w+){0,4}\W*$", before, re.IGNORECASE)
    return bool(words_before or _NEGATED_AFTER.match(clause[end:]))


def _entities_in(message: UserMessage, clause: Clause) -> list[tuple[str, str, int, int]]:
    """``(kind, id, start, end)`` of the KB entities inside ``clause`` (clause offsets)."""
    found = []
    for entity in message.entities:
        kind, value = entity.get("entity"), entity.get("value")
        start = int(entity.get("start") or 0)
        end = int(entity.get("end") or start)
        if kind in KB_KINDS and value and clause.start <= start < clause.end:
            found.append((str(kind), str(value), start - clause.start, end - clause.start))
    return found


def clause_facts(message: UserMessage, clause: Clause) -> dict[str, bool]:
    """What one statement clause says about the three facts."""
    if clause.question:
        return {}
    text = clause.text
    facts: dict[str, bool] = {}
    uncertain = bool(_UNCERTAIN.search(text))
    entities = _entities_in(message, clause)

    # cancer: a named cancer, or the generic words (chemo and radiotherapy treat cancers)
    mentions = [(s, e) for kind, _, s, e in entities if kind == "cancer"]
    mentions += [m.span() for m in _CANCER_WORDS.finditer(text)]
    if mentions and not uncertain and not _CANCER_UNCERTAIN.search(text):
        facts[CANCER] = not all(_negated(text, s, e) for s, e in mentions)

    # neurological symptoms: a symptom or a diagnosed syndrome, or the generic words
    neuro = [(s, e) for kind, _, s, e in entities if kind in ("symptom", "syndrome")]
    if _NO_SYMPTOMS.search(text):
        facts[SYMPTOMS] = any(not _negated(text, s, e) for s, e in neuro)
    elif neuro and not uncertain:
        facts[SYMPTOMS] = not all(_negated(text, s, e) for s, e in neuro)
    elif _HAS_SYMPTOMS.search(text) and not re.search(_NEGATION, text, re.IGNORECASE):
        facts[SYMPTOMS] = True

    # antibodies: named ones, or "antibodies" with a result
    named = [(s, e) for kind, _, s, e in entities if kind == "antibody"]
    generic = list(_ANTIBODY_WORDS.finditer(text))
    if named or generic:
        if _ANTIBODY_NOT_TESTED.search(text):
            facts[ANTIBODIES] = False
        elif named and not uncertain:
            negated = all(_negated(text, s, e) for s, e in named)
            if negated or not _TESTED_FOR.search(text) or _ANTIBODY_POSITIVE.search(text):
                facts[ANTIBODIES] = not negated
        elif _ANTIBODY_NEGATIVE.search(text) or re.search(_NEGATION, text, re.IGNORECASE):
            facts[ANTIBODIES] = False
        elif _ANTIBODY_POSITIVE.search(text) and not uncertain:
            facts[ANTIBODIES] = True
    return facts


def message_facts(message: UserMessage) -> dict[str, bool]:
    """The facts one message states (later clauses win over earlier ones)."""
    facts: dict[str, bool] = {}
    for clause in clauses(message.text):
        facts.update(clause_facts(message, clause))
    return facts


def mentioned_items(message: UserMessage) -> list[str]:
    """``kind:id`` of cancers, symptoms, syndromes and antibodies the user reports having."""
    items: list[str] = []
    for clause in clauses(message.text):
        if clause.question or _UNCERTAIN.search(clause.text):
            continue
        for kind, value, start, end in _entities_in(message, clause):
            if kind in ("cancer", "symptom", "antibody") and not _negated(clause.text, start, end):
                item = f"{kind}:{value}"
                if item not in items:
                    items.append(item)
    return items


def history_facts(messages: Iterable[UserMessage]) -> dict[str, bool]:
    """Every fact stated in ``messages`` (oldest first); a later statement wins."""
    facts: dict[str, bool] = {}
    for message in messages:
        facts.update(message_facts(message))
    return facts


def user_messages(events: Sequence[Mapping[str, Any]]) -> list[UserMessage]:
    """The user messages among tracker events (pass ``tracker.applied_events()``).

    Button payloads ("/affirm") are skipped: they carry no words to read.
    """
    found = []
    for event in events:
        if event.get("event") != "user":
            continue
        text = str(event.get("text") or "")
        if not text or text.startswith("/"):
            continue
        parse = event.get("parse_data") or {}
        intent = (parse.get("intent") or {}).get("name")
        found.append(UserMessage(text, tuple(parse.get("entities") or ()), intent))
    return found
