"""Cached answers: reused while nothing changed, recomposed as soon as anything did."""

from sqlalchemy import delete, select

from kb import review
from kb.answers import REPLY_CACHE, compose_answer
from kb.cache import content_version
from kb.db import session_scope
from kb.items import parse_ref
from kb.models import Answer, Entity, EntityLink, Phrase
from tests.test_review import draft, step


def answer_text(
    url: str, intent: str = "ask_syndrome", entities=(("syndrome", "lems"),), lang: str = "en"
) -> str:
    with session_scope(url) as session:
        return compose_answer(session, intent, list(entities), lang).text


def test_unchanged_content_is_served_from_the_cache(fresh_kb_url: str) -> None:
    first = answer_text(fresh_kb_url)
    hits = REPLY_CACHE.hits
    assert answer_text(fresh_kb_url) == first
    assert REPLY_CACHE.hits == hits + 1


def test_an_edited_answer_shows_at_once(fresh_kb_url: str) -> None:
    answer_text(fresh_kb_url, "ask_cause", ())
    with session_scope(fresh_kb_url) as session:
        session.execute(
            select(Answer).where(Answer.intent == "ask_cause", Answer.entity_id.is_(None))
        ).scalar_one().translation("ru").text = "Новый текст о причине."
    assert answer_text(fresh_kb_url, "ask_cause", (), "ru").startswith("Новый текст о причине.")
    assert not answer_text(fresh_kb_url, "ask_cause", (), "en").startswith("Новый")


def test_removed_links_and_phrases_change_the_version(fresh_kb_url: str) -> None:
    with session_scope(fresh_kb_url) as session:
        before = content_version(session)
        lems = session.execute(select(Entity).where(Entity.key == "lems")).scalar_one()
        session.execute(delete(EntityLink).where(EntityLink.from_id == lems.id))
        after_links = content_version(session)
        session.execute(delete(Phrase).where(Phrase.key == "linked.cancer"))
        after_phrase = content_version(session)
    assert len({before, after_links, after_phrase}) == 3


def test_drafts_are_not_served_and_a_publication_shows_at_once(fresh_kb_url: str) -> None:
    ref = parse_ref("answer:ask_prognosis")
    old = answer_text(fresh_kb_url, "ask_prognosis", ())
    draft(fresh_kb_url, ref, lambda item: item.update(text="Published outlook text."))
    assert answer_text(fresh_kb_url, "ask_prognosis", ()) == old  # a draft never reaches patients
    step(fresh_kb_url, review.submit, ref, "alice")
    step(fresh_kb_url, review.approve, ref, "bob")
    step(fresh_kb_url, review.publish, [ref], "bob")
    assert answer_text(fresh_kb_url, "ask_prognosis", ()).startswith("Published outlook text.")
