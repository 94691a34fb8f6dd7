"""``python -m kb validate``: clean on the shipped content, and finds each kind of problem."""

from sqlalchemy import delete, select

from kb import review
from kb.contract import ENTITY_IDS
from kb.db import session_scope
from kb.drafts import draft_records
from kb.exchange import Record
from kb.items import LiveContent, entity_ref
from kb.models import Answer, Entity, Phrase, Revision, Setting, Synonym, entity_source
from kb.revisions import Change
from kb.validate import validate


def problems(url: str) -> list[str]:
    with session_scope(url) as session:
        return [str(p) for p in validate(session)]


def test_the_shipped_content_has_no_problems(kb_url: str) -> None:
    assert problems(kb_url) == []


def test_every_contract_id_has_an_entry_with_a_source(session) -> None:
    items = LiveContent(session).items()
    for kind, keys in ENTITY_IDS.items():
        for key in keys:
            assert items[entity_ref(kind, key)]["sources"], f"{kind}:{key}"


def test_missing_entries_are_reported(fresh_kb_url: str) -> None:
    with session_scope(fresh_kb_url) as session:
        session.execute(delete(Entity).where(Entity.key == "yo"))
        session.execute(
            delete(Answer).where(Answer.intent == "ask_prognosis", Answer.entity_id.is_(None))
        )
        session.execute(delete(Phrase).where(Phrase.key == "handoff"))
        session.execute(delete(Setting))
    found = problems(fresh_kb_url)
    for expected in (
        "entity:antibody:yo: contract id has no entry",
        "answer:ask_prognosis: knowledge intent has no general answer",
        "phrase:handoff: phrase used by the answers is missing",
        "setting:emergency_number: setting is missing",
    ):
        assert expected in found


def test_content_edited_around_the_workflow_is_reported(fresh_kb_url: str) -> None:
    with session_scope(fresh_kb_url) as session:
        lems = session.execute(select(Entity).where(Entity.key == "lems")).scalar_one()
        session.execute(delete(entity_source).where(entity_source.c.entity_id == lems.id))
        answer = session.execute(select(Answer).where(Answer.intent == "ask_cause")).scalar_one()
        answer.translation("en").text = "   "
        hu = session.execute(select(Entity).where(Entity.key == "hu")).scalar_one()
        hu.synonyms.append(Synonym(text="PCA-1"))  # anti-Yo's lab name
    found = problems(fresh_kb_url)
    assert "entity:syndrome:lems: needs at least one source key" in found
    assert "answer:ask_cause: 'text' must be non-empty text" in found
    assert (
        "entity:antibody:hu, entity:antibody:yo, entity:antibody:yo@ru: duplicate synonym 'pca 1'"
        in found
    )
    assert any(
        p.startswith("answer:ask_cause: live content differs from published v1") for p in found
    )


def test_open_changes_are_checked_before_anyone_publishes_them(fresh_kb_url: str) -> None:
    ref = entity_ref("syndrome", "lems")
    with session_scope(fresh_kb_url) as session:
        item = LiveContent(session).payload(ref)
        fields = {
            **item,
            "related": [f"{k}:{i}" for k, i in item["related"]] + ["cancer:brand_new"],
        }
        new_cancer = {"name": "Brand new", "description": "A draft.", "sources": ["g21"]}
        draft_records(
            session,
            [Record("t", entity_ref("cancer", "brand_new"), new_cancer), Record("t", ref, fields)],
            Change("alice", "import"),
        )
    assert problems(fresh_kb_url) == []  # the link resolves to a pending draft
    with session_scope(fresh_kb_url) as session:  # the new cancer's draft is dropped
        session.execute(delete(Revision).where(Revision.item_ref == "entity:cancer:brand_new"))
    found = problems(fresh_kb_url)
    assert found == [
        "entity:syndrome:lems: open v2: related cancer 'brand_new' is not in the content"
    ]


def test_stale_open_changes_are_reported(fresh_kb_url: str) -> None:
    ref = entity_ref("syndrome", "lems")

    def edit(description: str) -> None:
        with session_scope(fresh_kb_url) as session:
            item = LiveContent(session).payload(ref)
            fields = {
                **item,
                "related": [f"{k}:{i}" for k, i in item["related"]],
                "description": description,
            }
            draft_records(session, [Record("t", ref, fields)], Change("alice", "edit"), submit=True)

    edit("Version two.")
    with session_scope(fresh_kb_url) as session:
        review.publish(session, [ref], "bob")
    edit("Version three, against two.")
    with session_scope(fresh_kb_url) as session:
        review.rollback(session, ref, 1, "carol")  # v4 goes live
    assert problems(fresh_kb_url) == [
        "entity:syndrome:lems: open v3 was made against v2, but v4 is live: edit it again"
    ]


def test_an_answer_the_assistant_never_shows_is_reported(fresh_kb_url: str) -> None:
    from kb.models import AnswerText

    with session_scope(fresh_kb_url) as session:  # written around the workflow
        answer = Answer(intent="inform_condition")
        answer.texts = [
            AnswerText(lang="en", text="Tell your doctor."),
            AnswerText(lang="ru", text="Скажите своему врачу."),
        ]
        session.add(answer)
    found = problems(fresh_kb_url)
    assert "answer:inform_condition: the assistant never shows answers for this intent" in found


def test_every_item_lacking_a_language_is_reported_and_the_cli_exits_1(
    fresh_kb_url: str,
) -> None:
    from kb.cli import EXIT_PROBLEMS, main
    from kb.models import AnswerText, EntityText, PhraseText

    with session_scope(fresh_kb_url) as session:
        yo = session.execute(select(Entity).where(Entity.key == "yo")).scalar_one()
        cause = session.execute(
            select(Answer).where(Answer.intent == "ask_cause", Answer.entity_id.is_(None))
        ).scalar_one()
        handoff = session.execute(select(Phrase).where(Phrase.key == "handoff")).scalar_one()
        session.execute(
            delete(EntityText).where(EntityText.entity_id == yo.id, EntityText.lang == "ru")
        )
        session.execute(
            delete(AnswerText).where(AnswerText.answer_id == cause.id, AnswerText.lang == "ru")
        )
        session.execute(
            delete(PhraseText).where(PhraseText.phrase_id == handoff.id, PhraseText.lang == "ru")
        )
        linked = session.execute(
            select(PhraseText).join(Phrase).where(Phrase.key == "linked.cancer")
        ).scalars()
        next(p for p in linked if p.lang == "ru").text = "Опухоли: {names}."
    found = problems(fresh_kb_url)
    for expected in (
        "entity:antibody:yo@ru: contract id has no entry (Russian)",
        "answer:ask_cause@ru: knowledge intent has no general answer (Russian)",
        "phrase:handoff@ru: phrase used by the answers is missing (Russian)",
    ):
        assert expected in found, found
    assert any(p.startswith("phrase:linked.cancer@ru: unknown placeholder") for p in found)
    assert not [p for p in found if p.startswith(("entity:antibody:yo:", "answer:ask_cause:"))]
    assert main(["--database-url", fresh_kb_url, "validate"]) == EXIT_PROBLEMS
