"""Fuzzy matching of KB terms: patients misspell medical words ("limbik encefalitis").

Pure Python, no spaCy: the spaCy component in ``nlu.spacy_components`` feeds it token norms.

How a misspelt word is compared with a KB word:
1. both are reduced to a *skeleton* that forgives the usual spelling confusions of medical
   words (ph/f, c/k, y/i, doubled letters, silent h, British ae/oe), so "encefalitis",
   "myastenic" and "plasmaferesis" equal the KB spelling outright;
2. otherwise the Damerau-Levenshtein distance of the skeletons must fit an edit budget that
   grows with word length (none below 5 letters: short words are too easy to confuse), and
   the first letter must agree (typos rarely change it; "diencephalitis" ≠ "encephalitis").

Candidates are found through a deletion-neighbourhood index (the SymSpell idea), so a message
is matched against thousands of patterns without comparing every pair.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

# Ordered rewrites; each makes two common spellings of the same sound identical.
_SKELETON_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"ph"), "f"),
    (re.compile(r"(?<=[bcdfgkmnprstvwxz])h"), ""),  # th→t, ch→c, rh→r, gh→g
    (re.compile(r"ae|oe"), "e"),
    (re.compile(r"ck|q|c"), "k"),
    (re.compile(r"z"), "s"),
    (re.compile(r"y"), "i"),
    (re.compile(r"(.)\1+"), r"\1"),  # doubled letters
)
MIN_SKELETON_LENGTH = 4  # shorter skeletons ("eg" for EEG, "egg") must match exactly
MIN_FUZZY_LENGTH = 5  # shorter skeletons may differ in spelling only, not by edits
MIN_SINGLE_WORD_LENGTH = 6  # a one-word term needs a longer skeleton to be matched by edits


def skeleton(word: str) -> str:
    """Lower-case consonant/vowel frame of ``word`` used for forgiving comparison."""
    out = word.lower()
    for pattern, repl in _SKELETON_RULES:
        out = pattern.sub(repl, out)
    return out


def edit_budget(length: int) -> int:
    """Edits allowed for a KB word whose skeleton has ``length`` letters."""
    if length < MIN_FUZZY_LENGTH:
        return 0
    return 1 if length < 10 else 2


def damerau_levenshtein(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance, or ``limit + 1`` as soon as it must exceed ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


def _deletions(word: str, depth: int) -> set[str]:
    """``word`` with up to ``depth`` letters removed (the deletion neighbourhood)."""
    found = {word}
    for k in range(1, min(depth, len(word) - 1) + 1):
        for idx in combinations(range(len(word)), k):
            found.add("".join(ch for n, ch in enumerate(word) if n not in idx))
    return found


@dataclass(frozen=True)
class Term:
    """One surface form of a KB entity, as the token norms the tokenizer produces."""

    label: str
    key: str
    tokens: tuple[str, ...]


@dataclass(frozen=True)
class FuzzyMatch:
    start: int
    end: int
    label: str
    key: str
    cost: float


class FuzzyMatcher:
    """Find KB terms in a token sequence allowing small spelling errors in each word."""

    def __init__(self, terms: Iterable[Term], protected: Iterable[str] = ()) -> None:
        """``protected``: correctly spelt ordinary words that must never be read as a typo."""
        self._terms: list[Term] = []
        self._by_first: dict[str, list[int]] = defaultdict(list)
        self._neighbours: dict[str, set[str]] = defaultdict(set)
        for term in terms:
            if not term.tokens or not any(
                len(skeleton(t)) >= MIN_SKELETON_LENGTH for t in term.tokens
            ):
                continue  # nothing in it is long enough to be matched fuzzily
            self._terms.append(term)
            first = skeleton(term.tokens[0])
            self._by_first[first].append(len(self._terms) - 1)
        for first in self._by_first:
            for key in _deletions(first, edit_budget(len(first))):
                self._neighbours[key].add(first)
        # Correctly spelt ordinary words are taken as written, never as a typo of a KB word.
        self._exact_only = {w.lower() for w in protected}

    def __len__(self) -> int:
        return len(self._terms)

    def token_cost(
        self, word: str, term_word: str, exact_only: Collection[str] = frozenset()
    ) -> float | None:
        """0 for the same norm, 0.5 for the same skeleton, the edit count within budget, else None.

        ``exact_only``: more words of this message to take as written (Russian: the words
        the dictionary knows), besides the matcher's protected words.
        """
        if word == term_word:
            return 0.0
        if (
            not word.isalpha()
            or not term_word.isalpha()
            or word in self._exact_only
            or word in exact_only
        ):
            return None
        a, b = skeleton(word), skeleton(term_word)
        if len(b) < MIN_SKELETON_LENGTH:
            return None
        if a == b:
            return 0.5
        budget = edit_budget(len(b))
        if budget == 0 or a[0] != b[0]:
            return None  # short words, or a different first letter (typos rarely change it)
        distance = damerau_levenshtein(a, b, budget)
        return float(distance) if distance <= budget else None

    def _first_candidates(self, word: str) -> set[str]:
        sk = skeleton(word)
        firsts: set[str] = set()
        for key in _deletions(sk, 2 if len(sk) >= 9 else 1):
            firsts |= self._neighbours.get(key, set())
        return firsts

    def matches_at(
        self, words: Sequence[str], start: int, exact_only: Collection[str] = frozenset()
    ) -> list[FuzzyMatch]:
        """Every term that fuzzily matches ``words`` from position ``start``."""
        found: list[FuzzyMatch] = []
        for first in self._first_candidates(words[start]):
            for idx in self._by_first[first]:
                term = self._terms[idx]
                end = start + len(term.tokens)
                if end > len(words):
                    continue
                total = 0.0
                for word, term_word in zip(words[start:end], term.tokens):
                    cost = self.token_cost(word, term_word, exact_only)
                    if cost is None:
                        break
                    total += cost
                else:
                    if total == 0:
                        continue  # an exact match is the entity ruler's job
                    if (
                        len(term.tokens) == 1
                        and total >= 1
                        and len(skeleton(term.tokens[0])) < MIN_SINGLE_WORD_LENGTH
                    ):
                        continue
                    found.append(FuzzyMatch(start, end, term.label, term.key, total))
        return found

    def find(
        self,
        words: Sequence[str],
        existing: Iterable[tuple[int, int]] = (),
        exact_only: Collection[str] = frozenset(),
    ) -> list[FuzzyMatch]:
        """Non-overlapping fuzzy matches, longest first; ties between two entities are dropped.

        ``existing`` spans (exact entities) win over fuzzy matches that overlap them, unless
        the fuzzy match is longer and contains them: in "stiff persn syndrome" the syndrome
        beats the exact symptom "stiff". The caller drops the contained exact spans.
        """
        spans = list(existing)

        def allowed(m: FuzzyMatch) -> bool:
            for s, e in spans:
                if (
                    s < m.end
                    and m.start < e
                    and not (m.start <= s and e <= m.end and e - s < m.end - m.start)
                ):
                    return False
            return True

        taken: set[int] = set()
        result: list[FuzzyMatch] = []
        for start in range(len(words)):
            if start in taken:
                continue
            options = [
                m
                for m in self.matches_at(words, start, exact_only)
                if not taken & set(range(m.start, m.end)) and allowed(m)
            ]
            if not options:
                continue
            best_len = max(m.end - m.start for m in options)
            longest = [m for m in options if m.end - m.start == best_len]
            best_cost = min(m.cost for m in longest)
            best = {(m.label, m.key): m for m in longest if m.cost == best_cost}
            if len(best) != 1:
                continue  # e.g. a typo one edit away from two different KB words
            match = next(iter(best.values()))
            result.append(match)
            taken.update(range(match.start, match.end))
        return result
