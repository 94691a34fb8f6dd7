"""The review workflow: drafts are never served, nobody publishes their own text, history and
rollback — in each language on its own."""

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from kb import review, revisions
from kb.answers import compose_answer
from kb.db import session_scope
from kb.drafts import draft_records
from kb.errors import ContentError, ReviewError
from kb.exchange import Record
from kb.items import LiveContent, Ref, entity_ref, parse_ref
from kb.loader import Content, load_content
from kb.models import Revision
from kb.payloads import to_record
from kb.revisions import Change
from kb.vocabulary import terms

OVERVIEW = Ref("answer", ("ask_pns_overview",))
YO = entity_ref("antibody", "yo")


def fields(ref: Ref, payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in to_record(ref, payload).items() if k != "ref"}


def draft(
    url: str, ref: Ref, change: Callable[[dict[str, Any]], None], author: str = "alice"
) -> Revision:
    """Save a draft of ``ref`` made by applying ``change`` to its published fields."""
    with session_scope(url) as session:
        current = LiveContent(session).payload(ref) or {}
        new = fields(ref, current) if current else {}
        change(new)
        report = draft_records(session, [Record("test", ref, new)], Change(author, "edit"))
        return report.drafted[0]


def step(url: str, action: Callable[..., Any], *args: Any) -> Any:
    with session_scope(url) as session:
        return action(session, *args)


def reply(url: str, intent: str, entities=(), lang: str = "en") -> str:
    with session_scope(url) as session:
        return compose_answer(session, intent, list(entities), lang).text


def test_seed_content_is_recorded_as_published_by_seed(kb_url: str, seed_content: Content) -> None:
    with session_scope(kb_url) as session:
        published = revisions.published_revisions(session)
        assert set(published) == set(seed_content.items)
        assert {(r.author, r.action, r.published_by) for r in published.values()} == {
            ("seed", "seed", "seed")
        }
        assert all(revisions.payload(r) == seed_content.items[ref] for ref, r in published.items())
        assert not revisions.open_revisions(session)


def test_drafts_are_never_served_until_a_reviewer_publishes(fresh_kb_url: str) -> None:
    url = fresh_kb_url
    before = reply(url, "ask_pns_overview")
    with session_scope(url) as session:
        vocabulary = terms(session)
    draft(url, OVERVIEW, lambda f: f.update(text="A draft nobody reviewed."))
    draft(url, YO, lambda f: f.update(synonyms=f["synonyms"] + ["Yo-draft"]))
    assert reply(url, "ask_pns_overview") == before
    step(url, review.submit, OVERVIEW, "alice")
    assert reply(url, "ask_pns_overview") == before
    step(url, review.approve, OVERVIEW, "bob")
    assert reply(url, "ask_pns_overview") == before
    with session_scope(url) as session:
        assert terms(session) == vocabulary  # the NLU vocabulary ignores drafts too

    step(url, review.publish, [OVERVIEW], "bob")
    assert reply(url, "ask_pns_overview").startswith("A draft nobody reviewed.")


def test_an_author_cannot_approve_or_publish_their_own_change(fresh_kb_url: str) -> None:
    url = fresh_kb_url
    draft(url, OVERVIEW, lambda f: f.update(text="Self-published?"))
    with pytest.raises(ReviewError, match="cannot publish v2: it is draft"):
        step(url, review.publish, [OVERVIEW], "bob")
    step(url, review.submit, OVERVIEW, "alice")
    with pytest.raises(ReviewError, match="other than the author"):
        step(url, review.approve, OVERVIEW, "alice")
    with pytest.raises(ReviewError, match="other than the author"):
        step(url, review.approve, OVERVIEW, " Alice ")
    with pytest.raises(ReviewError, match="other than the author"):
        step(url, review.publish, [OVERVIEW], "alice")
    step(url, review.approve, OVERVIEW, "bob")
    with pytest.raises(ReviewError, match="other than the author"):
        step(url, review.publish, [OVERVIEW], "alice")
    assert "Self-published?" not in reply(url, "ask_pns_overview")
    published = step(url, review.publish, [OVERVIEW], "carol")[0]
    assert (published.author, published.reviewed_by, published.published_by) == (
        "alice",
        "bob",
        "carol",
    )


def test_publishing_a_change_in_review_approves_it_on_the_way(fresh_kb_url: str) -> None:
    draft(fresh_kb_url, OVERVIEW, lambda f: f.update(text="Reviewed and published at once."))
    step(fresh_kb_url, review.submit, OVERVIEW, "alice")
    published = step(fresh_kb_url, review.publish, [OVERVIEW], "bob")[0]
    assert published.reviewed_by == "bob" and published.status == "published"


def test_every_change_keeps_a_version_with_author_time_and_diff(fresh_kb_url: str) -> None:
    url = fresh_kb_url
    draft(url, YO, lambda f: f.update(synonyms=[s for s in f["synonyms"] if s != "CDR2L"]))
    step(url, review.submit, YO, "alice")
    step(url, review.publish, [YO], "bob")
    with session_scope(url) as session:
        history = revisions.versions(session, YO)
    assert [(r.version, r.status, r.author) for r in history] == [
        (1, "superseded", "seed"),
        (2, "published", "alice"),
    ]
    assert history[1].created_at is not None and history[1].published_at is not None
    changed = [line for line in history[1].diff.splitlines()[2:] if line[:1] in "+-"]
    assert changed == ["-- CDR2L"]


def test_editing_again_supersedes_the_open_change(fresh_kb_url: str) -> None:
    url = fresh_kb_url
    draft(url, OVERVIEW, lambda f: f.update(text="First try."))
    draft(url, OVERVIEW, lambda f: f.update(text="Second try."), author="bob")
    with session_scope(url) as session:
        history = revisions.versions(session, OVERVIEW)
        assert [(r.status, r.author) for r in history] == [
            ("published", "seed"),
            ("superseded", "alice"),
            ("draft", "bob"),
        ]
        assert "-text: First try." in history[2].diff and "+text: Second try." in history[2].diff
        assert revisions.open_revision(session, OVERVIEW).version == 3


def test_saving_unchanged_text_records_nothing(fresh_kb_url: str) -> None:
    with session_scope(fresh_kb_url) as session:
        payload = LiveContent(session).payload(YO)
        report = draft_records(
            session, [Record("test", YO, fields(YO, payload))], Change("alice", "edit")
        )
        assert not report.drafted and report.unchanged == [YO]


def test_rejecting_closes_a_change_without_publishing_it(fresh_kb_url: str) -> None:
    url = fresh_kb_url
    draft(url, OVERVIEW, lambda f: f.update(text="Wrong text."))
    step(url, review.submit, OVERVIEW, "alice")
    rejected = step(url, review.reject, OVERVIEW, "bob", "not supported by the sources")
    assert rejected.status == "rejected" and "not supported" in rejected.message
    with pytest.raises(ReviewError, match="no open change"):
        step(url, review.publish, [OVERVIEW], "bob")
    assert "Wrong text." not in reply(url, "ask_pns_overview")


def test_rollback_restores_a_published_version_as_a_new_one(fresh_kb_url: str) -> None:
    url = fresh_kb_url
    original = reply(url, "ask_pns_overview")
    draft(url, OVERVIEW, lambda f: f.update(text="A text that turns out wrong."))
    step(url, review.submit, OVERVIEW, "alice")
    step(url, review.publish, [OVERVIEW], "bob")
    assert reply(url, "ask_pns_overview") != original

    restored = step(url, review.rollback, OVERVIEW, 1, "carol")
    assert reply(url, "ask_pns_overview") == original
    assert (restored.version, restored.action, restored.author, restored.status) == (
        3,
        "rollback",
        "carol",
        "published",
    )
    assert "-text: A text that turns out wrong." in restored.diff
    with pytest.raises(ReviewError, match="already the published version"):
        step(url, review.rollback, OVERVIEW, 3, "carol")
    with pytest.raises(ContentError, match="no version 9"):
        step(url, review.rollback, OVERVIEW, 9, "carol")


def test_rollback_refuses_a_version_that_was_never_reviewed(fresh_kb_url: str) -> None:
    draft(fresh_kb_url, OVERVIEW, lambda f: f.update(text="Never reviewed."))
    with pytest.raises(ReviewError, match="never published"):
        step(fresh_kb_url, review.rollback, OVERVIEW, 2, "alice")


def test_a_change_made_against_an_older_version_cannot_overwrite_a_newer_one(
    fresh_kb_url: str,
) -> None:
    url = fresh_kb_url
    draft(url, OVERVIEW, lambda f: f.update(text="Version two."))
    step(url, review.submit, OVERVIEW, "alice")
    step(url, review.publish, [OVERVIEW], "bob")
    draft(url, OVERVIEW, lambda f: f.update(text="Based on version two."))  # v3, against v2
    step(url, review.rollback, OVERVIEW, 1, "carol")  # v4 goes live
    step(url, review.submit, OVERVIEW, "alice")
    with pytest.raises(ReviewError, match="went live since"):
        step(url, review.publish, [OVERVIEW], "bob")


def test_new_items_that_need_each_other_go_live_together(fresh_kb_url: str) -> None:
    url = fresh_kb_url
    source, entity = parse_ref("source:zic"), entity_ref("antibody", "zic4")
    answer = parse_ref("answer:ask_tests:antibody:zic4")
    records = [
        Record(
            "new.yml, line 1", source, {"short": "Zic paper", "citation": "A. Author. Zic4. 2020."}
        ),
        Record(
            "new.yml, line 4",
            entity,
            {
                "name": "anti-Zic4 antibody",
                "description": "A rare antibody.",
                "synonyms": ["Zic4"],
                "related": ["cancer:sclc"],
                "sources": ["zic"],
            },
        ),
        Record(
            "new.yml, line 9",
            answer,
            {"text": "It is found with a blood test.", "sources": ["zic"]},
        ),
    ]
    with session_scope(url) as session:
        draft_records(session, records, Change("alice", "import"), submit=True)
    assert "A rare antibody." not in reply(url, "ask_antibodies", [("antibody", "zic4")])
    with pytest.raises(ContentError, match="not in the content"):  # the answer alone cannot go live
        step(url, review.publish, [answer], "bob")
    step(url, review.publish, [source, entity, answer], "bob")
    assert "A rare antibody." in reply(url, "ask_antibodies", [("antibody", "zic4")])
    assert "It is found with a blood test." in reply(url, "ask_tests", [("antibody", "zic4")])


def test_publishing_refuses_a_synonym_another_entity_uses(fresh_kb_url: str) -> None:
    url = fresh_kb_url
    hu = entity_ref("antibody", "hu")
    draft(url, YO, lambda f: f.update(synonyms=f["synonyms"] + ["PCA-X"]))
    draft(url, hu, lambda f: f.update(synonyms=f["synonyms"] + ["pca x"]))  # fine alone
    step(url, review.submit, YO, "alice")
    step(url, review.submit, hu, "alice")
    with pytest.raises(ContentError, match="duplicate synonym 'pca x'"):
        step(url, review.publish, [YO, hu], "bob")
    step(url, review.publish, [YO], "bob")
    with pytest.raises(
        ContentError, match="duplicate synonym 'pca x': also used by entity:antibody:yo"
    ):
        step(url, review.publish, [hu], "bob")


def test_a_published_staff_edit_survives_a_seed_reload_unless_forced(
    fresh_kb_url: str, seed_content: Content
) -> None:
    url = fresh_kb_url
    draft(url, OVERVIEW, lambda f: f.update(text="Staff text."))
    step(url, review.submit, OVERVIEW, "alice")
    step(url, review.publish, [OVERVIEW], "bob")
    report = step(url, load_content, seed_content)
    assert report.kept_staff_edits == ["answer ask_pns_overview"]
    assert reply(url, "ask_pns_overview").startswith("Staff text.")
    report = step(url, lambda s: load_content(s, seed_content, force=True))
    assert report.updated == 1 and not reply(url, "ask_pns_overview").startswith("Staff text.")
    with session_scope(url) as session:
        latest = revisions.published(session, OVERVIEW)
        assert (latest.version, latest.author, latest.action) == (3, "seed", "seed")


def test_items_without_history_get_a_baseline_before_their_first_change(fresh_kb_url: str) -> None:
    with session_scope(fresh_kb_url) as session:
        session.query(Revision).delete()
    draft(fresh_kb_url, OVERVIEW, lambda f: f.update(text="Changed."))
    with session_scope(fresh_kb_url) as session:
        history = revisions.versions(session, OVERVIEW)
        assert [(r.version, r.status, r.author, r.action) for r in history] == [
            (1, "published", "seed", "baseline"),
            (2, "draft", "alice", "edit"),
        ]
        assert history[1].base_version == 1


@pytest.mark.parametrize("user", ["", "  ", None, "seed", "Unknown", "x" * 65])
def test_staff_must_say_who_they_are(fresh_kb_url: str, user) -> None:
    with pytest.raises(ReviewError):
        draft(fresh_kb_url, OVERVIEW, lambda f: f.update(text="Anonymous."), author=user)
    with session_scope(fresh_kb_url) as session:
        assert (
            session.scalar(select(func.count(Revision.id)).where(Revision.status == "draft")) == 0
        )


@pytest.mark.parametrize("status", ["published", "draft"])
def test_the_database_allows_one_published_and_one_open_version_per_item(
    fresh_kb_url: str, status: str
) -> None:
    def version(number: int) -> Revision:
        return Revision(
            item_ref="centre",
            version=number,
            status=status,
            action="edit",
            payload="{}",
            diff="",
            author="alice",
            created_at=revisions.now(),
        )

    with pytest.raises(IntegrityError):
        with session_scope(fresh_kb_url) as session:
            session.add_all([version(98), version(99)])


# --------------------------------------------------------------------------- per language

OVERVIEW_RU = OVERVIEW.in_lang("ru")


def test_each_language_version_is_reviewed_and_published_on_its_own(fresh_kb_url: str) -> None:
    url = fresh_kb_url
    english, russian = reply(url, "ask_pns_overview"), reply(url, "ask_pns_overview", lang="ru")
    draft(url, OVERVIEW_RU, lambda f: f.update(text="Новый текст обзора."))
    draft(url, OVERVIEW, lambda f: f.update(text="A new overview."), author="bob")
    # both languages have their own open change; neither is served
    assert reply(url, "ask_pns_overview", lang="ru") == russian
    assert reply(url, "ask_pns_overview") == english

    step(url, review.submit, OVERVIEW_RU, "alice")
    with pytest.raises(ReviewError, match="alice wrote v2"):  # four eyes in Russian too
        step(url, review.publish, [OVERVIEW_RU], "alice")
    step(url, review.approve, OVERVIEW_RU, "bob")
    step(url, review.publish, [OVERVIEW_RU], "bob")
    assert reply(url, "ask_pns_overview", lang="ru").startswith("Новый текст обзора.")
    assert reply(url, "ask_pns_overview") == english  # the English draft is still a draft
    with session_scope(url) as session:
        assert revisions.open_revision(session, OVERVIEW).author == "bob"
        history = revisions.versions(session, OVERVIEW_RU)
        assert [(r.version, r.status, r.action) for r in history] == [
            (1, "superseded", "seed"),
            (2, "published", "edit"),
        ]
        assert "+text: Новый текст обзора." in history[1].diff
        assert history[1].diff.startswith("--- answer:ask_pns_overview@ru v1")
        # the Russian item holds only its text; sources stay with the English item
        assert revisions.payload(history[1]) == {"text": "Новый текст обзора."}

    restored = step(url, review.rollback, OVERVIEW_RU, 1, "carol")
    assert (restored.version, restored.action) == (3, "rollback")
    assert reply(url, "ask_pns_overview", lang="ru") == russian


def test_a_russian_version_needs_its_english_item(fresh_kb_url: str) -> None:
    new = entity_ref("antibody", "zic4")
    with session_scope(fresh_kb_url) as session:
        with pytest.raises(ContentError, match=r"entity:antibody:zic4 \(the English item\)"):
            draft_records(
                session,
                [Record("t", new.in_lang("ru"), {"name": "анти-Zic4", "description": "Текст."})],
                Change("alice", "edit"),
            )
    # drafted together, they go live together (the English first)
    with session_scope(fresh_kb_url) as session:
        draft_records(
            session,
            [
                Record("t", new.in_lang("ru"), {"name": "анти-Zic4", "description": "Текст."}),
                Record("t", new, {"name": "anti-Zic4", "description": "Text.", "sources": ["g21"]}),
            ],
            Change("alice", "edit"),
            submit=True,
        )
    with session_scope(fresh_kb_url) as session:
        with pytest.raises(ContentError, match="the English item"):  # Russian alone: not live
            review.publish(session, [new.in_lang("ru")], "bob")
    step(fresh_kb_url, review.publish, [new, new.in_lang("ru")], "bob")
    with session_scope(fresh_kb_url) as session:
        assert LiveContent(session).payload(new.in_lang("ru")) == {
            "name": "анти-Zic4",
            "description": "Текст.",
            "synonyms": [],
        }
        assert ("antibody", "zic4", ("анти-Zic4",)) in [
            (t.kind, t.key, t.names) for t in terms(session, "ru")
        ]


def test_a_russian_synonym_is_recognised_only_after_publishing(fresh_kb_url: str) -> None:
    yo_ru = YO.in_lang("ru")
    draft(fresh_kb_url, yo_ru, lambda f: f["synonyms"].append("антитела Йо"))
    with session_scope(fresh_kb_url) as session:
        assert (
            "антитела Йо"
            not in dict(((t.kind, t.key), t.names) for t in terms(session, "ru"))[
                ("antibody", "yo")
            ]
        )
    step(fresh_kb_url, review.submit, yo_ru, "alice")
    step(fresh_kb_url, review.publish, [yo_ru], "bob")
    with session_scope(fresh_kb_url) as session:
        ru = {(t.kind, t.key): t.names for t in terms(session, "ru")}
        en = {(t.kind, t.key): t.names for t in terms(session)}
        assert "антитела Йо" in ru[("antibody", "yo")]
        assert "антитела Йо" not in en[("antibody", "yo")]
        assert not [n for n in en[("antibody", "yo")] if any("а" <= c <= "я" for c in n.lower())]


def test_language_refs_parse_and_print_back() -> None:
    assert str(parse_ref("answer:ask_tests@ru")) == "answer:ask_tests@ru"
    assert (
        parse_ref("answer:ask_tests@en")
        == parse_ref("answer:ask_tests")
        == Ref("answer", ("ask_tests",))
    )
    assert parse_ref("antibody:yo@RU") == YO.in_lang("ru")
    assert str(parse_ref("centre@ru")) == "centre@ru"
    with pytest.raises(ContentError, match="unknown language 'de'"):
        parse_ref("answer:ask_tests@de")
    with pytest.raises(ContentError, match="same in every language"):
        parse_ref("source:g21@ru")
    with pytest.raises(ContentError, match="same in every language"):
        parse_ref("setting:emergency_number@ru")
