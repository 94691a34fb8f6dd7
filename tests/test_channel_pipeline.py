"""The shared input path (bot/channels/pipeline.py) and the channels' own parts that need
no server: the same table of bad inputs through all five channels' ``admit``, the
language of channel texts, and how MAX and VK read their events and write buttons.

The end-to-end versions (real Rasa and action servers, fake platform APIs) are in
tests/integration/test_channel_inputs.py, test_max.py and test_vk.py.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from rasa.core.channels.channel import CollectingOutputChannel

from bot.channels.limits import ChatMessage, RequestError
from bot.channels.max import MaxEvent, MaxInput, inline_keyboard, parse_update
from bot.channels.messaging import RecentKeys, SenderOrder, paragraphs, secret_matches
from bot.channels.pipeline import InputPipeline, TurnOutput, unavailable_reply
from bot.channels.rate_limit import RateLimiter
from bot.channels.rest import LimitedRestInput
from bot.channels.socketio import SessionSocketIOInput
from bot.channels.telegram import SecretTelegramInput
from bot.channels.texts import (
    TOO_LONG,
    TOO_MANY,
    UNAVAILABLE,
    message_language,
    privacy_notice,
)
from bot.channels.vk import VkInput, keyboard, parse_event, random_id
from tests.channel_inputs import CLEANED, TEXT_INPUTS, WITH_CONTROL_CHARACTERS, BadInput, flood
from tests.integration.fake_max import bot_started, message_callback, message_created
from tests.integration.fake_vk import message_new

GROUP, VK_SECRET = 77, "vk-secret"

# ---- each channel's own payload around a text, and its admit() --------------------------

Admit = Callable[[str, int], Any]


def socketio(channel: SessionSocketIOInput) -> Admit:
    return lambda text, n: channel.admit({"session_id": f"sio-{n}", "message": text})


def telegram(channel: SecretTelegramInput) -> Admit:
    def admit(text: str, n: int) -> Any:
        update = {
            "update_id": n,
            "message": {"chat": {"id": n}, "text": text, "from": {"id": n, "language_code": "en"}},
        }
        return channel.admit(update)

    return admit


def max_(channel: MaxInput) -> Admit:
    def admit(text: str, n: int) -> Any:
        event = parse_update(message_created(n, text))
        assert event is not None
        return channel.admit(event, f"max-{n}")

    return admit


def vk(channel: VkInput) -> Admit:
    def admit(text: str, n: int) -> Any:
        event = parse_event(message_new(GROUP, VK_SECRET, n, text))
        assert event is not None
        return channel.admit(event, f"vk-{n}")

    return admit


def channels() -> dict[str, tuple[Admit, InputPipeline]]:
    """Fresh channel objects (fresh rate limits), as Rasa builds them from credentials."""
    rest_channel = LimitedRestInput()
    sio = SessionSocketIOInput()
    tg = SecretTelegramInput("1:abc", "secret-token")
    mx = MaxInput("max-token", "max-secret")
    vk_channel = VkInput("vk-token", GROUP, VK_SECRET, "confirm-me")
    return {
        "rest": (
            lambda text, n: rest_channel.admit({"sender": f"r-{n}", "message": text}),
            rest_channel.pipeline,
        ),
        "socketio": (socketio(sio), sio.pipeline),
        "telegram": (telegram(tg), tg.pipeline),
        "max": (max_(mx), mx.pipeline),
        "vk": (vk(vk_channel), vk_channel.pipeline),
    }


CHANNELS = ["rest", "socketio", "telegram", "max", "vk"]
TOLD = {"too_long": TOO_LONG["en"], "too_many": TOO_MANY["en"], None: None}


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("row", TEXT_INPUTS, ids=lambda r: r.name)
def test_every_channel_refuses_a_bad_text_with_the_same_status(channel: str, row: BadInput) -> None:
    admit, pipeline = channels()[channel]
    assert row.text is not None
    refused = admit(row.text, 101)
    assert isinstance(refused, RequestError)
    assert refused.status == row.status
    assert pipeline.refusal_reply(refused, "someone", "hello", {"lang": "en"}) == TOLD[row.told]


@pytest.mark.parametrize("channel", CHANNELS)
def test_every_channel_cuts_a_flood_off_after_the_burst_and_says_so_once(channel: str) -> None:
    admit, pipeline = channels()[channel]
    row = flood()
    results = [admit(row.text or "", 202) for _ in range(row.repeat)]
    assert all(isinstance(r, ChatMessage) for r in results[:-1])
    refused = results[-1]
    assert isinstance(refused, RequestError) and refused.status == row.status
    assert refused.retry_after and refused.retry_after >= 1
    sender = "max-202" if channel == "max" else "vk-202" if channel == "vk" else "202"
    assert pipeline.refusal_reply(refused, sender, "hello", None) == TOO_MANY["en"]
    assert pipeline.refusal_reply(refused, sender, "hello", None) is None  # once per flood
    assert admit("hello", 203) is not None  # another sender is not affected
    assert isinstance(admit("hello", 203), ChatMessage)


@pytest.mark.parametrize("channel", CHANNELS)
def test_every_channel_cleans_control_characters(channel: str) -> None:
    admit, _ = channels()[channel]
    message = admit(WITH_CONTROL_CHARACTERS, 303)
    assert isinstance(message, ChatMessage) and message.text == CLEANED


def test_telegram_max_and_vk_pass_the_users_language_as_a_hint() -> None:
    tg = SecretTelegramInput("1:abc", "secret-token")
    update = {
        "update_id": 1,
        "message": {"chat": {"id": 9}, "text": "hi", "from": {"language_code": "ru-RU"}},
    }
    assert tg.admit(update).metadata == {"lang": "ru"}  # type: ignore[union-attr]
    update["message"]["from"]["language_code"] = "de"  # type: ignore[index]
    assert tg.admit(update).metadata is None  # type: ignore[union-attr]
    mx = MaxInput("max-token", "max-secret")
    event = parse_update(message_created(9, "hi", locale="ru"))
    assert event and mx.admit(event, "max-9").metadata == {"lang": "ru"}  # type: ignore[union-attr]
    vk_channel = VkInput("t", GROUP, VK_SECRET, "c")
    vk_event = parse_event(message_new(GROUP, VK_SECRET, 9, "hi", lang_id=0))
    assert vk_event and vk_channel.admit(vk_event, "vk-9").metadata == {"lang": "ru"}  # type: ignore[union-attr]
    rest_message = LimitedRestInput().admit(
        {"sender": "a", "message": "hi", "metadata": {"lang": "en"}}
    )
    assert rest_message.metadata == {"lang": "en"}  # type: ignore[union-attr]


def test_a_socketio_event_over_the_body_limit_or_not_an_object_is_refused() -> None:
    sio = SessionSocketIOInput()
    assert sio.admit("not an object").status == 400  # type: ignore[union-attr]
    huge = sio.admit({"session_id": "s", "message": "hi", "metadata": {"pad": "a" * 70_000}})
    assert isinstance(huge, RequestError) and huge.status == 413


# ---- language and texts ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "metadata", "lang"),
    [
        ("what is LEMS?", None, "en"),
        ("что такое ЛЭМС?", None, "ru"),
        ("что такое LEMS?", None, "ru"),  # more Cyrillic than Latin letters
        ("anti-Yo antibody это", None, "en"),  # more Latin
        ("anti-Yo это что", None, "ru"),  # a tie: Russian, the default
        ("what is LEMS?", {"lang": "ru"}, "ru"),  # the user's setting wins
        ("что такое ЛЭМС?", {"lang": "en-US"}, "en"),
        ("что такое ЛЭМС?", {"lang": "de"}, "ru"),  # an unknown hint is no hint
        ("what", {"lang": 3}, "en"),
        ("/start", None, "ru"),  # a command is not the user's words: the default
        ('/give_feedback{"helpful": "yes"}', None, "ru"),
        ("???", None, "ru"),
        ("", None, "ru"),
        (None, None, "ru"),
    ],
)
def test_message_language(text: str | None, metadata: dict | None, lang: str) -> None:
    assert message_language(text, metadata) == lang


def test_the_unavailable_reply_is_in_the_messages_language() -> None:
    assert unavailable_reply(ChatMessage("a", "what is LEMS?", None)) == UNAVAILABLE["en"]
    assert unavailable_reply(ChatMessage("a", "что такое ЛЭМС?", None)) == (
        "Извините, помощник временно недоступен. Пожалуйста, попробуйте ещё раз через несколько "
        "минут. Если вас беспокоят новые симптомы или ухудшение состояния, пожалуйста, "
        "обратитесь к вашему врачу."
    )


def test_the_privacy_notice_is_kb_wording_in_both_languages() -> None:
    english, russian = privacy_notice("en"), privacy_notice("ru")
    assert "name" in english and "phone number" in english and "documents" in english
    assert "имя" in russian and "номер телефона" in russian and "документов" in russian
    assert privacy_notice("de") == russian  # the default language
    assert "{" not in english + russian


# ---- turn output, dedupe, ordering, text splitting ---------------------------------------


async def test_turn_output_counts_what_it_passes_on() -> None:
    target = CollectingOutputChannel()
    turn = TurnOutput(target)
    await turn.send_response("a", {"text": "one"})
    await turn.send_text_message("a", "two")
    assert turn.sent == 2 and [m["text"] for m in target.messages] == ["one", "two"]
    assert turn.name() == target.name()


def test_recent_keys_remember_a_bounded_number() -> None:
    keys = RecentKeys(size=2)
    assert keys.first_time("a") and not keys.first_time("a")
    assert keys.first_time("b") and keys.first_time("c")
    assert keys.first_time("a")  # forgotten: the oldest went first


async def test_sender_order_runs_one_senders_events_in_arrival_order() -> None:
    order, seen = SenderOrder(), []

    async def work(name: str, delay: float) -> None:
        await asyncio.sleep(delay)
        seen.append(name)

    order.start("u1", work("first", 0.2))
    order.start("u1", work("second", 0.0))
    order.start("u2", work("other", 0.05))
    await asyncio.sleep(0)
    await order.drain()
    assert seen.index("first") < seen.index("second")
    assert seen.index("other") < seen.index("first")  # another sender does not wait
    assert order._locks == {}


async def test_sender_order_logs_a_failing_event_and_goes_on() -> None:
    order, seen = SenderOrder(), []

    async def boom() -> None:
        raise RuntimeError("boom")

    async def fine() -> None:
        seen.append("fine")

    order.start("u", boom())
    order.start("u", fine())
    await asyncio.sleep(0)
    await order.drain()
    assert seen == ["fine"]


def test_paragraphs_split_and_cut_at_spaces() -> None:
    assert paragraphs("one\n\n two \n\n\n\nthree", 100) == ["one", "two", "three"]
    assert paragraphs("aaa bbb ccc", 7) == ["aaa bbb", "ccc"]
    assert paragraphs("x" * 10, 4) == ["xxxx", "xxxx", "xx"]
    assert paragraphs("", 10) == []


def test_secrets_match_only_exactly() -> None:
    assert secret_matches("s3cret", "s3cret")
    for wrong in ("", "s3cre", "s3crets", None, 5, "S3CRET"):
        assert not secret_matches(wrong, "s3cret")
    assert not secret_matches("", "")


# ---- MAX ---------------------------------------------------------------------------------


def test_max_updates_are_read_as_the_documentation_describes() -> None:
    start = parse_update(bot_started(5, locale="ru"))
    assert start and (start.kind, start.user_id, start.text, start.locale) == (
        "start",
        5,
        None,
        "ru",
    )
    message = parse_update(message_created(5, "hi", mid="mid.1"))
    assert message == MaxEvent("message", 5, "hi", None, "en", "mid:mid.1")
    press = parse_update(message_callback(5, "/affirm", "cb-1"))
    assert press == MaxEvent("button", 5, "/affirm", "cb-1", "en", "cb:cb-1")
    assert parse_update(message_created(5, "hi", chat_type="chat")) is None  # group chats: no
    assert parse_update({"update_type": "message_edited", "timestamp": 1}) is None
    assert parse_update({"update_type": "bot_started", "user": {"user_id": "5"}}) is None
    assert parse_update({}) is None
    bot = message_created(5, "hi")
    bot["message"]["sender"]["is_bot"] = True
    assert parse_update(bot) is None
    sticker = message_created(5, "x")
    del sticker["message"]["body"]["text"]
    assert parse_update(sticker).text is None  # type: ignore[union-attr]


def test_max_buttons_are_callback_buttons_one_per_row() -> None:
    long_payload = "/inform" + json.dumps({"x": "y" * 2000})
    board = inline_keyboard(
        [{"title": "Yes", "payload": "/affirm"}, {"title": "Long", "payload": long_payload}]
    )
    assert board == {
        "type": "inline_keyboard",
        "payload": {
            "buttons": [
                [{"type": "callback", "text": "Yes", "payload": "/affirm"}],
                [{"type": "callback", "text": "Long", "payload": "Long"}],
            ]
        },
    }


@pytest.mark.parametrize("secret", ["", "abcd", "has space", "ünï-code", "x" * 257])
def test_max_refuses_to_start_without_a_usable_secret(secret: str) -> None:
    with pytest.raises(ValueError):
        MaxInput("token", secret)


# ---- VK ----------------------------------------------------------------------------------


def test_vk_events_are_read_as_the_documentation_describes() -> None:
    start = parse_event(message_new(GROUP, VK_SECRET, 5, "Начать", {"command": "start"}, lang_id=0))
    assert start and (start.kind, start.peer_id, start.lang) == ("start", 5, "ru")
    press = parse_event(message_new(GROUP, VK_SECRET, 5, "Yes", {"p": "/affirm"}))
    assert press and (press.kind, press.text, press.lang) == ("message", "/affirm", "en")
    typed = parse_event(message_new(GROUP, VK_SECRET, 5, "what is LEMS?", lang_id=1))
    assert typed and (typed.text, typed.lang) == ("what is LEMS?", None)
    assert parse_event(message_new(GROUP, VK_SECRET, 2_000_000_001, "hi")) is None  # a chat
    assert parse_event({"type": "message_reply", "object": {}}) is None
    assert parse_event({"type": "message_new", "object": "x"}) is None
    event = message_new(GROUP, VK_SECRET, 5, "hi")
    assert parse_event(event).key == event["event_id"]  # type: ignore[union-attr]
    odd = message_new(GROUP, VK_SECRET, 5, "hi", None)
    odd["object"]["message"]["payload"] = "{not json"
    assert parse_event(odd).text == "hi"  # type: ignore[union-attr]


def test_vk_buttons_carry_the_rasa_payload_within_vks_limits() -> None:
    board = keyboard(
        [
            {"title": "Yes", "payload": "/affirm"},
            {"title": "A very long title that does not fit in forty", "payload": "x" * 300},
        ]
    )
    assert board["inline"] is True
    first, second = (row[0]["action"] for row in board["buttons"])
    assert first == {"type": "text", "label": "Yes", "payload": '{"p": "/affirm"}'}
    assert len(second["label"]) == 40 and "payload" not in second


def test_vk_random_ids_are_stable_per_event_and_position() -> None:
    ids = {random_id("ev1", i) for i in range(50)}
    assert len(ids) == 50 and all(0 < i < 2**31 for i in ids)
    assert random_id("ev1", 3) == random_id("ev1", 3) != random_id("ev2", 3)


def test_vk_checks_community_and_secret() -> None:
    channel = VkInput("t", GROUP, VK_SECRET, "c")
    assert channel.authentic({"group_id": GROUP, "secret": VK_SECRET})
    assert not channel.authentic({"group_id": GROUP + 1, "secret": VK_SECRET})
    assert not channel.authentic({"group_id": GROUP, "secret": "wrong"})
    assert not channel.authentic({"group_id": GROUP})
    with pytest.raises(ValueError):
        VkInput("t", GROUP, "", "c")
    with pytest.raises(ValueError):
        VkInput("t", 0, VK_SECRET, "c")


def test_the_rate_limit_refills_and_a_new_flood_is_told_again() -> None:
    now = [1000.0]
    pipeline = InputPipeline("test", RateLimiter(burst=2, per_minute=60, clock=lambda: now[0]))
    assert isinstance(pipeline.admit("s", "a"), ChatMessage)
    assert isinstance(pipeline.admit("s", "b"), ChatMessage)
    refused = pipeline.admit("s", "c")
    assert isinstance(refused, RequestError) and refused.kind == "too_many"
    assert pipeline.refusal_reply(refused, "s", "c") == TOO_MANY["en"]
    assert pipeline.refusal_reply(refused, "s", "привет") is None  # told already
    now[0] += 1.5
    assert isinstance(pipeline.admit("s", "d"), ChatMessage)  # refilled
    again = pipeline.admit("s", "е")
    assert isinstance(again, RequestError)
    assert pipeline.refusal_reply(again, "s", "привет") == TOO_MANY["ru"]  # a new flood


def test_vk_outputs_outside_a_turn_never_share_random_ids() -> None:
    channel = VkInput("t", GROUP, VK_SECRET, "c")
    first, second = channel.get_output_channel(), channel.get_output_channel()
    assert random_id(first.event_key, 0) != random_id(second.event_key, 0)


def test_vk_settings_need_a_numeric_community_id() -> None:
    settings = {"access_token": "t", "secret": VK_SECRET, "confirmation": "c"}
    assert VkInput.from_credentials({**settings, "group_id": "77"}).group_id == 77  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="numeric"):
        VkInput.from_credentials({**settings, "group_id": "club77"})
