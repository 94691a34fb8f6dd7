"""Red-flag screening: the one place that decides a message describes an emergency *now*.

Why one home: a patient who writes "my husband is fitting and it won't stop" must get "call
112" whatever the intent classifier thought the message was (a greeting, "yes", out of scope,
a low-confidence guess, an answer inside the referral form). The screening therefore runs in
the message path itself (:class:`nlu.red_flags.RedFlagScreen`, a Rasa NLU component every
message of every channel passes through) and turns a flagged message into ``report_emergency``;
the emergency action then calls :func:`red_flag` again on the same text to say *which* advice
fits. Both use the pure functions below, tested exhaustively in ``tests/test_emergency.py``.

Phrased as happening now, so questions *about* a symptom ("can LEMS affect breathing?") and
negations ("no seizures", «судорог нет») do not trigger; a false alarm costs one unneeded
"call 112", a missed one can cost a life, so doubtful present-tense reports do trigger.

Kinds (each has its own KB phrase ``emergency.<kind>`` and falls back to the general advice):

========================  ==============================================================
``breathing``             cannot breathe, choking, breathing or swallowing failing
``seizure``               seizure that will not stop / > 5 min / repeated without waking /
                          first seizure / injured in a seizure
``stroke``                face drooping, sudden one-sided weakness or speech loss, sudden
                          vertigo or imbalance with double vision or slurred speech
``unresponsive``          unconscious, cannot be woken
``suicidal``              wants to die, to harm or kill themselves
``spinal_cord``           new leg weakness with urine retention (possible cord compression)
``infection``             fever while on immunosuppressants or chemotherapy
``meningitis``            fever with headache and confusion (or a stiff neck)
========================  ==============================================================
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

BREATHING = "breathing"
SEIZURE = "seizure"
STROKE = "stroke"
UNRESPONSIVE = "unresponsive"
SUICIDAL = "suicidal"
SPINAL_CORD = "spinal_cord"
INFECTION = "infection"
MENINGITIS = "meningitis"
#: In order of priority: the first kind found decides the advice.
KINDS: tuple[str, ...] = (
    BREATHING,
    SEIZURE,
    UNRESPONSIVE,
    STROKE,
    SUICIDAL,
    SPINAL_CORD,
    MENINGITIS,
    INFECTION,
)
#: The intent a flagged message is given, whatever the classifier said (domain rules answer it).
EMERGENCY_INTENT = "report_emergency"


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.UNICODE)


def normalise(text: str) -> str:
    """Lower case, one apostrophe, ё as е, single spaces: what the patterns are written for."""
    text = text.lower().replace("’", "'").replace("`", "'").replace("ё", "е")
    return " ".join(text.split())


# --------------------------------------------------------------------------- negation

#: A cue before a finding in the same clause that negates it ("no fever", "he is not
#: unconscious", «нет температуры», «не теряла сознание»).
_NEG_BEFORE = _rx(
    r"(?:\b(?:no|not|never|without|neither|nor|denies|don'?t|doesn'?t|didn'?t|isn'?t|wasn'?t"
    r"|hasn'?t|haven'?t|aren'?t|free of)\b|(?:^|\s)(?:нет|не|ни|без|отсутствует)(?=\s))"
    r"(?:\s+\S+){0,2}\s*$"
)
#: A cue right after the finding ("seizures: none", «судорог нет», «температуры не было»).
_NEG_AFTER = _rx(
    r"^\s*(?:[:\-—]\s*)?(?:none|no|not any|нет|не был\w*|не бывает|не бывало|отсутству\w*)\b"
)
_CLAUSE_END = _rx(r"[.!?;]|\bbut\b|\bно\b|\bа\b|,\s*(?:and|и)\b")


def _negated(text: str, start: int, end: int) -> bool:
    before = _CLAUSE_END.split(text[max(0, start - 60) : start])[-1]
    after = _CLAUSE_END.split(text[end : end + 30])[0]
    return bool(_NEG_BEFORE.search(before) or _NEG_AFTER.search(after))


# --------------------------------------------------------------------------- patterns

_NOW_EN = r"(?:can'?t|cannot|can not|unable to|struggling to|hard to|trouble|not able to)"
_SEIZ_EN = r"(?:seizure|seizing|fit|fitting|convulsion|convulsing|epileptic attack)s?"
_SEIZ_RU = r"(?:приступ\w*|судорог\w*|припад\w*|судорож\w*|эпиприступ\w*|бьется в судорогах)"

#: kind -> patterns (English and Russian). Every match is checked for negation.
_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    BREATHING: (
        _rx(rf"\b{_NOW_EN} (?:to )?(?:breathe|breath|breathing|catch (?:my|his|her) breath)\b"),
        _rx(r"\b(?:stopped|isn'?t|is not|not|struggling|trouble|difficulty) breathing\b"),
        _rx(r"\bgasping\b|\bturning blue\b|\blips? (?:are |is )?(?:going |turning )?blue\b"),
        _rx(r"\bchoking\b[^.!?]{0,25}\b(?:can'?t|cannot|not) (?:breathe|speak|cough)\b"),
        _rx(rf"\b{_NOW_EN} (?:to )?swallow\b[^.!?]{{0,40}}\b(?:saliva|spit|anything|at all|water)"),
        _rx(r"\bweak\w*\b[^.!?]{0,40}\b(?:breathe|breathing|swallow\w*)\b"),
        _rx(r"(?:не могу|не может|трудно|тяжело|нечем|не получается|перестал\w*) дышать"),
        _rx(r"\bзадыха\w*|\bне дышит\b|\bсинеют губы\b|\bпосинел\w*"),
        _rx(r"(?:подавил\w*|поперхнул\w*)[^.!?]{0,30}(?:не может|не могу) (?:дышать|вдохнуть)"),
        _rx(r"(?:не могу|не может) (?:глотать|проглотить) (?:даже )?(?:слюну|воду|ничего)"),
        _rx(r"слабост\w*[^.!?]{0,40}(?:дыш\w*|глот\w*)"),
    ),
    UNRESPONSIVE: (
        _rx(r"\b(?:unresponsive|unconscious|not responding|won'?t wake|can'?t wake|cannot wake)"),
        _rx(r"\b(?:not waking|won'?t respond|passed out and (?:won'?t|isn'?t|is not|can'?t))"),
        _rx(r"без сознания|потерял\w* сознание|не приходит в себя|не просыпается"),
        _rx(r"не могу (?:его|ее|её) разбудить|не реагирует"),
    ),
    SEIZURE: (
        _rx(
            rf"\b{_SEIZ_EN}\b[^.!?]{{0,30}}\b(?:won'?t|will not|doesn'?t|does not|isn'?t|is not"
            rf"|not) (?:stop|stopping|ending|end)\b"
        ),
        _rx(
            rf"\b{_SEIZ_EN}\b[^.!?]{{0,25}}\b(?:for|over|more than|longer than) "
            r"(?:\d+|five|ten|several|a few) min"
        ),
        _rx(
            rf"\b(?:one|a) {_SEIZ_EN}? ?after (?:another|the other)\b|\bback[- ]to[- ]back "
            rf"{_SEIZ_EN}"
        ),
        _rx(
            rf"\b{_SEIZ_EN}\b[^.!?]{{0,40}}\b(?:without|not) (?:waking|coming round|coming to"
            r"|regaining)"
        ),
        _rx(rf"\bfirst (?:ever )?{_SEIZ_EN}\b|\b{_SEIZ_EN} for the first time\b"),
        _rx(
            rf"\b(?:is|he'?s|she'?s|they'?re|i'?m|are) (?:having|in) (?:a |an )?{_SEIZ_EN}"
            r"(?! (?:before|last|in the past|yesterday))"
        ),
        _rx(
            rf"\b(?:hit|hurt|injured|banged|cut) (?:his|her|their|my) \w+[^.!?]{{0,30}}"
            rf"\b{_SEIZ_EN}\b|\b{_SEIZ_EN}\b[^.!?]{{0,30}}\b(?:hit|hurt|injured|banged) "
            r"(?:his|her|their|my)"
        ),
        _rx(
            rf"{_SEIZ_RU}[^.!?]{{0,30}}(?:не прекраща\w*|не проход\w*|не останавлива\w*"
            r"|не заканчива\w*)"
        ),
        _rx(rf"{_SEIZ_RU}[^.!?]{{0,30}}(?:больше|дольше|уже) (?:\d+|пяти|пять|десяти) мин"),
        _rx(rf"{_SEIZ_RU}[^.!?]{{0,15}}(?:один за другим|подряд|друг за другом)"),
        _rx(rf"(?:первый|впервые)[^.!?]{{0,20}}{_SEIZ_RU}|{_SEIZ_RU}[^.!?]{{0,15}}впервые"),
        _rx(
            rf"(?:сейчас|у него|у нее|у неё|у меня|у мамы|у папы|у мужа|у жены|у ребенка)"
            rf"[^.!?]{{0,20}}{_SEIZ_RU}[^.!?]{{0,20}}(?:сейчас|прямо сейчас)"
        ),
        _rx(r"(?:бьется|бьётся|трясет|трясёт) в судорогах"),
    ),
    STROKE: (
        _rx(
            r"\b(?:face|mouth|smile) (?:is |has )?(?:drooping|droops|dropped|fallen|fell"
            r"|lopsided)\b|\bface droop\b"
        ),
        _rx(r"\b(?:having|had) a stroke\b(?! (?:years?|months?) ago)|\bstroke right now\b"),
        _rx(
            r"\bsudden\w*\b[^.!?]{0,40}\b(?:can'?t|cannot|unable to) "
            r"(?:move|lift|speak|talk|see)\b"
        ),
        _rx(
            r"\bsudden\w*\b[^.!?]{0,40}\b(?:weak|numb|paraly[sz]ed|slurr\w*|droop\w*)"
            r"[^.!?]{0,30}\b(?:one side|left side|right side|arm|leg|face|speech|words)\b"
        ),
        _rx(
            r"\b(?:one side|left side|right side) of (?:his|her|my|their) (?:body|face) "
            r"(?:is |went |has gone )?(?:numb|weak|paraly[sz]ed|droop\w*)"
        ),
        _rx(
            r"\bsudden\w*\b[^.!?]{0,40}\b(?:vertigo|dizz\w*|spinning|lost (?:my|his|her) "
            r"balance|loss of balance)\b[^.!?]{0,60}\b(?:double vision|seeing double"
            r"|slurr\w*|can'?t speak|can'?t walk)"
        ),
        _rx(
            r"\b(?:vertigo|dizz\w*|spinning|loss of balance)\b[^.!?]{0,40}\b(?:double vision"
            r"|seeing double|slurr\w*)\b[^.!?]{0,30}\bsudden\w*"
        ),
        _rx(r"(?:перекосило|перекошено|опустился угол) (?:лицо|рта|губ)|лицо перекосило"),
        _rx(
            r"\bинсульт\b[^.!?]{0,20}(?:сейчас|прямо сейчас|похоже|кажется)"
            r"|(?:похоже|кажется)[^.!?]{0,20}\bинсульт"
        ),
        _rx(
            r"внезапн\w*[^.!?]{0,40}(?:онемел\w*|отнял\w*|ослаб\w*|не двига\w*|не может "
            r"говорить|речь|не шевел\w*)"
        ),
        _rx(
            r"внезапн\w*[^.!?]{0,40}(?:головокружени\w*|кружится голова|потерял\w* равновесие)"
            r"[^.!?]{0,60}(?:двоени\w*|двоится|невнятн\w*|речь)"
        ),
    ),
    SUICIDAL: (
        _rx(r"\b(?:kill|killing|hurt|hurting|harm|harming) (?:myself|himself|herself|themselves)"),
        _rx(
            r"\bend (?:my|his|her) life\b|\bsuicid(?:e|al)\b|\bwant to die\b"
            r"|\bdon'?t want to (?:live|be alive)\b|\bbetter off dead\b"
        ),
        _rx(
            r"покончить с собой|самоубийств\w*|суицид\w*|не хочу жить|хочу умереть"
            r"|убить себя|навредить себе|причинить себе вред"
        ),
        # in danger from their own actions right now (a window, a balcony, a bridge)
        _rx(
            r"\b(?:trying|tried|tries|wants?|wanted|going|threaten\w*|about) to (?:jump|throw "
            r"(?:himself|herself|myself|themselves))\b|\bjump\w* (?:out of|off|from) (?:the |a )?"
            r"(?:window|balcony|roof|bridge)"
        ),
        _rx(
            r"(?:пыта\w*|хоч\w*|хоте\w*|собира\w*|пробова\w*|гроз\w*|рв[её]тся)"
            r"[^.!?]{0,10}(?:выпрыгнуть|спрыгнуть|выброситься|броситься)"
            r"|(?:выпрыгну\w*|выброс\w*) (?:в|из) окн\w*|(?:с|из) балкона? (?:прыгн|выпрыгн)\w*"
        ),
    ),
    SPINAL_CORD: (
        _rx(
            r"\b(?:legs?|both legs)\b[^.!?]{0,40}\b(?:weak\w*|numb|giving way|gave way"
            r"|can'?t (?:walk|stand|move))\b[^.!?]{0,80}\b(?:can'?t (?:pee|urinate|pass urine)"
            r"|cannot (?:pee|urinate|pass urine)|urinary retention|bladder)"
        ),
        _rx(
            r"\b(?:can'?t (?:pee|urinate|pass urine)|cannot (?:pee|urinate|pass urine)"
            r"|urinary retention)\b[^.!?]{0,80}\b(?:legs?)\b[^.!?]{0,30}\b(?:weak\w*|numb"
            r"|giving way)"
        ),
        _rx(
            r"(?:ног\w*)[^.!?]{0,40}(?:слаб\w*|онемел\w*|отказыва\w*|подкашива\w*|не держат)"
            r"[^.!?]{0,80}(?:не могу помочиться|не может помочиться|задержк\w* мочи"
            r"|не мочится)"
        ),
        _rx(
            r"(?:не могу помочиться|не может помочиться|задержк\w* мочи)[^.!?]{0,80}"
            r"(?:ног\w*)[^.!?]{0,30}(?:слаб\w*|онемел\w*|отказыва\w*|не держат)"
        ),
    ),
    MENINGITIS: (
        _rx(
            r"\b(?:fever|temperature|high temp)\b(?=[^.!?]{0,80}\b(?:headache|stiff neck)\b)"
            r"(?=[^.!?]{0,120}\b(?:confus\w*|drowsy|not making sense|delirious|stiff neck)\b)"
        ),
        _rx(
            r"\b(?:headache|stiff neck)\b(?=[^.!?]{0,80}\b(?:fever|temperature)\b)"
            r"(?=[^.!?]{0,120}\b(?:confus\w*|drowsy|not making sense|delirious)\b)"
        ),
        _rx(
            r"(?:температур\w*|жар\b)(?=[^.!?]{0,80}(?:головн\w* бол\w*|болит голова"
            r"|ригидн\w*|затылочн\w*))(?=[^.!?]{0,120}(?:спутан\w*|заговарива\w*|бред\w*"
            r"|не сообража\w*|сонлив\w*))"
        ),
        _rx(
            r"(?:головн\w* бол\w*|болит голова)(?=[^.!?]{0,80}(?:температур\w*|жар\b))"
            r"(?=[^.!?]{0,120}(?:спутан\w*|заговарива\w*|бред\w*|не сообража\w*))"
        ),
    ),
    INFECTION: (
        _rx(
            r"\b(?:fever|high temperature|temperature of 3[89]|chills|shivering)\b"
            r"(?=[^.!?]{0,100}\b(?:rituximab|cyclophosphamide|steroids?|prednis\w+|chemo\w*"
            r"|immunosuppress\w*|azathioprine|mycophenolate)\b)"
        ),
        _rx(
            r"\b(?:rituximab|cyclophosphamide|steroids?|prednis\w+|chemo\w*|immunosuppress\w*"
            r"|azathioprine|mycophenolate)\b(?=[^.!?]{0,100}\b(?:fever|high temperature"
            r"|temperature of 3[89]|chills|shivering)\b)"
        ),
        _rx(
            r"(?:температур\w*|жар\b|озноб\w*|лихорад\w*)(?=[^.!?]{0,100}(?:ритуксимаб\w*"
            r"|циклофосфамид\w*|стероид\w*|гормон\w*|преднизолон\w*|химиотерап\w*|химии\b"
            r"|иммуносупресс\w*|азатиоприн\w*))"
        ),
        _rx(
            r"(?:ритуксимаб\w*|циклофосфамид\w*|стероид\w*|преднизолон\w*|химиотерап\w*"
            r"|химии\b|иммуносупресс\w*|азатиоприн\w*)(?=[^.!?]{0,100}(?:температур\w*|жар\b"
            r"|озноб\w*|лихорад\w*))"
        ),
    ),
}

#: Questions *about* a symptom are not reports of one ("what if a seizure lasts more than 5
#: minutes?", «что делать, если приступ не прекращается?»): they get the knowledge answer,
#: which itself names the emergency number.
_HYPOTHETICAL = _rx(
    r"^(?:what|when|how|should|is it|does|do|can|could|would)\b[^.!]*\b(?:if|when)\b"
    r"|^(?:что делать|когда|нужно ли|надо ли|стоит ли)\b[^.!]*\b(?:если|когда)\b"
)


#: Co-occurrence kinds (fever + a medicine, fever + headache) also match questions *about*
#: the link ("does rituximab cause fever?"); a question is not a report for these kinds.
_QUESTION = _rx(
    r"^(?:does|do|can|could|is|are|will|would|what|how|why|which|may|might)\b.*\?\s*$"
    r"|^(?:может ли|бывает ли|вызывает ли|почему|что|как|какие|можно ли)\b.*\?\s*$"
)
_QUESTION_SENSITIVE = frozenset({INFECTION, MENINGITIS})
#: Red flags worded the way people also ask *about* a symptom ("is sudden confusion a sign of
#: …?"): as for the kinds above, a question does not count for these patterns.
_QUESTION_SENSITIVE_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    STROKE: (
        # sudden confusion, or suddenly not knowing one's family (NHS: sudden confusion is a
        # stroke sign; it is also how encephalitis can start): emergency either way
        _rx(
            r"\bsudden\w*\b[^.!?]{0,40}\b(?:confus\w*|disorient\w*|(?:doesn'?t|does not"
            r"|didn'?t|can'?t|cannot|won'?t) (?:recogni[sz]e|know who))"
            r"|\b(?:doesn'?t|does not|can'?t|cannot) recogni[sz]e (?:me|us|anyone|his|her)\b"
            r"[^.!?]{0,60}\bsudden\w*"
        ),
        _rx(
            r"внезапн\w*[^.!?]{0,40}(?:спутан\w*|не узна\w*|не понима\w* где"
            r"|перестал\w* узнава\w*)"
            r"|(?:перестал\w* узнава\w*|не узна\w*) (?:меня|нас|родных|никого)"
            r"[^.!?]{0,40}внезапн\w*"
        ),
    ),
}
#: Something long past is not an emergency now ("I had a first seizure 3 years ago").
_LONG_AGO = _rx(
    r"\b\d*\s*(?:years?|months?|weeks?) ago\b|\blast (?:year|month)\b|\bin the past\b"
    r"|(?:лет|года?|месяц\w*|недел\w*) назад|в прошлом (?:году|месяце)"
)
_NOW = _rx(r"\bnow\b|\btoday\b|\bstill\b|\bagain\b|сейчас|сегодня|до сих пор|снова|опять")


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int
    #: found by a pattern of :data:`_QUESTION_SENSITIVE_PATTERNS`
    question_sensitive: bool = False


def findings(text: str) -> list[Finding]:
    """Every non-negated red-flag match in ``text`` (normalised), in :data:`KINDS` order."""
    clean = normalise(text)
    found: list[Finding] = []
    for kind in KINDS:
        for pattern in _PATTERNS[kind]:
            for match in pattern.finditer(clean):
                if not _negated(clean, match.start(), match.end()):
                    found.append(Finding(kind, match.start(), match.end()))
        for pattern in _QUESTION_SENSITIVE_PATTERNS.get(kind, ()):
            for match in pattern.finditer(clean):
                if not _negated(clean, match.start(), match.end()):
                    found.append(Finding(kind, match.start(), match.end(), True))
    return found


def red_flag(text: str) -> str | None:
    """The red-flag kind of a message (the most urgent one), or None.

    A general question with "if"/"when" («что делать, если…») is not a report and returns
    None, unless it also says it is happening now ("…right now", «сейчас»).
    """
    if not text or not text.strip():
        return None
    clean = normalise(text)
    if _HYPOTHETICAL.search(clean) and not re.search(r"\bright now\b|\bсейчас\b", clean):
        return None
    if _LONG_AGO.search(clean) and not _NOW.search(clean):
        return None
    question = bool(_QUESTION.search(clean))
    found = [
        f
        for f in findings(text)
        if not (question and (f.kind in _QUESTION_SENSITIVE or f.question_sensitive))
    ]
    return found[0].kind if found else None


# --------------------------------------------------------------------------- language

_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)


def script_language(text: str, default: str = "ru") -> str:
    """``ru`` or ``en`` from the letters of ``text``; ``default`` when it has none.

    Why a script check: until the conversation's ``language`` slot exists (the Russian
    branch adds it), the emergency advice must at least be in the language the patient just
    wrote in. Russian is the clinic page's default.
    """
    cyrillic, latin = len(_CYRILLIC.findall(text)), len(_LATIN.findall(text))
    if cyrillic == latin == 0:
        return default
    return "ru" if cyrillic >= latin else "en"


#: How the emergency reply picks its language: one function the Russian branch can replace
#: with "the language slot, else the script" (signature: slot value, message text).
LanguageChooser = Callable[[str | None, str], str]


def reply_language(slot_value: str | None, text: str) -> str:
    """The language of the emergency advice: the ``language`` slot if set, else the script."""
    if slot_value in ("ru", "en"):
        return slot_value
    return script_language(text)


# --------------------------------------------------------------------------- numbers


def configured_numbers() -> dict[str, str]:
    """``emergency_number`` and ``ambulance_number`` from the KB, or 112/103 if it is down.

    Used by the disclosure and by the emergency advice: neither may fail because the
    database is unreachable.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from actions.kb_access import kb_session
    from kb.answers import NUMBER_SETTINGS, emergency_numbers

    try:
        with kb_session() as session:
            return emergency_numbers(session)
    except SQLAlchemyError:
        return dict(NUMBER_SETTINGS)
