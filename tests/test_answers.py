"""Answer composition from the KB (kb.answers), against a real seeded SQLite database."""

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kb.answers import (
    LISTED_LINKS,
    NATURAL_INTENT,
    Composer,
    KnowledgeBase,
    compose_answer,
    display_name,
    emergency_number,
)
from kb.contract import ENTITY_IDS, KNOWLEDGE_INTENTS
from kb.db import session_scope
from kb.models import Answer, Centre, Entity, Phrase, Setting


def phrase(session: Session, key: str) -> str:
    return session.execute(select(Phrase.text).where(Phrase.key == key)).scalar_one()


def entity(session: Session, kind: str, key: str) -> Entity:
    return KnowledgeBase(session).entity(kind, key)


def test_anti_yo_combines_description_risk_group_tumours_and_sources(session: Session) -> None:
    reply = compose_answer(session, "ask_antibodies", [("antibody", "yo")])
    yo = entity(session, "antibody", "yo")
    assert yo.risk_group == "high"
    assert yo.description in reply.text
    assert phrase(session, "risk_group.high") in reply.text
    for cancer in yo.related("cancer"):
        assert display_name(cancer) in reply.text
    assert {"ovarian", "breast"} <= {c.key for c in yo.related("cancer")}
    assert "cerebellar_degeneration" in {s.key for s in yo.related("syndrome")}
    assert "cancer" in reply.text.lower()
    assert reply.sources and reply.text.rstrip().endswith(".")
    assert "Sources:" in reply.text


@pytest.mark.parametrize("kind", sorted(ENTITY_IDS))
def test_every_entity_of_every_kind_is_answered_with_its_facts_and_sources(
    session: Session, kind: str
) -> None:
    kb = KnowledgeBase(session)
    intent = NATURAL_INTENT[kind]
    for key in ENTITY_IDS[kind]:
        reply = compose_answer(session, intent, [(kind, key)])
        item = kb.entity(kind, key)
        assert reply.sources and not reply.unknown, key
        specific = kb.answer(intent, item)
        if specific is not None:
            assert specific.text in reply.text and reply.answer_ids == [specific.id]
            continue
        assert item.description in reply.text, key
        if item.risk_group:
            assert phrase(session, f"risk_group.{item.risk_group}") in reply.text, key
        for linked_kind in LISTED_LINKS[kind]:
            for linked in item.related(linked_kind):
                assert display_name(linked) in reply.text, (key, linked.key)


def test_lems_question_is_answered_from_its_entry(session: Session) -> None:
    reply = compose_answer(session, "ask_syndrome", [("syndrome", "lems")])
    assert entity(session, "syndrome", "lems").description in reply.text


@pytest.mark.parametrize("intent", KNOWLEDGE_INTENTS)
def test_every_knowledge_intent_has_a_sourced_general_answer(session: Session, intent: str) -> None:
    reply = compose_answer(session, intent, [])
    general = KnowledgeBase(session).answer(intent)
    assert general is not None and general.text in reply.text
    assert reply.sources


def test_entity_specific_answer_is_preferred(session: Session) -> None:
    specific = (
        session.execute(select(Answer).where(Answer.entity_id.is_not(None))).scalars().first()
    )
    assert specific is not None, "seed content has entity-specific answers"
    reply = compose_answer(session, specific.intent, [(specific.entity.kind, specific.entity.key)])
    assert specific.text in reply.text


def test_unknown_entity_gets_general_answer_and_an_honest_note(session: Session) -> None:
    reply = compose_answer(session, "ask_antibodies", [("antibody", "anti_zeta")])
    assert phrase(session, "entity.unknown").format(name="anti zeta") in reply.text
    assert KnowledgeBase(session).answer("ask_antibodies").text in reply.text


def test_several_entities_get_one_part_each_and_duplicates_collapse(session: Session) -> None:
    reply = compose_answer(
        session, "ask_antibodies", [("antibody", "hu"), ("antibody", "yo"), ("antibody", "hu")]
    )
    assert entity(session, "antibody", "hu").description in reply.text
    assert entity(session, "antibody", "yo").description in reply.text
    assert reply.text.count(entity(session, "antibody", "hu").description) == 1


def test_question_off_the_entity_kind_adds_the_general_answer(session: Session) -> None:
    lems = entity(session, "syndrome", "lems")
    if KnowledgeBase(session).answer("ask_tests", lems) is not None:
        pytest.skip("LEMS has its own tests answer")
    reply = compose_answer(session, "ask_tests", [("syndrome", "lems")])
    assert KnowledgeBase(session).answer("ask_tests").text in reply.text


def test_referral_centre_without_contacts_invents_none(session: Session) -> None:
    reply = compose_answer(session, "ask_referral_centre", [])
    centre = KnowledgeBase(session).centre()
    assert phrase(session, "centre.no_contacts").format(name=centre.name) in reply.text
    assert "Phone:" not in reply.text


def test_referral_centre_lists_only_filled_contact_fields(fresh_kb_url: str) -> None:
    with session_scope(fresh_kb_url) as session:
        centre = session.execute(select(Centre)).scalar_one()
        centre.phone, centre.email = "+7 000 000-00-00", "   "
    with session_scope(fresh_kb_url) as session:
        reply = compose_answer(session, "ask_referral_centre", [])
    assert "Phone: +7 000 000-00-00" in reply.text
    assert "Email:" not in reply.text and "Address:" not in reply.text


def test_the_handoff_points_to_the_centre_or_the_live_agent(session: Session) -> None:
    composer = Composer(KnowledgeBase(session))
    reply = composer.handoff(notified=False)
    assert phrase(session, "handoff") in reply.text
    assert KnowledgeBase(session).centre().name in reply.text
    assert reply.text.endswith(phrase(session, "handoff.paused"))
    notified = composer.handoff(notified=True)
    assert phrase(session, "handoff.notified") in notified.text
    assert phrase(session, "handoff") not in notified.paragraphs


def test_missing_phrases_never_break_an_answer(fresh_kb_url: str) -> None:
    with session_scope(fresh_kb_url) as session:
        session.execute(delete(Phrase))
    with session_scope(fresh_kb_url) as session:
        reply = compose_answer(session, "ask_antibodies", [("antibody", "yo")])
        assert entity(session, "antibody", "yo").description in reply.text
        assert compose_answer(session, "no_such_intent", []).text == ""


def test_emergency_number_comes_from_settings(fresh_kb_url: str) -> None:
    with session_scope(fresh_kb_url) as session:
        assert emergency_number(session) == "112"
    with session_scope(fresh_kb_url) as session:
        session.get(Setting, "emergency_number").value = "911"
    with session_scope(fresh_kb_url) as session:
        assert emergency_number(session) == "911"


def test_display_name_keeps_the_name_as_written() -> None:
    assert display_name(Entity(name="Hodgkin lymphoma")) == "Hodgkin lymphoma"
    assert display_name(Entity(name="Ovarian cancer")) == "Ovarian cancer"
    assert display_name(Entity(name="LEMS")) == "LEMS"
    assert display_name(Entity(name="anti-Yo antibody")) == "anti-Yo antibody"


def test_a_publication_is_listed_once_even_under_several_keys() -> None:
    from kb.answers import Reply
    from kb.models import Source

    reply = Reply()
    url = "https://pubmed.ncbi.nlm.nih.gov/34006622/"
    reply.add("a", [Source(key="g21", short="Graus 2021", url=url)])
    reply.add(
        "b",
        [
            Source(key="g21t", short="Graus 2021 (table)", url=url),
            Source(key="nord", short="NORD", url=None),
        ],
    )
    assert reply.text.endswith("Sources: Graus 2021; NORD.")
