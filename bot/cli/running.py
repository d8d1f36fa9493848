"""What every command shares: one-line failures, the settings, a database to act on."""

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

import click

from bot.config import ConfigError, Settings, load_settings
from bot.domain.clock import SystemClock
from bot.domain.errors import IncidentError
from bot.storage.migrate import upgrade
from bot.storage.store import Store

T = TypeVar("T")


def fail(message: str) -> NoReturn:
    """One line on stderr, exit 2: the operator's mistake or the world's, never a traceback."""
    click.echo(f"incident-bot: {message}", err=True)
    sys.exit(2)


def settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as error:
        fail(str(error))


def with_store(action: Callable[[Store], Awaitable[T]]) -> T:
    """Run an action on the database, bringing its schema up to date first."""
    config = settings()

    async def run() -> T:
        store = Store.from_url(config.database_url, clock=SystemClock().now)
        try:
            return await action(store)
        finally:
            await store.close()

    try:
        upgrade(config.database_url)
        return asyncio.run(run())
    except IncidentError as error:
        fail(str(error))
    except OSError as error:
        fail(f"database unavailable: {error}")
