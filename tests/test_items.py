"""Content items: references, payloads read from and written to the live tables, field rules."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kb.db import session_scope
from kb.errors import ContentError
from kb.items import ITEM_TYPES, LiveContent, Ref, entity_ref, parse_ref
from kb.loader import Content
from kb.models import Answer, Entity, EntityLink, Synonym
from kb.payloads import MAX_TEXT, known_in, normalise, synonym_clashes, to_record


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("source:g21", Ref("source", ("g21",))),
        ("entity:antibody:yo", Ref("entity", ("antibody", "yo"))),
        ("antibody:yo", Ref("entity", ("antibody", "yo"))),
        ("answer:ask_tests", Ref("answer", ("ask_tests",))),
        (
            "answer:ask_treatment:syndrome:lems",
            Ref("answer", ("ask_treatment", "syndrome", "lems")),
        ),
        ("phrase:risk_group.high", Ref("phrase", ("risk_group.high",))),
        ("centre", Ref("centre")),
        ("setting:emergency_number", Ref("setting", ("emergency_number",))),
    ],
)
def test_references_parse_and_print_back(text: str, ref: Ref) -> None:
    assert parse_ref(text) == ref
    assert parse_ref(str(ref)) == ref


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("antibodies:yo", "not an item reference"),
        ("entity:virus:flu", "not an item reference|not an entity kind"),
        ("answer:ask_weather", "intent"),
        # personal messages start the assessment: such an answer would never be shown
        ("answer:inform_condition", "intent 'inform_condition' is not one of"),
        ("answer:ask_should_see_doctor:cancer:lung", "is not one of"),
        ("answer:ask_tests:planet:mars", "not an entity kind"),
        ("source:G21", "not a valid id"),
        ("centre:main", "not an item reference"),
        ("source:", "not a valid id"),
    ],
)
def test_bad_references_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ContentError, match=message):
        parse_ref(text)


def test_live_items_are_exactly_the_seed_content(session: Session, seed_content: Content) -> None:
    items = LiveContent(session).items()
    assert items == seed_content.items
    assert [r.type for r in items] == sorted((r.type for r in items), key=ITEM_TYPES.index)


def test_single_item_lookup_matches_the_bulk_read(session: Session) -> None:
    live = LiveContent(session)
    items = live.items()
    for ref in [
        entity_ref("antibody", "yo"),
        Ref("answer", ("ask_tests",)),
        Ref("centre"),
        Ref("setting", ("emergency_number",)),
        Ref("phrase", ("handoff",)),
        Ref("source", ("g21",)),
    ]:
        assert live.payload(ref) == items[ref]
    specific = next(r for r in items if r.type == "answer" and r.entity)
    assert LiveContent(session).payload(specific) == items[specific]
    assert live.payload(entity_ref("antibody", "no_such")) is None
    assert live.payload(Ref("answer", ("ask_tests", "antibody", "no_such"))) is None


def test_writing_creates_linked_entities_and_answers_in_one_batch(fresh_kb_url: str) -> None:
    new = entity_ref("antibody", "zic4")
    payload = {
        "name": "anti-Zic4 antibody",
        "description": "A test antibody.",
        "risk_group": "high",
        "target": "intracellular",
        "synonyms": ["Zic4"],
        "related": [["cancer", "sclc"], ["antibody", "zic5"]],
        "sources": ["g21"],
    }
    other = {
        **payload,
        "name": "anti-Zic5 antibody",
        "synonyms": ["Zic5"],
        "related": [["antibody", "zic4"]],
    }
    answer = Ref("answer", ("ask_tests", "antibody", "zic4"))
    with session_scope(fresh_kb_url) as session:
        LiveContent(session).write(
            {
                entity_ref("antibody", "zic5"): other,
                new: payload,
                answer: {"text": "Blood test.", "sources": ["g21"]},
            }
        )
    with session_scope(fresh_kb_url) as session:
        live = LiveContent(session)
        assert live.payload(new) == payload
        assert live.payload(answer) == {"text": "Blood test.", "sources": ["g21"]}
        zic4 = live.row(new)
        assert [e.key for e in zic4.related("antibody")] == ["zic5"]


def test_rewriting_an_entity_replaces_synonyms_and_links(fresh_kb_url: str) -> None:
    yo = entity_ref("antibody", "yo")
    with session_scope(fresh_kb_url) as session:
        live = LiveContent(session)
        payload = {**live.payload(yo), "synonyms": ["PCA-1"], "related": [["cancer", "breast"]]}
        live.write({yo: payload})
    with session_scope(fresh_kb_url) as session:
        assert LiveContent(session).payload(yo) == payload
        row = session.execute(select(Entity).where(Entity.key == "yo")).scalar_one()
        synonyms = select(func.count(Synonym.id)).where(Synonym.entity_id == row.id)
        assert session.scalar(synonyms.where(Synonym.lang == "en")) == 1
        # the Russian synonyms are the Russian item's, untouched by the English one
        assert session.scalar(synonyms.where(Synonym.lang == "ru")) == len(
            LiveContent(session).payload(yo.in_lang("ru"))["synonyms"]
        )
        assert (
            session.scalar(select(func.count(EntityLink.id)).where(EntityLink.from_id == row.id))
            == 1
        )


def test_writing_a_link_to_an_unpublished_entity_fails(fresh_kb_url: str) -> None:
    with pytest.raises(ContentError, match="not published"):
        with session_scope(fresh_kb_url) as session:
            live = LiveContent(session)
            yo = entity_ref("antibody", "yo")
            live.write({yo: {**live.payload(yo), "related": [["cancer", "no_such"]]}})
    with session_scope(fresh_kb_url) as session:
        assert session.scalar(select(func.count(Answer.id))) > 0  # database still usable, unchanged


# --------------------------------------------------------------------------- field rules


def _known(*refs: str):
    return known_in([parse_ref(r) for r in refs])


def _entity(**fields):
    return {"name": "X", "description": "About X.", "sources": ["g21"], **fields}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (_entity(description="  "), "'description' must be non-empty text"),
        (_entity(sources=[]), "needs at least one source"),
        (_entity(sources=["nope"]), "unknown source key"),
        (_entity(related=["cancer:nope"]), "is not in the content"),
        (_entity(related=["planet:mars"]), "kind:id"),
        (_entity(synonyms=["Anti-X", "anti x"]), "duplicate synonym"),
        (_entity(synonyms="anti-X"), "must be a list"),
        (_entity(description="x" * (MAX_TEXT + 1)), "limit is 4000"),
        (_entity(name="x" * 201), "limit is 200"),
        (_entity(synonyms=["x" * 201]), "limit is 200"),
        (_entity(risk_group="huge"), "risk_group"),
        (_entity(colour="blue"), "unknown field"),
        (_entity(name=["X"]), "must be text"),
    ],
)
def test_entity_fields_are_checked_with_their_location(fields, message: str) -> None:
    with pytest.raises(ContentError, match=message) as raised:
        normalise(
            entity_ref("antibody", "x"),
            fields,
            "file.yml, line 3",
            _known("source:g21", "cancer:sclc"),
        )
    assert str(raised.value).startswith("file.yml, line 3: ")


def test_only_antibodies_have_risk_groups() -> None:
    with pytest.raises(ContentError, match="only antibodies"):
        normalise(
            entity_ref("cancer", "x"), _entity(risk_group="high"), "here", _known("source:g21")
        )


def test_phrases_may_only_use_the_placeholders_the_code_fills() -> None:
    ref = Ref("phrase", ("entity.unknown",))
    assert (
        normalise(ref, {"text": "Nothing on {name}."}, "here", _known())["text"]
        == "Nothing on {name}."
    )
    with pytest.raises(ContentError, match="unknown placeholder"):
        normalise(ref, {"text": "Nothing on {nmae}."}, "here", _known())
    with pytest.raises(ContentError, match="broken"):
        normalise(ref, {"text": "Nothing on {name."}, "here", _known())


def test_answer_for_an_unknown_entity_is_refused() -> None:
    with pytest.raises(ContentError, match="not in the content"):
        normalise(
            parse_ref("answer:ask_tests:antibody:nope"),
            {"text": "t", "sources": ["g21"]},
            "here",
            _known("source:g21"),
        )


def test_normalising_a_record_gives_back_the_payload(session: Session) -> None:
    items = LiveContent(session).items()
    known = known_in(items)
    for ref, payload in items.items():
        fields = {k: v for k, v in to_record(ref, payload).items() if k != "ref"}
        assert normalise(ref, fields, str(ref), known) == payload


def test_synonym_clashes_ignore_case_hyphens_and_spacing() -> None:
    a, b = entity_ref("antibody", "a"), entity_ref("antibody", "b")
    clashes = synonym_clashes(
        {
            a: {"name": "A", "synonyms": ["VGKC-complex"]},
            b: {"name": "B", "synonyms": ["vgkc  complex"]},
        }
    )
    assert clashes == {"vgkc complex": [a, b]}
