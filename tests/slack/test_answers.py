"""What a person reads when their request does not count: the rules' refusal as worded, the
usage for a command written wrong, nothing new for the same delivery again, and one plain
sentence, never a traceback, when something breaks."""

import logging

from bot.domain.errors import DuplicateDelivery, IncidentError
from bot.services import incidents
from bot.slack.listeners.answers import (
    ALREADY_RECORDED,
    FAILED,
    Refusal,
    attempt,
    click_answer,
    form_answer,
)
from bot.slack.parsing import UsageError
from tests.support.world import BOB


async def failing(error: Exception) -> str:
    raise error


async def succeeding() -> str:
    return "Logged."


class Recorded:
    """Stands in for Bolt's ack or respond: keeps what it was given."""

    def __init__(self) -> None:
        self.calls: list[dict] = []

    async def __call__(self, **kwargs) -> None:
        self.calls.append(kwargs)


async def test_a_refusal_of_the_rules_is_told_as_worded():
    assert await attempt(failing(IncidentError("Only the commander may resolve.")), what="t") == \
        Refusal("Only the commander may resolve.")


async def test_a_command_written_wrong_is_told_how_to_write_it():
    refused = await attempt(failing(UsageError("No such service `db`.", "page")), what="t")
    assert isinstance(refused, Refusal)
    assert refused.text.startswith("No such service `db`.\nUsage:\n`/incident page")


async def test_the_same_delivery_again_is_recognised():
    assert await attempt(failing(DuplicateDelivery()), what="t") == \
        Refusal(ALREADY_RECORDED, repeated=True)


async def test_something_unexpected_is_logged_for_the_operators_and_never_shown(caplog):
    with caplog.at_level(logging.ERROR):
        refused = await attempt(failing(RuntimeError("password=hunter2 at db.py:12")), what="log")
    assert refused == Refusal(FAILED)
    assert "hunter2" not in refused.text and "Traceback" not in refused.text
    assert "log failed" in caplog.text and "hunter2" in caplog.records[-1].exc_text


async def test_a_click_tells_the_clicker_why_not_and_says_nothing_when_it_counted_or_repeated():
    respond = Recorded()
    assert await click_answer(respond, succeeding(), what="t") is None
    assert await click_answer(respond, failing(DuplicateDelivery()), what="t") is None
    assert respond.calls == []
    assert await click_answer(respond, failing(IncidentError("Already approved.")), what="t") == \
        "Already approved."
    assert respond.calls == [{"text": "Already approved.", "response_type": "ephemeral",
                              "replace_original": False}]


async def test_a_form_stays_open_with_the_refusal_under_its_field_cut_to_fit():
    ack = Recorded()
    await form_answer(ack, failing(IncidentError("Refused: " + "x" * 300)), field="reason", what="t")
    (answered,) = ack.calls
    assert answered["response_action"] == "errors"
    assert answered["errors"]["reason"].startswith("Refused: x") and len(answered["errors"]["reason"]) <= 150


async def test_a_form_closes_when_it_counted_or_counted_already():
    ack = Recorded()
    await form_answer(ack, succeeding(), field="reason", what="t")
    await form_answer(ack, failing(DuplicateDelivery()), field="reason", what="t")
    assert ack.calls == [{}, {}]


async def test_a_command_that_breaks_answers_one_plain_sentence(world, monkeypatch):
    channel = await world.declare()

    async def broken(*args, **kwargs):
        raise RuntimeError("connection reset by peer")

    monkeypatch.setattr(incidents, "log", broken)
    answer = await world.incident("log restarted pgbouncer", channel=channel, user=BOB)
    assert answer.json["text"] == FAILED
