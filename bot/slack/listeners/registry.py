"""Which handler answers which command request, looked up by the request's type.

`@handles(Log)` binds the handler's request parameter to `Log`: mypy checks each handler
against the one request type it is registered for."""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from bot.services.caller import Caller
from bot.slack.deps import Deps
from bot.slack.parsing import CommandRequest

R = TypeVar("R", bound=CommandRequest)
Handler = Callable[[Deps, Caller, R], Awaitable[str]]
"""Runs one request for the caller; returns the sentence the caller reads."""

# Each entry was checked against its key's type by `handles` when it was added.
_handlers: dict[type, Callable[[Deps, Caller, Any], Awaitable[str]]] = {}


def handles(kind: type[R]) -> Callable[[Handler[R]], Handler[R]]:
    def register(handler: Handler[R]) -> Handler[R]:
        if kind in _handlers:
            raise ValueError(f"{kind.__name__} is handled twice")
        _handlers[kind] = handler
        return handler

    return register


def handler_for(request: R) -> Handler[R]:
    return _handlers[type(request)]


def handled() -> set[type]:
    """Every request type with a handler."""
    return set(_handlers)
