from tests.integration.conversation_checks import check_conversation


def user(text):
    return {"event": "user", "text": text}


BOT = {"event": "bot", "text": "answer"}
LISTEN = {"event": "action", "name": "action_listen"}
ACT = {"event": "action", "name": "action_answer"}


def test_whole_conversation_passes() -> None:
    events = [
        {"event": "action", "name": "action_session_start"},
        LISTEN,
        user("a"),
        ACT,
        BOT,
        LISTEN,
        user("b"),
        ACT,
        BOT,
        LISTEN,
    ]
    assert check_conversation(events, ["a", "b"]).ok


def test_lost_duplicated_and_interleaved_turns_are_found() -> None:
    # two turns processed at once: the second user message arrives before the first answer
    events = [user("a"), user("b"), ACT, BOT, LISTEN, ACT, BOT, LISTEN, user("b"), ACT, BOT, LISTEN]
    check = check_conversation(events, ["a", "b", "c"])
    assert check.lost == ["c"]
    assert check.duplicated == ["b"]
    assert check.interleaved == ["a"]
    assert not check.ok


def test_turn_without_answer_counts_as_garbled() -> None:
    assert check_conversation([user("a"), ACT, LISTEN], ["a"]).interleaved == ["a"]
