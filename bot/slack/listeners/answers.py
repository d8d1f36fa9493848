"""What a person is told when a request of theirs does not count: the one place where an
error becomes words. A refusal of the rules or a usage mistake is told as it is worded; the
same delivery again is recognised; anything unexpected is logged here with its traceback and
the person reads one plain sentence, never the traceback.

Each surface shows the answer its own way: a command in its ack, a click in an ephemeral
message, a form as an error under one of its fields."""

import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

from slack_bolt.async_app import AsyncAck, AsyncRespond

from bot.domain.errors import DuplicateDelivery, IncidentError
from bot.slack.parsing import FormErrors, UsageError
from bot.slack.render.text import cut

log = logging.getLogger(__name__)

T = TypeVar("T")

ALREADY_RECORDED = "Already recorded: Slack delivered this command twice."
FAILED = ("Something went wrong and nothing was recorded. Please try again; "
          "if it persists, tell the bot's operators.")
# Slack shows a form's error under its field in a line or two.
FORM_ERROR_LIMIT = 150


@dataclass(frozen=True)
class Refusal:
    """Why a request did not count, as the person who made it reads it."""

    text: str
    repeated: bool = False  # Slack delivered the same request again: the first one counted


async def attempt(work: Awaitable[T], *, what: str) -> T | Refusal:
    """Run `work`; what went wrong comes back as a Refusal. `what` names it in the log."""
    try:
        return await work
    except Exception as error:
        return refusal(error, what=what)


def refusal(error: Exception, *, what: str) -> Refusal:
    """The words for what went wrong; an unexpected error is logged, traceback and all."""
    if isinstance(error, DuplicateDelivery):
        return Refusal(ALREADY_RECORDED, repeated=True)
    if isinstance(error, UsageError):
        return Refusal(error.message())
    if isinstance(error, IncidentError):
        return Refusal(str(error))
    log.error("%s failed", what, exc_info=error)
    return Refusal(FAILED)


async def command_answer(work: Awaitable[str], *, what: str) -> str:
    """A command's ack: what it did, or why not."""
    answer = await attempt(work, what=what)
    return answer.text if isinstance(answer, Refusal) else answer


async def click_answer(respond: AsyncRespond | None, work: Awaitable[object], *,
                       what: str) -> str | None:
    """Run what a click asks; a refusal or failure is told to the clicker alone (and
    returned: None when the click counted, or was the same click again)."""
    answer = await attempt(work, what=what)
    if not isinstance(answer, Refusal) or answer.repeated:
        return None
    if respond is not None:
        await tell(respond, answer.text)
    return answer.text


async def form_answer(ack: AsyncAck, work: Awaitable[object], *, field: str, what: str) -> None:
    """Close the form when what it submits counts (or counted already); otherwise it stays
    open, the refusal under `field`."""
    answer = await attempt(work, what=what)
    if isinstance(answer, Refusal) and not answer.repeated:
        await ack(response_action="errors", errors={field: cut(answer.text, FORM_ERROR_LIMIT)})
        return
    await ack()


async def form_errors(ack: AsyncAck, errors: FormErrors) -> None:
    """A form filled in wrong stays open, each problem under its field."""
    await ack(response_action="errors", errors=errors.errors)


async def tell(respond: AsyncRespond, text: str) -> None:
    """An ephemeral answer to a click or shortcut; if Slack will not take it, the log keeps it."""
    try:
        await respond(text=text, response_type="ephemeral", replace_original=False)
    except Exception:
        log.warning("could not answer a click: %s", text)
