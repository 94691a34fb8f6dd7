"""Russian entity recognition (``nlu.russian`` in the project's spaCy pipeline).

Every canonical id must come out whatever the case, number and word order patients use.
The pipeline here is built from the Russian KB overlay only (no database, no English ruler),
so a pass means the Russian matcher itself found the entity; the full pipeline with the
English ruler is covered in test_spacy_pipeline.py.
"""

from __future__ import annotations

import pytest
import spacy
import yaml

from kb.loader import CONTENT_DIR
from nlu import russian, spacy_pipeline
from nlu.vocabulary_ru import name_forms, russian_terms

CASES = ("nomn", "gent", "datv", "accs", "ablt", "loct")


@pytest.fixture(scope="module")
def nlp() -> spacy.language.Language:
    pipeline = spacy_pipeline.blank()
    pipeline.add_pipe("pns_normalizer")
    pipeline.add_pipe("pns_ru_matcher").set_forms(spacy_pipeline.russian_forms(russian_terms()))
    pipeline.add_pipe("pns_entity_spans")
    return pipeline


def ents(nlp: spacy.language.Language, text: str) -> list[tuple[str, str]]:
    return [(e.label_, e.ent_id_) for e in nlp(text).ents]


# (text, kind, id): every kind, singular and plural, all six cases, word order, gaps.
TABLE: list[tuple[str, str, str]] = [
    # cancer — the issue's own examples first
    ("у мамы рак лёгкого", "cancer", "lung"),
    ("отец болеет раком лёгких", "cancer", "lung"),
    ("подозрение на рак молочной железы", "cancer", "breast"),
    ("рак молочных желез у сестры", "cancer", "breast"),
    ("после рака молочной железы", "cancer", "breast"),
    ("к раку молочной железы", "cancer", "breast"),
    ("о раке груди", "cancer", "breast"),
    ("мелкоклеточный рак лёгкого", "cancer", "sclc"),
    ("мелкоклеточного рака легкого", "cancer", "sclc"),
    ("с мелкоклеточным раком лёгкого", "cancer", "sclc"),
    ("о мелкоклеточном раке лёгких", "cancer", "sclc"),
    ("рак легкого мелкоклеточный", "cancer", "sclc"),
    ("МРЛ у папы", "cancer", "sclc"),
    ("немелкоклеточным раком лёгкого", "cancer", "nsclc"),
    ("тератомы яичника", "cancer", "ovarian_teratoma"),
    ("тератомой яичников", "cancer", "ovarian_teratoma"),
    ("рака яичка", "cancer", "testicular"),
    ("тимомой", "cancer", "thymoma"),
    ("тимомы удалили", "cancer", "thymoma"),
    ("лимфомы Ходжкина", "cancer", "hodgkin_lymphoma"),
    ("лимфомами", "cancer", "lymphoma"),
    ("нейробластомой у ребёнка", "cancer", "neuroblastoma"),
    ("нейроэндокринной опухолью", "cancer", "neuroendocrine"),
    ("раком простаты", "cancer", "prostate"),
    ("меланомы кожи", "cancer", "melanoma"),
    ("опухоль в лёгком", "cancer", "lung"),
    # symptoms: nouns in every case and number, verbs in every person, tense and order
    ("немеют ноги", "symptom", "numbness"),
    ("ноги немеют", "symptom", "numbness"),
    ("немеет нога", "symptom", "numbness"),
    ("онемели ноги", "symptom", "numbness"),
    ("немеют у него ноги", "symptom", "numbness"),
    ("онемение в стопах", "symptom", "numbness"),
    ("в стопах онемение", "symptom", "numbness"),
    ("онемением", "symptom", "numbness"),
    ("онемения пальцев", "symptom", "numbness"),
    ("слабостью в ногах", "symptom", "weakness"),
    ("слабости в руках", "symptom", "weakness"),
    ("ослабли ноги", "symptom", "weakness"),
    ("двоение в глазах", "symptom", "double_vision"),
    ("двоится в глазах", "symptom", "double_vision"),
    ("в глазах двоится", "symptom", "double_vision"),
    ("голова кружится", "symptom", "dizziness"),
    ("кружится голова", "symptom", "dizziness"),
    ("закружилась голова", "symptom", "dizziness"),
    ("головокружения", "symptom", "dizziness"),
    ("заплетается язык", "symptom", "slurred_speech"),
    ("язык заплетается", "symptom", "slurred_speech"),
    ("ходит как пьяный", "symptom", "unsteady_walking"),
    ("шаткой походкой", "symptom", "unsteady_walking"),
    ("теряет равновесие", "symptom", "unsteady_walking"),
    ("потеряла равновесие", "symptom", "unsteady_walking"),
    ("плохо спит", "symptom", "sleep_problems"),
    ("бессонницей", "symptom", "sleep_problems"),
    ("не может уснуть", "symptom", "sleep_problems"),
    ("галлюцинациями", "symptom", "hallucinations"),
    ("слышит голоса", "symptom", "hallucinations"),
    ("судорогами", "symptom", "seizures"),
    ("судорожные приступы", "symptom", "seizures"),
    ("эпилептическими приступами", "symptom", "seizures"),
    ("трудно глотать", "symptom", "swallowing_difficulty"),
    ("опущение век", "symptom", "drooping_eyelids"),
    ("потливостью", "symptom", "sweating"),
    ("сухостью во рту", "symptom", "dry_mouth"),
    ("запоры", "symptom", "gut_problems"),
    ("недержанием мочи", "symptom", "bladder_problems"),
    ("ухудшения памяти", "symptom", "memory_loss"),
    ("проблемы с памятью", "symptom", "memory_loss"),
    ("спутанностью сознания", "symptom", "confusion"),
    ("мышечную слабость", "symptom", "weakness"),
    ("подёргивания мышц", "symptom", "muscle_twitching"),
    ("мышцы дергаются", "symptom", "muscle_twitching"),
    ("скованностью мышц", "symptom", "muscle_stiffness"),
    ("сводит ногу", "symptom", "muscle_spasms"),
    ("жгучей болью", "symptom", "burning_pain"),
    ("быстро устаёт", "symptom", "fatigue"),
    ("трудно дышать", "symptom", "breathing_difficulty"),
    ("одышкой", "symptom", "breathing_difficulty"),
    ("металлический привкус", "symptom", "taste_change"),
    ("потерю веса", "symptom", "weight_loss"),
    ("сильно похудела", "symptom", "weight_loss"),
    ("ухудшение зрения", "symptom", "vision_loss"),
    ("шум в ушах", "symptom", "hearing_loss"),
    ("почерк изменился", "symptom", "handwriting_changes"),
    ("неловкость в руках", "symptom", "clumsiness"),
    ("непроизвольных движений глаз", "symptom", "involuntary_eye_movements"),
    ("непроизвольные движения", "symptom", "involuntary_movements"),
    ("изменения поведения", "symptom", "behaviour_change"),
    # syndromes
    ("синдром Ламберта-Итона", "syndrome", "lems"),
    ("синдромом Ламберта–Итона", "syndrome", "lems"),
    ("синдрома Ламберта Итона", "syndrome", "lems"),
    ("миастеническим синдромом Ламберта-Итона", "syndrome", "lems"),
    ("ЛИМС", "syndrome", "lems"),
    ("мозжечковой дегенерацией", "syndrome", "cerebellar_degeneration"),
    ("дегенерации мозжечка", "syndrome", "cerebellar_degeneration"),
    ("лимбического энцефалита", "syndrome", "limbic_encephalitis"),
    ("лимбическим энцефалитом", "syndrome", "limbic_encephalitis"),
    ("энцефаломиелитом", "syndrome", "encephalomyelitis"),
    ("сенсорной нейронопатии", "syndrome", "sensory_neuronopathy"),
    ("синдромом опсоклонус-миоклонус", "syndrome", "opsoclonus_myoclonus"),
    ("синдрома ригидного человека", "syndrome", "stiff_person"),
    ("синдромом Морвана", "syndrome", "morvan"),
    ("нейромиотонией", "syndrome", "neuromyotonia"),
    ("анти-NMDA-рецепторного энцефалита", "syndrome", "nmdar_encephalitis"),
    ("миастенией", "syndrome", "myasthenia_gravis"),
    ("стволового энцефалита", "syndrome", "brainstem_encephalitis"),
    ("полирадикулонейропатией", "syndrome", "polyradiculoneuropathy"),
    ("миелопатии", "syndrome", "myelopathy"),
    ("псевдообструкцией кишечника", "syndrome", "gi_pseudo_obstruction"),
    # antibodies: Latin or Cyrillic, with or without «анти-» / «антитела к»
    ("анти-Hu", "antibody", "hu"),
    ("анти-Ху", "antibody", "hu"),
    ("анти Ху", "antibody", "hu"),
    ("антиHu", "antibody", "hu"),
    ("anti-Hu", "antibody", "hu"),
    ("антитела к Hu", "antibody", "hu"),
    ("антител к Ху", "antibody", "hu"),
    ("антитела к Yo", "antibody", "yo"),
    ("антителами к Yo", "antibody", "yo"),
    ("анти-Йо", "antibody", "yo"),
    ("anti-Yo", "antibody", "yo"),
    ("Yo антитела", "antibody", "yo"),
    ("анти-Ри", "antibody", "ri"),
    ("анти-Ri", "antibody", "ri"),
    ("анти-CV2", "antibody", "cv2"),
    ("CRMP5", "antibody", "cv2"),
    ("анти-Ма2", "antibody", "ma2"),
    ("антитела к амфифизину", "antibody", "amphiphysin"),
    ("амфифизином", "antibody", "amphiphysin"),
    ("антитела к SOX1", "antibody", "sox1"),
    ("антитела к NMDA-рецептору", "antibody", "nmdar"),
    ("антител к NMDA-рецептору", "antibody", "nmdar"),
    ("антитела к LGI1", "antibody", "lgi1"),
    ("CASPR2", "antibody", "caspr2"),
    ("анти-GAD", "antibody", "gad65"),
    ("антитела к глутаматдекарбоксилазе", "antibody", "gad65"),
    ("антитела к кальциевым каналам", "antibody", "vgcc"),
    ("антителами к ацетилхолиновому рецептору", "antibody", "achr"),
    ("антитела к глициновому рецептору", "antibody", "glyr"),
    ("анти-GFAP", "antibody", "gfap"),
    ("анти-Tr", "antibody", "tr"),
    ("антитела к DPPX", "antibody", "dppx"),
    # tests and abbreviations
    ("МРТ", "test", "mri"),
    ("мрт головного мозга", "test", "mri"),
    ("ЭНМГ", "test", "enmg"),
    ("ЭМГ", "test", "emg"),
    ("ЭЭГ", "test", "eeg"),
    ("КТ", "test", "ct"),
    ("ПЭТ-КТ", "test", "pet_ct"),
    ("ПЭТ КТ", "test", "pet_ct"),
    ("ПЭТ/КТ", "test", "pet_ct"),
    ("люмбальной пункции", "test", "lumbar_puncture"),
    ("люмбальную пункцию", "test", "lumbar_puncture"),
    ("анализ ликвора", "test", "lumbar_puncture"),
    ("анализа на антитела", "test", "antibody_test"),
    ("маммографию", "test", "mammography"),
    ("УЗИ", "test", "ultrasound"),
    ("электромиографии", "test", "emg"),
    ("ритмической стимуляцией", "test", "repetitive_nerve_stimulation"),
    # treatments
    ("ВВИГ", "treatment", "ivig"),
    ("ВВИГа", "treatment", "ivig"),
    ("внутривенным иммуноглобулином", "treatment", "ivig"),
    ("плазмаферезом", "treatment", "plasma_exchange"),
    ("плазмафереза", "treatment", "plasma_exchange"),
    ("химиотерапии", "treatment", "chemotherapy"),
    ("курс химии", "treatment", "chemotherapy"),
    ("лучевой терапией", "treatment", "radiotherapy"),
    ("облучения", "treatment", "radiotherapy"),
    ("ритуксимабом", "treatment", "rituximab"),
    ("циклофосфамидом", "treatment", "cyclophosphamide"),
    ("стероидами", "treatment", "steroids"),
    ("преднизолоном", "treatment", "steroids"),
    ("иммуносупрессивной терапии", "treatment", "immunosuppression"),
    ("операцию", "treatment", "surgery"),
    ("удаления опухоли", "treatment", "surgery"),
    ("амифампридином", "treatment", "amifampridine"),
    ("реабилитации", "treatment", "rehabilitation"),
    ("противоэпилептическими препаратами", "treatment", "antiseizure"),
    ("вальпроатом", "treatment", "antiseizure"),
    ("ингибиторами контрольных точек", "treatment", "checkpoint_inhibitors"),
    ("лечения опухоли", "treatment", "tumour_treatment"),
    ("симптоматическим лечением", "treatment", "symptomatic"),
    # rewordings of symptom synonyms (nlu.russian.VERB_ALONE, NOUN_STATES)
    ("немеет лицо", "symptom", "numbness"),
    ("всё двоится", "symptom", "double_vision"),
    ("его шатает", "symptom", "unsteady_walking"),
    ("слабые ноги", "symptom", "weakness"),
    ("ноги слабые", "symptom", "weakness"),
    ("ноги ослабели", "symptom", "weakness"),
    ("жжёт стопы", "symptom", "burning_pain"),
    # misspellings of words the dictionary does not know
    ("лимфамой", "cancer", "lymphoma"),
    ("плазмофереза", "treatment", "plasma_exchange"),
    ("лимбического энцефолита", "syndrome", "limbic_encephalitis"),
]


@pytest.mark.parametrize(("text", "kind", "key"), TABLE)
def test_form_is_recognised(nlp: spacy.language.Language, text: str, kind: str, key: str) -> None:
    assert ents(nlp, f"у нас {text} вот") == [(kind, key)]
    # Rasa's SpacyNLP (case_sensitive: false) passes lower-cased text
    assert ents(nlp, f"у нас {text} вот".lower()) == [(kind, key)]
    if russian.has_cyrillic(text):  # Latin-only text is the English ruler's (full pipeline)
        assert ents(nlp, text.upper() if kind != "antibody" else text) == [(kind, key)]


def noun_phrase_forms(phrase: str) -> list[str]:
    """``phrase`` (adjectives + head noun in the nominative + what follows) in all six cases,
    singular and plural, generated with pymorphy3's inflection (not its parser)."""
    morph = russian._analyzer()
    words = phrase.split()
    parses = []
    for word in words:
        if not word.isalpha():
            return []
        nouns = [p for p in morph.parse(word) if {"NOUN", "nomn"} <= p.tag.grammemes]
        if nouns:
            parses.append(nouns[0])
            break
        adjectives = [p for p in morph.parse(word) if {"ADJF", "nomn"} <= p.tag.grammemes]
        if not adjectives:
            return []
        parses.append(adjectives[0])
    else:
        return []
    head = parses[-1]
    forms = set()
    for number in ("sing", "plur"):
        for case in CASES:
            inflected = head.inflect({case, number})
            if inflected is None:
                continue
            agree = {case, number}
            if number == "sing" and inflected.tag.gender:
                agree.add(inflected.tag.gender)
            adjectives = [p.inflect(agree) for p in parses[:-1]]
            if any(a is None for a in adjectives):
                continue
            rest = words[len(parses) :]
            forms.add(" ".join([*(a.word for a in adjectives), inflected.word, *rest]))
    return sorted(forms)


def every_inflection() -> list[tuple[str, str, str]]:
    rows = []
    for term in russian_terms():
        for name in term.names:
            if russian.is_abbreviation(name) or "," in name:
                continue  # abbreviations do not inflect; a listed description is no name
            for form in noun_phrase_forms(name.lower()):
                rows.append((form, term.kind, term.key))
    return rows


def test_every_noun_synonym_in_every_case_and_number(nlp: spacy.language.Language) -> None:
    """All KB noun phrases × 6 cases × 2 numbers (thousands of forms), each its own id."""
    rows = every_inflection()
    assert len(rows) > 3000
    missed = [
        (form, key) for form, kind, key in rows if ents(nlp, f"у нас {form} вот") != [(kind, key)]
    ]
    assert missed == []


@pytest.mark.parametrize(
    "text",
    [
        "я видел врача вчера",  # видеть ≠ видения
        "сладость во рту после конфет",  # a known word is never a typo of «слабость»
        "добрый вечер",
        "спасибо большое за ответ",
        "мама стала хуже ходить в магазин",
        "what is anti-Yo",  # English text: the Russian matcher does not run
    ],
)
def test_no_false_russian_entities(nlp: spacy.language.Language, text: str) -> None:
    assert ents(nlp, text) == []


def test_lemmas_are_written_for_cyrillic_words_only(nlp: spacy.language.Language) -> None:
    doc = nlp("лечат ли анти-Hu")
    assert [t.lemma_ for t in doc] == ["лечить", "ли", "анти", "", ""]
    assert [t.lemma_ for t in nlp("what is anti-Hu")] == ["", "", "", "", ""]


def test_antibody_span_is_the_name(nlp: spacy.language.Language) -> None:
    assert [e.text for e in nlp("нашли антитела к Yo в крови").ents] == ["Yo"]
    assert [e.text for e in nlp("анти-Ху антитела нашли").ents] == ["анти-Ху"]


def test_glued_punctuation_is_split() -> None:
    tokens = [t.text for t in spacy_pipeline.blank()("лёгкого?что ноги,руки")]
    assert tokens == ["лёгкого", "?", "что", "ноги", ",", "руки"]
    assert [t.text for t in spacy_pipeline.blank()("e.g.what")] == ["e.g.what"]


def test_two_entities_claiming_a_form_are_reported() -> None:
    forms = [
        {"label": "symptom", "pattern": "слабость", "id": "weakness"},
        {"label": "symptom", "pattern": "слабости", "id": "fatigue"},
    ]
    patterns, ambiguous = russian.compile_patterns(forms, str.split)
    assert patterns == []
    assert list(ambiguous.values()) == [["symptom:fatigue", "symptom:weakness"]]


def test_name_forms_split_parenthesised_names() -> None:
    assert name_forms("нейромиотония (синдром Исаакса)") == ("нейромиотония", "синдром Исаакса")
    assert name_forms("Проблемы с желудком (запор, рвота)") == ("Проблемы с желудком",)
    assert name_forms("тимома") == ("тимома",)


def test_every_overlay_id_is_an_english_entity() -> None:
    english = set()
    for path in (CONTENT_DIR / "entities").glob("*.yml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        english |= {(data["kind"], str(item["id"])) for item in data["items"]}
    russian_ids = {(t.kind, t.key) for t in russian_terms()}
    assert russian_ids == english
