"""The shipped seed content: complete per the contract, sourced, and safe."""

import re

import pytest

from kb.contract import ENTITY_IDS, KNOWLEDGE_INTENTS
from kb.loader import Content

PHONE_LIKE = re.compile(r"\+?\d[\d ()-]{6,}\d")


def test_every_contract_id_has_an_entry(seed_content: Content) -> None:
    for kind, ids in ENTITY_IDS.items():
        missing = [i for i in ids if (kind, i) not in seed_content.entities]
        assert not missing, f"{kind}: no content for {missing}"


def test_every_knowledge_intent_has_a_general_answer(seed_content: Content) -> None:
    missing = [i for i in KNOWLEDGE_INTENTS if (i, None) not in seed_content.answers]
    assert not missing


def test_every_entity_and_answer_is_sourced(seed_content: Content) -> None:
    for ref, item in seed_content.entities.items():
        assert item["sources"], ref
    for ref, item in seed_content.answers.items():
        assert item["sources"], ref


def test_sources_cite_no_copy_sites(seed_content: Content) -> None:
    copy_sites = (
        "uptodatefree",
        "medilib",
        "booksci",
        "pubcompare",
        "discovery.researcher.life",
        "clinowl",
        "tuskonus",
        "rhu-betpsy",
        "scribd",
        "vukou",
        "uofmhealthsparrow",
        "rspp.co.id",
        "ccjmprodcopy",
    )
    for key, source in seed_content.sources.items():
        assert not any(site in (source["url"] or "") for site in copy_sites), key


def test_no_invented_contact_details(seed_content: Content) -> None:
    texts = [item["description"] for item in seed_content.entities.values()]
    texts += [item["text"] for item in seed_content.answers.values()]
    texts += [item["text"] for item in seed_content.phrases.values()]
    for text in texts:
        assert not PHONE_LIKE.search(text), text[:80]
        assert "@" not in text and "http" not in text, text[:80]
    centre = seed_content.centre
    assert centre is not None
    for field in ("phone", "email", "address", "website", "hours"):
        assert centre[field] is None, f"centre {field} must be filled in by staff, not shipped"


def test_emergency_number_defaults_to_112(seed_content: Content) -> None:
    assert seed_content.settings["emergency_number"] == "112"


@pytest.mark.parametrize("kind", sorted(ENTITY_IDS))
def test_texts_are_short_plain_paragraphs(seed_content: Content, kind: str) -> None:
    for (k, key), item in seed_content.entities.items():
        if k != kind:
            continue
        for paragraph in item["description"].split("\n\n"):
            sentences = [s for s in re.split(r"(?<=[.!?])\s+", paragraph) if s]
            assert len(sentences) <= 6, f"{kind} {key}: paragraph too long"


def _texts(node: object) -> list[str]:
    """Every string in a parsed YAML tree (texts, names, synonyms...)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [t for value in node.values() for t in _texts(value)]
    if isinstance(node, list):
        return [t for value in node for t in _texts(value)]
    return []


def test_no_text_hard_codes_an_emergency_number() -> None:
    """Issue 13 item 2: the number comes from the KB setting through a placeholder, in both
    languages, and no text sends a patient to "your local emergency number"."""
    import yaml

    from kb.loader import CONTENT_DIR

    for path in sorted(CONTENT_DIR.rglob("*.yml")):
        if path.name in ("centre.yml", "sources.yml"):
            continue
        for text in _texts(yaml.safe_load(path.read_text(encoding="utf-8"))):
            assert not re.search(r"\b(112|103|911|999)\b", text), (path.name, text[:80])
            assert "local emergency number" not in text.lower(), (path.name, text[:80])


def test_russian_overlay_has_the_same_entities_and_answers() -> None:
    """A correction or new item lands in both languages (CONVENTIONS: Russian overlay)."""
    import yaml

    from kb.loader import CONTENT_DIR

    for path in sorted((CONTENT_DIR / "entities").glob("*.yml")):
        english = yaml.safe_load(path.read_text(encoding="utf-8"))["items"]
        russian = yaml.safe_load((CONTENT_DIR / "ru" / "entities" / path.name).read_text("utf-8"))
        ru_items = {i["id"]: i for i in russian["items"]}
        assert [i["id"] for i in english] == list(ru_items), path.name
        for item in english:
            en_answers = sorted(a["intent"] for a in item.get("answers") or [])
            ru_answers = sorted(a["intent"] for a in ru_items[item["id"]].get("answers") or [])
            assert en_answers == ru_answers, (path.name, item["id"])
    en = yaml.safe_load((CONTENT_DIR / "answers.yml").read_text("utf-8"))["answers"]
    ru = yaml.safe_load((CONTENT_DIR / "ru" / "answers.yml").read_text("utf-8"))["answers"]
    assert sorted((a["intent"], a.get("entity")) for a in en) == sorted(
        (a["intent"], a.get("entity")) for a in ru
    )
