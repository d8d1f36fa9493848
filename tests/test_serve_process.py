"""`incident-bot serve` as a real process: answers Slack, and survives kill -9 with posts owed."""

import asyncio
import os
import signal
import socket
import sys

import aiohttp
import pytest

from bot.domain.clock import SystemClock
from bot.outbound.lanes import Outbox
from bot.standin.slack_api import FakeSlackAPI
from bot.standin.slack_sender import SlackSender
from bot.storage.store import Store
from tests.support.waiting import eventually

SECRET = "serve-test-secret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def start_serve(env: dict) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)

    async def healthy() -> bool:
        try:
            async with aiohttp.ClientSession() as session, \
                    session.get(f"http://127.0.0.1:{env['PORT']}/healthz") as response:
                return response.status == 200
        except aiohttp.ClientError:
            return False

    await eventually(healthy, timeout=30)
    return process


@pytest.mark.parametrize("slack_trouble", ["answering 503", "call in flight at the kill"])
async def test_serve_survives_kill_9_and_delivers_what_it_owed_once(database_url, tmp_path,
                                                                    slack_trouble):
    in_flight = slack_trouble == "call in flight at the kill"
    async with FakeSlackAPI() as slack:
        slack.add_user("U0ALICE", "alice")
        ops = slack.add_channel("ops", creator="U0ALICE", members=["U0ALICE"])
        port = free_port()
        env = {**os.environ, "SLACK_BOT_TOKEN": slack.bot_token, "SLACK_SIGNING_SECRET": SECRET,
               "SLACK_API_URL": slack.url, "DATABASE_URL": database_url, "PORT": str(port),
               "EXPORT_DIR": str(tmp_path / "incidents"), "RUNBOOKS_DIR": str(tmp_path),
               "SLACK_TIMEOUT": "30s" if in_flight else "1s"}
        sender = SlackSender(events_url=f"http://127.0.0.1:{port}/slack/events",
                             signing_secret=SECRET, api=slack)
        serve = await start_serve(env)
        try:
            answer = await sender.slash("/incident", "declare sev1 kill-test", user="U0ALICE", channel=ops)
            assert answer.json["text"].startswith("INC-1 declared")

            async def opened() -> bool:
                channel = slack.channel_by_name("inc-1-kill-test")
                return channel is not None and bool(slack.pins.get(channel.id))

            await eventually(opened, timeout=15)
            channel = slack.channel_by_name("inc-1-kill-test").id
            if in_flight:
                # Slack takes 3 s to answer; the process dies mid-call and the post lands anyway.
                slack.fault("chat.postMessage", delay=3)
            else:
                slack.outage(status=503)
            answer = await sender.slash("/incident", "log written before kill -9", user="U0ALICE",
                                        channel=channel)
            assert answer.json["text"] == "Logged."
            await asyncio.sleep(1)
        finally:
            serve.send_signal(signal.SIGKILL)
            await serve.wait()
        slack.restore()

        serve = await start_serve(env)
        store = Store.from_url(database_url, clock=SystemClock().now)
        outbox = Outbox(store)
        try:
            async def delivered() -> bool:
                return any("written before kill -9" in m.text for m in slack.messages(channel))

            async def nothing_owed() -> bool:
                return await outbox.pending() == 0

            await eventually(delivered, timeout=45)
            await eventually(nothing_owed, timeout=45)  # the restarted process settled the row
            assert sum("written before kill -9" in m.text for m in slack.messages(channel)) == 1
        finally:
            serve.send_signal(signal.SIGTERM)
            await serve.wait()
            await store.close()
