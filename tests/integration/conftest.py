"""The assistant with every channel on, shared by the channel tests (web, REST, Telegram,
MAX, VK).

One stack for all of them: starting `python -m bot run` takes about a minute. Telegram, MAX
and VK are enabled the way an operator enables them (environment variables), each pointed
at a local fake of its API. Tests of this stack must not stop it, and use conversation ids
of their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from kb.db import session_scope
from kb.models import Answer
from tests.integration.fake_max import FakeMaxApi
from tests.integration.fake_telegram import FakeTelegramApi
from tests.integration.fake_vk import FakeVkApi
from tests.integration.running import Assistant, start_assistant, stop_assistant

TELEGRAM_TOKEN = "123456:TEST-fake-bot-token"
TELEGRAM_SECRET = "integration-secret_0123456789"
TELEGRAM_WEBHOOK_URL = "https://pns.example.org/webhooks/telegram/webhook"
MAX_TOKEN = "max-integration-bot-token"
MAX_SECRET = "maxIntegrationSecret0123"
MAX_WEBHOOK_URL = "https://pns.example.org/webhooks/max/webhook"
VK_TOKEN = "vk-integration-community-token"
VK_GROUP = 4242
VK_SECRET = "vkIntegrationSecret42"
VK_CONFIRMATION = "c0nf1rm42"
#: Per-sender burst of this stack (the flood tests send one more; conversations stay below).
RATE_BURST = 10

#: Staff-written text with markup: it must reach patients as text, never as HTML.
STAFF_MARKUP = (
    'Edited by staff: <b>bold?</b> <img src="x" onerror="window.pnsInjected = 1">'
    "<script>window.pnsInjected = 2</script> More at https://example.org/pns-info."
)
OVERVIEW_QUESTION = "what is a paraneoplastic neurological syndrome?"


@dataclass
class Channels:
    """The running assistant and the fake messenger APIs it talks to."""

    assistant: Assistant
    telegram: FakeTelegramApi
    max: FakeMaxApi
    vk: FakeVkApi
    secret: str = TELEGRAM_SECRET


@pytest.fixture(scope="session")
def channels(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Channels]:
    telegram = FakeTelegramApi(TELEGRAM_TOKEN).start()
    max_api = FakeMaxApi(MAX_TOKEN).start()
    vk_api = FakeVkApi(VK_TOKEN).start()
    assistant = start_assistant(
        tmp_path_factory.mktemp("channels"),
        {
            "PNS_TELEGRAM_TOKEN": TELEGRAM_TOKEN,
            "PNS_TELEGRAM_SECRET": TELEGRAM_SECRET,
            "PNS_TELEGRAM_API_URL": telegram.url,
            "PNS_TELEGRAM_WEBHOOK_URL": TELEGRAM_WEBHOOK_URL,
            "PNS_MAX_TOKEN": MAX_TOKEN,
            "PNS_MAX_SECRET": MAX_SECRET,
            "PNS_MAX_API_URL": max_api.url,
            "PNS_MAX_WEBHOOK_URL": MAX_WEBHOOK_URL,
            "PNS_VK_TOKEN": VK_TOKEN,
            "PNS_VK_GROUP_ID": str(VK_GROUP),
            "PNS_VK_SECRET": VK_SECRET,
            "PNS_VK_CONFIRMATION": VK_CONFIRMATION,
            "PNS_VK_API_URL": f"{vk_api.url}/method",
            "PNS_RATE_BURST": str(RATE_BURST),
        },
    )
    yield Channels(assistant, telegram, max_api, vk_api)
    stop_assistant(assistant)
    telegram.stop()
    max_api.stop()
    vk_api.stop()


@pytest.fixture()
def staff_markup_answer(channels: Channels) -> Iterator[str]:
    """The general PNS overview answer replaced by :data:`STAFF_MARKUP` while the test runs."""
    with session_scope(channels.assistant.db_url) as session:
        answer = session.execute(
            select(Answer).where(Answer.intent == "ask_pns_overview", Answer.entity_id.is_(None))
        ).scalar_one()
        original = {row.lang: row.text for row in answer.texts}
        for row in answer.texts:  # both languages: whichever the channel's user is answered in
            row.text = STAFF_MARKUP
    yield STAFF_MARKUP
    with session_scope(channels.assistant.db_url) as session:
        answer = session.execute(
            select(Answer).where(Answer.intent == "ask_pns_overview", Answer.entity_id.is_(None))
        ).scalar_one()
        for row in answer.texts:
            row.text = original[row.lang]
