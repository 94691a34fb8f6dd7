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

from actions.emergency import red_flag
from kb.contract import ABOUT_PNS_INTENTS

YES, NO, UNKNOWN = "yes", "no", "unknown"

# Words in either language: Latin and Cyrillic letters, digits, apostrophes.
_WORD = re.compile(r"[a-zа-я0-9']+")


def _norm(text: str) -> str:
    """Lower case, words only, one space between them; ’ → ' and ё → е (often typed as е)."""
    lowered = text.lower().replace("’", "'").replace("ё", "е")
    return " ".join(_WORD.findall(lowered))


def _alternatives(*parts: str) -> str:
    return "|".join(parts)


_DONT_KNOW = re.compile(
    _alternatives(
        # English
        r"\b(i )?(do ?n'?t|dont|do not) know\b",
        r"\bnot sure\b|\bno idea\b|\bdunno\b|\bunsure\b|\bidk\b|\bno clue\b|\bcan'?t remember\b",
        r"\b(never|not|haven'?t|havent|hasn'?t|hasnt) (been )?(tested|checked)\b",
        r"\b(nobody|no one|noone) (has |have )?(ever )?(tested|checked)\b",
        r"\bno tests?\b|\bnot yet tested\b|\bnever had (a|the|any) tests?\b",
        # Russian: «не знаю (точно)», «не уверена», «не помню», «не проверяли», «не сдавали»
        r"\bне ?знаю\b|\bне уверен[аы]?\b|\bне помню\b|\bбез понятия\b|\bпонятия не имею\b",
        r"\bхз\b|\b(трудно|сложно) сказать\b|\bкто ж?е? ?его знает\b",
        r"\bне (проверял[аи]?|проверяли|сдавал[аи]?|сдавали|делал[аи]?|делали|обследовал[аи]?"
        r"|тестировал[аи]?|смотрел[аи]?)\b",
        r"\b(анализ|анализы|тест) не (делали|сдавали|брали)\b|\bникто не (проверял|смотрел)\b",
    )
)
_YES = re.compile(
    _alternatives(
        r"^(yes|yeah|yea|yep|yup|ya|yess+|sure|correct|right|true|indeed|of course|definitely",
        r"absolutely|certainly|affirmative|ok|okay|uh huh|i do|i have|i did|she does|he does",
        r"she has|he has|she did|he did|they have|it was|he was|she was|they were|we do",
        r"that's right|thats right|sadly yes|unfortunately yes|sadly so|unfortunately so",
        r"i'?m afraid so|afraid so|i think so|i believe so|probably yes|i guess so)\b",
        # Russian, hedges included: «кажется да», «вроде да», «да, к сожалению», «увы, да»
        r"^(ну )?(да|ага|угу|конечно|разумеется|верно|точно|так и есть|есть|имеется"
        r"|был|была|было|были|болеет|болел|болела|ставили|находили|нашли)\b",
        r"^(к сожалению|увы|кажется|вроде|вроде бы|наверное|похоже|думаю|скорее всего)"
        r"( что)? (да|есть|был|была|было|были|ставили|находили|нашли)\b",
    )
)
_NO = re.compile(
    _alternatives(
        r"^(no|nope|nah|never|not really|none|negative|i don'?t|i do not|she doesn'?t",
        r"he doesn'?t|i haven'?t|she hasn'?t|he hasn'?t|they haven'?t|i didn'?t|she didn'?t",
        r"he didn'?t|not at all|not that i know( of)?|not as far as i know|i think not",
        r"probably not|fortunately not|nothing like that)\b",
        r"^(as far as i know|afaik),? (no|not|never|none)\b",
        # Russian: «нет», «вроде нет», «насколько я знаю, нет», «не было», «не думаю»
        r"^(ну )?(нет|неа|не|нету|никогда|ничего|отнюдь|отрицательн\w*)\b",
        r"^(к счастью|кажется|вроде|вроде бы|наверное|похоже|думаю|скорее всего"
        r"|насколько я знаю|насколько знаю|по моему)( что)? (нет|не)\b",
    )
)
#: Button payloads of the yes/no questions (domain.yml utter_ask_*): /affirm, /deny, and
#: /deny{"answer": "dont_know"} for "I don't know" / "never tested".
_PAYLOAD = re.compile(r"^/(affirm|deny)\s*(\{.*\})?$", re.DOTALL)
_PAYLOAD_UNKNOWN = re.compile(r'"answer"\s*:\s*"dont_know"')

_STOP = re.compile(
    _alternatives(
        r"^(stop|cancel|quit|exit|enough|never ?mind|forget it)\b",
        r"\b(stop|cancel|end) (the |these |this )?(questions|assessment|quiz|questionnaire)\b",
        r"\bdon'?t want to (answer|continue|go on)\b|\bdo not want to (answer|continue)\b",
        r"^(стоп|хватит|отмена|отменить|достаточно|прекрати\w*|остановись|закончим|перестань)\b",
        r"\bне (хочу|буду) (больше )?(отвечать|продолжать)\b",
        r"\b(хватит|прекратите|остановите|закончим) (с )?(вопрос\w*|опрос\w*)\b",
    )
)

_NEGATION_BEFORE = re.compile(
    r"\b(no|not|never|without|negative for|free of|neither|nor|no sign of|no signs of|ruled out"
    r"|hasn'?t|haven'?t|didn'?t|doesn'?t|don'?t"
    r"|не|нет|без|ни|никакого|никакой|никаких|отрицательн\w*)\b(?:\s+\S+){0,3}\s*$"
)
_NEGATION_AFTER = re.compile(
    r"^\s*(\S+\s+){0,2}(negative|not found|not detected|ruled out|was negative"
    r"|came back negative|absent"
    r"|не (обнаружен\w*|найден\w*|нашли|было|выявлен\w*|выявили)|нет|отрицательн\w*)\b"
)

_FOLLOW_UP = re.compile(
    r"^(and|also|what about|how about|and what about|and how|and is|and can|and what)\b"
    r"|\b(it|its|it's|this|that|these|those|they|them|their)\b"
    # Russian: «а как его лечат?», «а что насчёт анти-Ri?», «это опасно?»
    r"|^(а|и|также|еще|а что насчет|а как насчет|что насчет|как насчет)\b"
    r"|\b(это|этот|эта|эти|этого|этим|его|ее|их|него|нее|них|оно|она|они)\b"
)
#: "what about anti-Ri?" / «а что насчёт анти-Ri?»: a new entity asked about the same way.
_SAME_QUESTION = re.compile(r"^(and )?(what|how) about\b|^and\b|^а\b|^(а )?(что|как) насчет\b")


# ---------------------------------------------------------------- English everyday answers
# Hedged and qualified yes / no / "don't know" in everyday English, kept apart from the plain
# tables above (and from the Russian ones) so each language's words stay in one place.
# Checked before the plain tables: "not that I know of" must not fall to "know", "pretty sure
# not" must not read as "sure".
_EN_HEDGED_NO = re.compile(
    r"^(?:(?:i )?don'?t think so|i do not think so|(?:i )?doubt it|probably not|most likely not"
    r"|likely not|unlikely|(?:i'?m |i am )?(?:pretty |quite |fairly )?sure not|hopefully not"
    r"|i hope not|not that (?:i|we) (?:know|knew|remember|recall)(?: of)?|not as far as (?:i|we)"
    r" know|not to my knowledge|(?:i'?m |i am )?not aware of (?:any|it|that)|none that (?:i|we)"
    r" know of|(?:i )?wouldn'?t think so|i don'?t believe so|don'?t believe so|no not really"
    r"|nothing like that|nothing of the sort|(?:sadly|unfortunately|thankfully|luckily"
    r"|fortunately|happily|actually) (?:not|no|never|none)|absolutely not|definitely not"
    r"|certainly not|of course not|no way|never ever|i wish|not that (?:i|we)'?ve heard)\b"
)
_EN_HEDGED_YES = re.compile(
    r"^(?:(?:i )?think so|(?:i )?believe so|(?:i )?guess so|(?:i )?suppose so|probably"
    r"|most likely|very likely|likely|(?:i'?m |i am )?afraid so|(?:sadly|unfortunately|yes"
    r" sadly|yes unfortunately|apparently|i'?m afraid)(?: yes| so| she (?:did|has|does)| he"
    r" (?:did|has|does)| i (?:did|have|do)| they (?:did|have|do)| it (?:did|was|has))?|seems so"
    r"|it seems so|looks like it|(?:i'?m |i am )?(?:pretty |quite |fairly )?sure(?: it (?:is"
    r"|was|did))?|a (?:bit|little)|kind of|sort of|somewhat|sometimes|some|they did|they have"
    r"|they found (?:some|them|one|it)|(?:we|i) were told so|the doctor said so|yes"
    r" (?:i think|probably))\b"
)
_EN_UNKNOWN = re.compile(
    r"\b(?:nobody|no one|noone) (?:has )?(?:ever )?(?:tested|checked|told|asked|looked)"
    r"|\bnever (?:been )?(?:told|asked|tested|checked|looked)"
    r"|\b(?:they|doctors?|the doctors?|nobody) (?:never|didn'?t|did not|haven'?t|have not)"
    r" (?:test|check|look|do|did|say|tell)"
    r"|\b(?:wasn'?t|weren'?t|was not|were not|haven'?t been|hasn'?t been|not been) (?:tested"
    r"|checked|told)"
    r"|\b(?:haven'?t|hasn'?t|have not|has not|never) (?:had|done|got) (?:the|a|any|an)"
    r" (?:test|tests|blood test|antibody test)"
    r"|\b(?:can'?t|cannot) (?:say|tell)\b|\bhard to (?:say|tell)\b|^(?:who knows"
    r"|not certain|no clue|unknown|unclear|not yet|no results? yet|we'?ll see)\b"
    r"|\b(?:waiting for|still waiting|results? (?:are |is )?pending|not back yet"
    r"|(?:haven'?t|hasn'?t|have not|has not) (?:got|had|received) (?:the |any )?results?)"
    r"|\bnot sure\b|\bno idea\b|\bforgot\b|\bdon'?t remember\b|\bcan'?t recall\b"
)


def english_hedged_answer(clean: str) -> str | None:
    """YES, NO or UNKNOWN for a hedged English answer ("I don't think so", "yes, sadly",
    "nobody ever tested that", "not that I know of", "pretty sure not"), else None.

    ``clean`` is the :func:`_norm` form. Unknown first: "I'm not sure, probably not" and
    "nobody ever told us" do not state a fact.
    """
    if _EN_UNKNOWN.search(clean):
        return UNKNOWN
    if _EN_HEDGED_NO.match(clean):
        return NO
    if _EN_HEDGED_YES.match(clean):
        return YES
    return None


def answer_kind(text: str) -> str | None:
    """YES, NO or UNKNOWN for an answer to a yes/no question, or None if it is not one.

    Decided by the words (or the button payload), never by the predicted intent alone:
    DIET can be confidently wrong on unusual text ("sdfkj" → affirm 0.98), and a wrong
    "yes" here would change medical advice. "I don't know" and "never tested" are UNKNOWN,
    which the assessment counts as not found.
    """
    payload = _PAYLOAD.match(text.strip())
    if payload:
        if payload.group(1) == "affirm":
            return YES
        return UNKNOWN if _PAYLOAD_UNKNOWN.search(payload.group(2) or "") else NO
    clean = _norm(text)
    hedged = english_hedged_answer(clean)
    if hedged is not None:
        return hedged
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
    lowered = text.lower().replace("’", "'").replace("ё", "е")
    before = lowered[max(0, start - 40) : start]
    before = re.split(r"[.!?;]|\b(?:but|но|а)\b", before)[-1]
    after = re.split(r"[.!?;,]|\b(?:but|но|а)\b", lowered[end : end + 40])[0]
    return bool(_NEGATION_BEFORE.search(before) or _NEGATION_AFTER.search(after))


def is_follow_up(text: str) -> bool:
    """Does the message lean on the previous topic ("and how is it treated?")?"""
    return bool(_FOLLOW_UP.search(_norm(text)))


def has_red_flag(text: str) -> bool:
    """Kept for the callers of this module; the decision lives in :mod:`actions.emergency`."""
    return red_flag(text) is not None


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
    if entities and _SAME_QUESTION.match(opening):
        return last_intent, entities
    return intent, entities
