"""`serve`: answer Slack; `demo`: one incident end to end against a local stand-in."""

import asyncio
import errno
import gc
import logging
import signal
from collections.abc import Awaitable
from typing import TYPE_CHECKING

import click
import uvloop

from bot.cli.running import fail, settings
from bot.config import ConfigError
from bot.storage.engine import DatabaseUnavailable
from bot.storage.migrate import upgrade

if TYPE_CHECKING:
    from bot.runtime import BotRuntime

log = logging.getLogger(__name__)


@click.command()
def serve() -> None:
    """Answer Slack on PORT at /slack/events (Socket Mode when SLACK_APP_TOKEN is set)."""
    gc.disable()  # until start-up is done, as for the imports in bot/__main__.py
    from bot.runtime import BotRuntime

    logging.getLogger("bot").setLevel(logging.INFO)
    config = settings()
    try:
        config.require_slack()
        upgrade(config.database_url)
        runtime = BotRuntime(config)
    except (ConfigError, DatabaseUnavailable) as error:
        fail(str(error))
    except Exception as error:  # whatever else stops the start: one line
        fail(f"cannot start: {_first_line(error)}")
    # uvloop: every database round trip and Slack request waits on the loop, and profiling
    # showed the default loop's selector bookkeeping in each; uvloop cut a log's CPU by a
    # tenth on PostgreSQL.
    problem = uvloop.run(run(runtime))
    if problem:
        fail(problem)


async def run(runtime: "BotRuntime") -> str | None:
    """Serve until SIGTERM or SIGINT, heard from the first moment: a stop asked for while
    starting (Slack slow to answer, say) stops at once. Returns why it could not start."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        if not await unless_stopped(stop, runtime.check_slack()):
            return None
        try:
            if not await unless_stopped(stop, runtime.start()):
                return None
        except OSError as error:
            return listening_problem(runtime.settings.port, error)
        # What start-up built lives as long as the process (it leaves no garbage to speak
        # of: a collection here freed nothing and took 0.1 s): moved out of the collector's
        # sight, a full collection under load no longer walks it (one stalled every command
        # in flight for about 100 ms).
        gc.freeze()
        gc.enable()
        log.info("listening on %s/slack/events", runtime.url)
        await stop.wait()
    except ConfigError as error:
        return str(error)
    finally:
        await runtime.stop()
    return None


async def unless_stopped(stop: asyncio.Event, work: Awaitable[object]) -> bool:
    """Run `work` to its end, unless `stop` is set first: then cancel it and return False."""
    doing, stopping = asyncio.ensure_future(work), asyncio.ensure_future(stop.wait())
    await asyncio.wait({doing, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not doing.done():
        doing.cancel()
        await asyncio.gather(doing, return_exceptions=True)
        return False
    doing.result()  # its failure, if it failed
    return True


def listening_problem(port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return f"PORT {port} is in use by another process: stop that, or set PORT to a free port"
    if error.errno == errno.EACCES:
        return f"PORT {port} needs privileges this process lacks: set PORT to 1024 or above"
    return f"cannot listen on PORT {port}: {error.strerror or error}"


def _first_line(error: Exception) -> str:
    said = str(error).strip().splitlines()
    return said[0] if said else type(error).__name__


@click.command()
def demo() -> None:
    """Play one incident end to end against a local stand-in of Slack; print the export."""
    from bot.demo import DemoError, run_demo

    try:
        asyncio.run(run_demo(click.echo))
    except DemoError as error:
        fail(str(error))
