"""`serve`: answer Slack; `demo`: one incident end to end against a local stand-in."""

import asyncio
import gc
import logging
import signal

import click
import uvloop

from bot.cli.running import fail, settings
from bot.config import ConfigError
from bot.storage.migrate import upgrade


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
    except ConfigError as error:
        fail(str(error))
    except Exception as error:  # a broken template or unreachable database: one line
        fail(f"cannot start: {error}")

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        url = await runtime.start()
        # What start-up built lives as long as the process (it leaves no garbage to speak
        # of: a collection here freed nothing and took 0.1 s): moved out of the collector's
        # sight, a full collection under load no longer walks it (one stalled every command
        # in flight for about 100 ms).
        gc.freeze()
        gc.enable()
        logging.getLogger("bot").info("listening on %s/slack/events", url)
        await stop.wait()
        await runtime.stop()

    # uvloop: every database round trip and Slack request waits on the loop, and profiling
    # showed the default loop's selector bookkeeping in each; uvloop cut a log's CPU by a
    # tenth on PostgreSQL.
    uvloop.run(run())


@click.command()
def demo() -> None:
    """Play one incident end to end against a local stand-in of Slack; print the export."""
    from bot.demo import run_demo

    asyncio.run(run_demo(click.echo))
