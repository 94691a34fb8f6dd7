"""kb.redaction: the identifiers removed from stored text (pure functions, table-tested)."""

from __future__ import annotations

import pytest

from kb.redaction import apply_spans, redact, redaction_spans, shift_offset


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to anna.k@mail.ru please", "write to [email] please"),
        ("СНИЛС 123-456-789 01", "СНИЛС [snils]"),
        ("полис ОМС 1234 5678 9012 3456", "полис ОМС [policy]"),
        ("паспорт 45 06 123456", "паспорт [passport]"),
        ("born 12.03.1985", "born [date]"),
        ("родился 12 марта 1985 г.", "родился [date] г."),
        ("born March 12, 1985", "born [date]"),
        ("call +7 (495) 123-45-67", "call [number]"),
        ("звоните 8 916 123 45 67", "звоните [number]"),
        ("my name is Anna Petrova", "my name is [name]"),
        ("меня зовут Ольга", "меня зовут [name]"),
        ("я — Иван Сидоров", "я — [name]"),
        ("call me Sam", "call me [name]"),
        # a second self-introduction is not taken as part of the first name
        ("my name is Aaa My name is Aaa and", "my name is [name] My name is [name] and"),
        ("меня зовут Ольга Меня зовут Ольга", "меня зовут [name] Меня зовут [name]"),
        # a greedy phone-like run reaching into a SNILS: both are still redacted
        ("feet (+7(000) 000-00-00) 000-000-000 00 and", "feet ([number]) [snils] and"),
        ("+7(000) 000-00-00 000-000-000 00", "[number] [snils]"),
        ("what is anti-Yo?", "what is anti-Yo?"),
        ("I'm 54 and my CK is 300", "I'm 54 and my CK is 300"),
        ("", ""),
    ],
)
def test_identifiers_are_replaced_and_the_rest_kept(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_spans_are_sorted_and_do_not_overlap() -> None:
    text = "mail a@b.ru, tel +7(000) 000-00-00 000-000-000 00, born 01.02.1960"
    spans = redaction_spans(text)
    assert [s.start for s in spans] == sorted(s.start for s in spans)
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))
    assert apply_spans(text, spans) == redact(text)


def test_offsets_move_with_the_redaction_and_vanish_inside_it() -> None:
    text = "tel 8 916 123 45 67 and LEMS"
    spans = redaction_spans(text)
    lems = text.index("LEMS")
    assert redact(text)[shift_offset(spans, lems) :] == "LEMS"
    assert shift_offset(spans, text.index("916")) is None
