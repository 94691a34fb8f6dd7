"""Identifiers patients paste into a chat, found and replaced: the one home of these patterns.

Patients type or paste contact details and numbers from their documents: e-mail addresses,
phone numbers (Russian formats too: ``+7 (495) 123-45-67``, ``8 916 123 45 67``), SNILS
(``123-456-789 01``), the 16-digit OMS policy number, the Russian passport (4 + 6 digits),
dates (of birth, above all) and their name when they introduce themselves ("my name is …",
«меня зовут …», «я — …»). None of that is needed to answer, so none of it is kept: the same
patterns redact log lines (:mod:`bot.log_redaction`), the text stored in the tracker store
(:mod:`bot.tracker_store`), and the unanswered-question log (:mod:`kb.feedback`).

Everything here is a pure function. :func:`redaction_spans` works on the original text and
returns non-overlapping spans, so callers that keep character offsets (entities in Rasa's
parse data) can move them with :func:`shift_offset`.

The patterns prefer redacting too much over too little: a plain date or a long number is
replaced even when it is not an identifier (a diagnosis date, a lab value with 8+ digits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTHS_EN = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_MONTHS_RU = (
    r"январ[яь]|феврал[яь]|марта?|апрел[яь]|ма[яй]|июн[яь]|июл[яь]|августа?|сентябр[яь]"
    r"|октябр[яь]|ноябр[яь]|декабр[яь]"
)
#: A capitalised word (Latin or Cyrillic, hyphenated double names too): the shape of a name.
_CAP = r"[A-ZА-ЯЁ][a-zа-яё]+(?:-[A-ZА-ЯЁ][a-zа-яё]+)?"
_WORD = r"[A-Za-zА-ЯЁа-яё]+(?:-[A-Za-zА-ЯЁа-яё]+)?"
#: A further capitalised word of a name, unless it starts the next self-introduction
#: ("my name is Ann My name is Ann": the second "My" is not part of the first name).
_MORE = r"(?:\s+(?!(?i:my|i|i'm|this|call|меня|моё|мое|моя|зовут|я)\b)" + _CAP + ")"

#: (label, pattern) in priority order: earlier patterns win where matches overlap.
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("email", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    # SNILS: 11 digits, usually written 123-456-789 01
    ("snils", re.compile(r"(?<!\d)\d{3}[- ]?\d{3}[- ]?\d{3}[- ]\d{2}(?!\d)")),
    # OMS policy: 16 digits, sometimes in groups of four
    ("policy", re.compile(r"(?<!\d)\d{4}[- ]?\d{4}[- ]?\d{4}[- ]?\d{4}(?!\d)")),
    # Russian passport: series (4 digits, often 2 + 2) and number (6 digits)
    ("passport", re.compile(r"(?<!\d)\d{2} ?\d{2}(?: ?№)? ?\d{6}(?!\d)")),
    # dates: 12.03.1985, 12/3/85, 1985-03-12, 12 March 1985, 12 марта 1985 г.
    (
        "date",
        re.compile(
            r"(?<!\d)(?:\d{1,2}[./-]\d{1,2}[./-](?:19|20)?\d{2}|(?:19|20)\d{2}-\d{1,2}-\d{1,2})(?!\d)"
            rf"|(?i:\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS_EN}|{_MONTHS_RU})\.?,?\s+(?:19|20)\d{{2}})"
            rf"|(?i:\b(?:{_MONTHS_EN})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19|20)\d{{2}})"
        ),
    ),
    # any other phone-like run of digits (also +7 (495) 123-45-67 and 8 800 555 35 35)
    ("number", re.compile(r"\+?\d[\d\s().-]{6,}\d")),
    # a self-introduced name: the lead-in is kept, the name is replaced
    (
        "name",
        re.compile(
            r"(?:(?i:\bmy name is|\bmy name's|\bi am called|\bi'm called"
            r"|\bменя зовут|\bмоё имя|\bмое имя|\bмоя фамилия|\bзовут меня)\s+)"
            rf"({_WORD}{_MORE}{{0,2}})"
            rf"|(?:(?i:\bя)\s*[—–-]\s*)({_CAP}{_MORE}{{0,2}})"
            rf"|(?:(?i:\bi am|\bi'm|\bthis is)\s+)({_CAP}{_MORE}{{1,2}})"
            rf"|(?:(?i:\bcall me)\s+)({_CAP}{_MORE}{{0,2}})"
        ),
    ),
)
#: What a redacted identifier becomes in stored text.
PLACEHOLDER: dict[str, str] = {label: f"[{label}]" for label, _ in PATTERNS}
LABELS: tuple[str, ...] = tuple(label for label, _ in PATTERNS)


@dataclass(frozen=True)
class Span:
    """``text[start:end]`` of the original text is replaced by ``replacement``."""

    start: int
    end: int
    replacement: str


def _match_span(label: str, match: re.Match[str]) -> Span:
    """The part of a match to replace: for names only the name, not "my name is"."""
    if label == "name":
        group = next(g for g in range(1, (match.re.groups or 0) + 1) if match.group(g))
        return Span(match.start(group), match.end(group), PLACEHOLDER[label])
    return Span(match.start(), match.end(), PLACEHOLDER[label])


def redaction_spans(text: str) -> list[Span]:
    """Where ``text`` holds identifiers, as sorted non-overlapping spans of the original."""
    taken: list[Span] = []
    for label, pattern in PATTERNS:
        # Searched in the gaps the earlier patterns left, not over the whole text: a greedy
        # phone-like run that reaches into a SNILS must still redact its own part
        # ("+7(000) 000-00-00) 000-000-000 00"), not be dropped as an overlap.
        found: list[Span] = []
        for start, end in _gaps(taken, len(text)):
            for match in pattern.finditer(text, start, end):
                span = _match_span(label, match)
                if span.end > span.start:
                    found.append(span)
        taken = sorted(taken + found, key=lambda s: s.start)
    return taken


def _gaps(taken: list[Span], length: int) -> list[tuple[int, int]]:
    """The stretches of a text of ``length`` characters outside the sorted ``taken`` spans."""
    gaps, pos = [], 0
    for span in taken:
        if span.start > pos:
            gaps.append((pos, span.start))
        pos = max(pos, span.end)
    if pos < length:
        gaps.append((pos, length))
    return gaps


def apply_spans(text: str, spans: list[Span]) -> str:
    out, pos = [], 0
    for span in spans:
        out.append(text[pos : span.start])
        out.append(span.replacement)
        pos = span.end
    out.append(text[pos:])
    return "".join(out)


def redact(text: str) -> str:
    """``text`` with every identifier replaced by its placeholder (``[email]``, ``[name]`` …)."""
    return apply_spans(text, redaction_spans(text))


def shift_offset(spans: list[Span], offset: int) -> int | None:
    """Where character ``offset`` of the original text is in the redacted text.

    None when it falls inside a redacted span (the character no longer exists).
    """
    delta = 0
    for span in spans:
        if offset < span.start:
            break
        if offset < span.end:
            return None
        delta += len(span.replacement) - (span.end - span.start)
    return offset + delta
