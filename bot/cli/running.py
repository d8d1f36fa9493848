"""What every command shares: one-line failures, the settings, a database to act on."""

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

import click
from sqlalchemy.exc import DBAPIError

from bot.config import ConfigError, Settings, load_settings
from bot.domain.clock import SystemClock
from bot.domain.errors import IncidentError
from bot.logs import setup_logging
from bot.storage.engine import DatabaseUnavailable, unreachable
from bot.storage.migrate import SchemaBehind, require_current, upgrade
from bot.storage.store import Store

T = TypeVar("T")


def fail(message: str) -> NoReturn:
    """One line on stderr, exit 2: the operator's mistake or the world's, never a traceback."""
    click.echo(f"incident-bot: {message}", err=True)
    sys.exit(2)


def settings() -> Settings:
    """The settings, or one line naming the bad one. The log set-up follows them (again: a
    command may have changed a level since the process started)."""
    try:
        config = load_settings()
    except ConfigError as error:
        fail(str(error))
    setup_logging(config.log_level, config.log_format)
    return config


def with_store(action: Callable[[Store], Awaitable[T]], *, migrate: bool = False) -> T:
    """Run an action on the database. A command that only reads (the default) finds it at this
    release's schema or says what to run; one that writes (`migrate`) brings it up to date
    first. A database that is not there is never created here: `db upgrade` does that."""
    config = settings()
    url = config.database_url

    async def run() -> T:
        store = Store.from_url(url, clock=SystemClock().now)
        try:
            return await action(store)
        finally:
            await store.close()

    try:
        try:
            require_current(url)
        except SchemaBehind:
            if not migrate:
                raise
            upgrade(url)
    except DatabaseUnavailable as error:
        fail(str(error))
    try:
        return asyncio.run(run())
    except IncidentError as error:
        fail(str(error))
    except DatabaseUnavailable as error:
        fail(str(error))
    except DBAPIError as error:  # gone, or refusing, since the check
        fail(str(unreachable(url, error)))
    except OSError as error:
        fail(f"database unavailable: {error}")
