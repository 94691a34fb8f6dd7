"""Rewordings of KB forms: persons, verb forms, "my legs are weak", head nouns."""

from nlu.lay_grammar import (
    body_part_patterns,
    collect_states,
    lay_forms,
    person_variants,
    trouble_variants,
    verb_forms,
    without_head_noun,
)


def test_verb_forms_regular_and_irregular() -> None:
    assert {"walk", "walks", "walked"} <= verb_forms("walking")
    assert {"slur", "slurs", "slurred"} <= verb_forms("slurring")
    assert {"choke", "chokes", "choked"} <= verb_forms("choking")
    assert {"see", "sees", "saw"} <= verb_forms("seeing")
    assert {"twitch", "twitches"} <= verb_forms("twitching")
    assert verb_forms("numb") == {"numb"}


def test_person_variants_keep_the_person_consistent() -> None:
    forms = person_variants("walking like i'm drunk")
    assert {
        "walking like she is drunk",
        "walking like he is drunk",
        "walking like i am drunk",
    } <= forms
    assert "losing her balance" in person_variants("losing my balance")
    assert person_variants("numb feet") == {"numb feet"}


def test_trouble_variants() -> None:
    assert "problems with my memory" in trouble_variants("memory problems")
    assert "difficulty walking" in trouble_variants("trouble walking")


def test_symptoms_get_verb_forms_but_treatments_do_not() -> None:
    assert "walks like she is drunk" in lay_forms("symptom", "walking like i'm drunk")
    assert "hallucinates" in lay_forms("symptom", "hallucinating")
    assert lay_forms("treatment", "removing the tumour") == {"removing the tumour"}


def test_head_noun_is_dropped_only_when_two_words_remain() -> None:
    assert without_head_noun("stiff-person syndrome") == {"stiff-person"}
    assert without_head_noun("morvan syndrome") == set()
    assert "stiff-person" in lay_forms("syndrome", "stiff-person syndrome")


def test_body_part_states_generalise_within_a_group() -> None:
    states = collect_states(["weak legs", "weak arms", "weakness", "loss of strength"])
    assert states == {"limbs": {"weak"}}
    inverted, in_the = body_part_patterns("symptom", "weakness", states)
    assert inverted["id"] == "weakness" and inverted["label"] == "symptom"
    assert "hands" in inverted["pattern"][0]["NORM"]["IN"]  # weak legs ⇒ weak hands too
    assert inverted["pattern"][1]["OP"] == "*"
    assert in_the["pattern"][1] == {"NORM": "in"}


def test_part_first_ing_forms_give_body_part_patterns() -> None:
    """ "eyes flicking" (staff) also finds "his eyes flick side to side" (patients)."""
    states = collect_states(["eyes flicking", "eyes jumping", "dancing eyes", "eyes"])
    assert states == {"eyes": {"flicking", "jumping", "dancing"}}
    inverted, _ = body_part_patterns("symptom", "involuntary_eye_movements", states)
    assert {"flick", "flicks", "flicked", "jump"} <= set(inverted["pattern"][2]["NORM"]["IN"])
    # a part-first form needs a verb in -ing: "vision loss" names no state of the eyes
    assert collect_states(["vision loss", "memory problems"]) == {}
