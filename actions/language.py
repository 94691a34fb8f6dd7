"""Which language a conversation is in, decided from each message, as pure functions.

The assistant speaks Russian (``ru``, the clinic's language and the default) and English
(``en``); intents, entity ids and slots are the same in both. The conversation's language is
the categorical slot ``language``; :class:`actions.conversation.ActionSetLanguage` calls
:func:`choose_language` on every user message (see its docstring for where that runs).

What counts, in this order:

1. An explicit request: «по-русски», «на русском», "in English", "English please" (or the
   button payload ``/change_language{"language": "en"}``, read by the action); "change the
   language" without naming one switches to the other language.
2. The script of the letters: Cyrillic means Russian, Latin means English. Antibody names and
   abbreviations are written in Latin inside Russian text ("анти-Hu", "NMDA", "LGI1") and
   with «анти-» by some English writers, so they do not count; neither does a button payload
   (``/affirm``), a number ("112") or an emoji.
3. Nothing to go by: the conversation keeps its language; a conversation that has none yet
   takes the channel's hint (``metadata: {"lang": …}``: the widget's page language,
   Telegram's ``language_code``), else Russian.
"""

from __future__ import annotations

import re

RU, EN = "ru", "en"
LANGUAGES: tuple[str, ...] = (RU, EN)
DEFAULT_LANGUAGE = RU

# A word: letters of any script, joined by hyphens or apostrophes ("по-русски", "don't").
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*|\w+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-zA-Z\u00c0-\u024f]")
# Antibody names, written in either script in either language: "anti-Yo", "анти-Hu", and the
# names doctors write bare (ids of the DESIGN.md contract and common lab spellings).
_ANTI_PREFIX = re.compile(r"^(anti|анти)([-'’]|$)", re.IGNORECASE)
ANTIBODY_NAMES = frozenset(
    """hu yo ri cv crmp ma ta amphiphysin sox pca tr dner klhl ampar ampa gababr gaba gabab
    mglur vgcc p q pq nmdar nmda lgi caspr gad gabaar gabaa dppx glyr gfap achr vgkc
    zic recoverin iglon kelch""".split()
)


#: Names written in Latin letters in either language («в Telegram»): they show no language.
PRODUCT_NAMES = frozenset({"telegram", "vk", "vkontakte"})


def _is_name_or_abbreviation(word: str) -> bool:
    """A word that shows no language: an antibody name or a Latin-letter abbreviation."""
    if _ANTI_PREFIX.match(word) or any(ch.isdigit() for ch in word):
        return True
    if word.lower() in ANTIBODY_NAMES or word.lower() in PRODUCT_NAMES:
        return True
    # NMDA, LEMS, MRI, IVIG: Latin capitals are abbreviations (Cyrillic ones, ПНС or МРТ,
    # are only written by Russian speakers, so they count)
    return len(word) >= 2 and word.isupper() and not _CYRILLIC.search(word)


def script_language(text: str) -> str | None:
    """``ru`` or ``en`` by the letters of ``text``, or None when they do not show a language.

    Letters of names and abbreviations are left out; of the rest, the script with more
    letters wins ("Привет, what is LEMS" → en is not decided: a tie keeps the language).
    """
    if is_payload(text):
        return None
    cyrillic = latin = 0
    for word in _WORD.findall(text):
        if _is_name_or_abbreviation(word):
            continue
        cyrillic += len(_CYRILLIC.findall(word))
        latin += len(_LATIN.findall(word))
    if cyrillic > latin:
        return RU
    if latin > cyrillic:
        return EN
    return None


_ASK_RU = re.compile(
    r"по[- ]?русски|на русск(ом|ий|ого)|русск(ий|ом) язык|(in|to) russian\b|russian,? please"
    r"|russian,? (pls|plz)|speak russian\b"
)
_ASK_EN = re.compile(
    r"по[- ]?английски|на английск(ом|ий|ого)|английск(ий|ом) язык|(in|to) english\b"
    r"|english,? (please|pls|plz)|speak english\b|^english\W*$"
)
# "I don't speak English", «не понимаю по-английски»: the opposite of a request.
_REFUSE = re.compile(
    r"(don'?t|do not|can'?t|cannot|не) (speak|understand|read|говорю|понимаю|читаю)"
    r"( (in|по[- ]?))?[- ]?(english|russian|английски|русски)"
)


def requested_language(text: str) -> str | None:
    """The language the patient explicitly asks for, or None.

    «по-русски», «на русском», "in English", "English please"; a request for both
    languages at once, or a refusal ("I don't speak English") is not a request.
    """
    lowered = _REFUSE.sub(" ", text.lower().replace("’", "'"))
    ru, en = bool(_ASK_RU.search(lowered)), bool(_ASK_EN.search(lowered))
    if ru == en:
        return None
    return RU if ru else EN


#: Rasa's text for an intent triggered through its HTTP API (``UserUttered.create_external``).
EXTERNAL_PREFIX = "EXTERNAL: "


def is_payload(text: str) -> bool:
    """A button payload (``/affirm``, ``/give_feedback{…}``) or an intent triggered through
    Rasa's API (``EXTERNAL: greet``): not words the patient wrote."""
    stripped = text.strip()
    return stripped.startswith("/") or stripped.startswith(EXTERNAL_PREFIX)


def valid_language(value: object) -> str | None:
    """``value`` if it names a language of the assistant ("ru", "en", also "ru-RU"), else None."""
    if not isinstance(value, str):
        return None
    code = value.strip().lower().replace("_", "-").split("-", 1)[0]
    return code if code in LANGUAGES else None


# An unnamed switch must at least mention a language: a question the model wrongly took for
# change_language must not flip the conversation.
_MENTIONS_LANGUAGE = re.compile(r"язык|\blanguage\b|\blang\b", re.IGNORECASE)


def other_language(lang: str | None) -> str:
    return EN if valid_language(lang) == RU else RU


def choose_language(
    text: str,
    current: str | None,
    hint: object = None,
    requested: object = None,
    switch: bool = False,
) -> str:
    """The conversation's language after the message ``text``.

    ``current``: the language the conversation already has (None for its first message);
    ``hint``: the channel's ``metadata["lang"]``; ``requested``: a ``language`` entity of a
    button payload; ``switch``: the patient asked for another language without naming one
    ("change the language", «смени язык»: intent ``change_language``). The order is the
    module docstring's; an unnamed switch comes right after the named requests.
    """
    return (
        valid_language(requested)
        or (None if is_payload(text) else requested_language(text))
        or (
            other_language(current or valid_language(hint) or DEFAULT_LANGUAGE)
            if switch and _MENTIONS_LANGUAGE.search(text)
            else None
        )
        or script_language(text)
        or valid_language(current)
        or valid_language(hint)
        or DEFAULT_LANGUAGE
    )
