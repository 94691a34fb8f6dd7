"""The full rebuild from the staff admin, with real training (`make test-rebuild`, 5–15 min;
not in `make test`): a synonym published in the browser is unknown to the running model,
the Rebuild button retrains while the old model keeps answering, and then the bot
recognises the synonym. Afterwards the synonym is rolled back and the model rebuilt again
(no training: that model exists), which leaves the project's spaCy pipeline as it was.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.integration.running import Assistant, start_assistant, stop_assistant
from tests.integration.test_admin import (  # noqa: F401
    REBUILD_TIMEOUT_MS,
    admin_cli,
    approve,
    browser,
    login,
    logout,
    page,
    roll_back_to,
)

pytestmark = [pytest.mark.integration, pytest.mark.rebuild]

SYNONYM = "zorblax antibody"
TRAIN_TIMEOUT_MS = 45 * 60_000  # a loaded 2-core machine


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    running = start_assistant(tmp_path_factory.mktemp("rebuild"))
    for name, role in (("ann", "editor"), ("rita", "reviewer")):
        assert admin_cli(running, "create-user", name, "--role", role).returncode == 0
    yield running
    stop_assistant(running)


def recognised(assistant: Assistant) -> list[tuple[str, str]]:
    return [(e["entity"], e["value"]) for e in assistant.parse(f"what is {SYNONYM}?")["entities"]]


def rebuild(page: Page, assistant: Assistant, timeout: int) -> None:
    page.goto(assistant.web_url + "/admin/model")
    page.get_by_role("button", name="Rebuild and reload the model").click()
    expect(page.locator("#job-result")).to_contain_text("is serving", timeout=timeout)


def test_a_published_synonym_is_recognised_after_a_rebuild(
    assistant: Assistant, page: Page
) -> None:
    ref = "entity:antibody:yo"
    assert ("antibody", "yo") not in recognised(assistant)
    login(page, assistant, "ann")
    page.goto(f"{assistant.web_url}/admin/item/{ref}")
    synonyms = page.locator("#f-synonyms")
    synonyms.fill(synonyms.input_value() + "\n" + SYNONYM)
    page.get_by_role("button", name="Save and submit for review").click()
    logout(page)
    approve(page, assistant, ref, SYNONYM)
    page.goto(assistant.web_url + "/admin/model")
    expect(page.get_by_test_id("model-state")).to_contain_text("needs retraining")

    rebuild(page, assistant, TRAIN_TIMEOUT_MS)
    page.reload()
    expect(page.get_by_test_id("model-state")).to_contain_text("up to date")
    assert ("antibody", "yo") in recognised(assistant)

    roll_back_to(page, assistant, ref, 1)
    rebuild(page, assistant, REBUILD_TIMEOUT_MS)
    assert ("antibody", "yo") not in recognised(assistant)
