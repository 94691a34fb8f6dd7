"""Readability of patient texts: Flesch-Kincaid grade (English), Oborneva's Flesch (Russian).

Why: patients with frightening symptoms read these texts, often in a hurry; the project's rule
is a reading age of 12-14 (school grade 9 at most). A number per text, computed the same way
every time, lets reviewers find the hard texts and lets ``python -m kb validate`` refuse an
English text above grade 9 that has no written reason (``kb/content/readability.yml``).

The measures are deliberately the classic formulas, computed by pure functions:

- English: Flesch-Kincaid grade = 0.39·(words/sentences) + 11.8·(syllables/words) − 15.59,
  syllables counted by vowel groups with the usual silent-e and -le rules.
- Russian: Oborneva's adaptation of Flesch (Оборнева 2006): reading ease
  FRE = 206.835 − 1.3·(words/sentences) − 60.1·(syllables/words), and the grade
  0.5·(words/sentences) + 8.4·(syllables/words) − 15.59; a Russian syllable is a vowel.

A list item ("- steroids: ...") counts as a sentence: it is read as one. Placeholders such as
``{emergency_number}`` count as one short word (the number).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

#: The highest Flesch-Kincaid grade an English patient text may have without a written reason.
MAX_GRADE = 9.0

_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
_SENTENCE_END = re.compile(r"[.!?…]+(?=\s|$)|\n\s*[-•*]\s|\n\s*\d+\.\s|\n{2,}|:(?=[ \t]*\n)")
_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*", re.UNICODE)
_EN_VOWEL_GROUP = re.compile(r"[aeiouy]+")
_RU_VOWELS = re.compile(r"[аеёиоуыэюя]", re.IGNORECASE)


@dataclass(frozen=True)
class Counts:
    sentences: int
    words: int
    syllables: int

    @property
    def words_per_sentence(self) -> float:
        return self.words / self.sentences if self.sentences else 0.0

    @property
    def syllables_per_word(self) -> float:
        return self.syllables / self.words if self.words else 0.0


def english_syllables(word: str) -> int:
    """Vowel groups, minus a silent final e; at least one per word (numbers count as one)."""
    w = word.lower().strip("'’")
    if not w or not re.search(r"[a-z]", w):
        return 1
    count = len(_EN_VOWEL_GROUP.findall(w))
    if w.endswith("e") and not w.endswith(("le", "ee", "ye")) and count > 1:
        count -= 1
    if w.endswith(("ed", "es")) and not w.endswith(("ted", "ded", "ses", "zes", "ces", "ges")):
        count -= 1 if count > 1 else 0
    return max(1, count)


def russian_syllables(word: str) -> int:
    """Oborneva: one syllable per vowel; a word without vowels (a number) counts as one."""
    return max(1, len(_RU_VOWELS.findall(word)))


def sentences_of(text: str) -> list[str]:
    """Sentences, list items and paragraph-ending lines, each with at least one word."""
    text = _PLACEHOLDER.sub("112", text)
    parts = _SENTENCE_END.split("\n" + text.strip())
    return [p.strip() for p in parts if _WORD.search(p or "")]


def counts(text: str, lang: str) -> Counts:
    sentences = sentences_of(text)
    words = [w for s in sentences for w in _WORD.findall(s)]
    syllables = russian_syllables if lang == "ru" else english_syllables
    return Counts(len(sentences), len(words), sum(syllables(w) for w in words))


def flesch_kincaid_grade(text: str) -> float:
    """US school grade needed to read an English text (lower is easier)."""
    c = counts(text, "en")
    if not c.words:
        return 0.0
    return 0.39 * c.words_per_sentence + 11.8 * c.syllables_per_word - 15.59


def oborneva_reading_ease(text: str) -> float:
    """Oborneva's Flesch reading ease for Russian (higher is easier; 60-70 ≈ plain)."""
    c = counts(text, "ru")
    if not c.words:
        return 100.0
    return 206.835 - 1.3 * c.words_per_sentence - 60.1 * c.syllables_per_word


def oborneva_grade(text: str) -> float:
    """Oborneva's grade-level adaptation of Flesch-Kincaid for Russian (lower is easier)."""
    c = counts(text, "ru")
    if not c.words:
        return 0.0
    return 0.5 * c.words_per_sentence + 8.4 * c.syllables_per_word - 15.59


def grade(text: str, lang: str) -> float:
    """The grade of a text in its language (English: Flesch-Kincaid; Russian: Oborneva)."""
    return oborneva_grade(text) if lang == "ru" else flesch_kincaid_grade(text)


def needs_reason(text: str, reason: str | None, limit: float = MAX_GRADE) -> bool:
    """An English text above ``limit`` with no written reason is a content problem."""
    return flesch_kincaid_grade(text) > limit and not (reason or "").strip()


# --------------------------------------------------------------------------- the KB's texts

#: Texts shorter than this are labels or sentence templates ("Sources", "Typical symptoms:
#: {items}."), not prose a formula can judge.
MIN_WORDS = 10
#: Where the written reasons for English texts above :data:`MAX_GRADE` live (see below).
NOTES_FILE = "readability.yml"


@dataclass(frozen=True)
class Scored:
    ref: str
    lang: str
    grade: float
    reading_ease: float | None
    words: int


def seed_texts(content_dir: Path, lang: str) -> list[tuple[str, str]]:
    """``(item ref, text)`` of every patient text in the seed files of one language.

    English: ``kb/content``; Russian: the overlay ``kb/content/ru`` (same refs).
    """
    import yaml

    base = content_dir / "ru" if lang == "ru" else content_dir
    found: list[tuple[str, str]] = []
    answers = yaml.safe_load((base / "answers.yml").read_text(encoding="utf-8"))["answers"]
    found += [(f"answer:{a['intent']}", a["text"]) for a in answers if not a.get("entity")]
    for path in sorted((base / "entities").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for item in data["items"]:
            ref = f"{data['kind']}:{item['id']}"
            found.append((f"entity:{ref}", item["description"]))
            found += [(f"answer:{a['intent']}:{ref}", a["text"]) for a in item.get("answers") or []]
    phrases = yaml.safe_load((base / "phrases.yml").read_text(encoding="utf-8"))["phrases"]
    found += [(f"phrase:{key}", value["text"]) for key, value in phrases.items()]
    return found


def score(ref: str, text: str, lang: str) -> Scored:
    c = counts(text, lang)
    ease = oborneva_reading_ease(text) if lang == "ru" else None
    return Scored(ref, lang, round(grade(text, lang), 1), ease and round(ease, 1), c.words)


def load_notes(content_dir: Path) -> dict[str, str]:
    """Item ref → why the text may be harder than grade 9 (reviewed with the content).

    Why a file beside the items and not a field of each item: a new column would change the
    payload (and so the seed hash) of every item, and every seed item on every deployed
    database would then look edited by staff. The notes are keyed by the same item refs.
    """
    import yaml

    path = content_dir / NOTES_FILE
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(k): str(v) for k, v in (data.get("notes") or {}).items() if str(v).strip()}


def too_hard(
    texts: list[tuple[str, str]], notes: dict[str, str], limit: float = MAX_GRADE
) -> list[Scored]:
    """English texts above ``limit`` (and long enough to judge) without a written reason."""
    scored = [score(ref, text, "en") for ref, text in texts]
    return [s for s in scored if s.words >= MIN_WORDS and s.grade > limit and not notes.get(s.ref)]
