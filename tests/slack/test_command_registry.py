"""Every request a slash command can make has exactly one handler, found by the request's type."""

from typing import get_args

import pytest

from bot.slack.listeners import handlers  # noqa: F401 - registers them
from bot.slack.listeners.registry import handled, handler_for, handles
from bot.slack.parsing import CommandRequest, Log, parse


def test_every_command_request_has_a_handler():
    assert handled() == set(get_args(CommandRequest))


def test_a_request_finds_the_handler_registered_for_its_type():
    assert handler_for(parse("log restarted pgbouncer")) is handlers.incident.log
    assert handler_for(parse("action done 2")) is handlers.follow_ups.done


def test_a_second_handler_for_the_same_request_is_refused():
    with pytest.raises(ValueError, match="Log is handled twice"):
        handles(Log)(handlers.incident.log)
