"""Two `incident-bot serve` processes on one database make each action item's ticket once, even
when both die by kill -9 while GitHub is still answering a create and a third takes over."""

import asyncio
import os
import signal

from bot.domain.clock import SystemClock
from bot.outbound.lanes import Outbox
from bot.standin.github import FakeGitHub
from bot.standin.slack_api import FakeSlackAPI
from bot.standin.slack_sender import SlackSender
from bot.storage.store import Store
from tests.support.waiting import eventually
from tests.test_serve_process import SECRET, free_port, start_serve

ITEMS = [f"follow-up number {n}" for n in range(1, 7)]


async def test_two_replicas_and_a_kill_9_mid_create_still_make_each_ticket_once(database_url,
                                                                                  tmp_path):
    async with FakeSlackAPI() as slack, FakeGitHub(repo="acme/ops", token="ghp_standin0token") \
            as github:
        slack.add_user("U0ALICE", "alice")
        ops = slack.add_channel("ops", creator="U0ALICE", members=["U0ALICE"])
        base = {**os.environ, "SLACK_BOT_TOKEN": slack.bot_token, "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": slack.url, "DATABASE_URL": database_url,
                "EXPORT_DIR": str(tmp_path / "incidents"), "RUNBOOKS_DIR": str(tmp_path),
                "SLACK_TIMEOUT": "1s", "TICKETS": "github", "GITHUB_REPO": "acme/ops",
                "GITHUB_TOKEN": "ghp_standin0token", "GITHUB_API_URL": github.url}
        ports = [free_port(), free_port()]
        senders = [SlackSender(events_url=f"http://127.0.0.1:{port}/slack/events",
                               signing_secret=SECRET, api=slack) for port in ports]
        replicas = [await start_serve({**base, "PORT": str(port)}) for port in ports]
        try:
            answer = await senders[0].slash("/incident", "declare sev2 ticket-test",
                                            user="U0ALICE", channel=ops)
            assert answer.json["text"].startswith("INC-1 declared")

            async def opened() -> bool:
                channel = slack.channel_by_name("inc-1-ticket-test")
                return channel is not None and bool(slack.pins.get(channel.id))

            await eventually(opened, timeout=15)
            channel = slack.channel_by_name("inc-1-ticket-test").id
            # GitHub makes the first issue at once and answers it 30 s later: never, for the
            # process that asked.
            github.fault(delay=30)
            for n, text in enumerate(ITEMS):
                answer = await senders[n % 2].slash("/incident", f"action {text}",
                                                    user="U0ALICE", channel=channel)
                assert answer.json["text"] == f"Action item #{n + 1} recorded."

            async def first_made() -> bool:
                return len(github.issues) >= 1

            await eventually(first_made, timeout=15)
        finally:
            for replica in replicas:
                replica.send_signal(signal.SIGKILL)
            await asyncio.gather(*(replica.wait() for replica in replicas))
        assert len(github.issues) == 1  # the rest waited behind it, in order

        port = free_port()
        third = await start_serve({**base, "PORT": str(port)})
        store = Store.from_url(database_url, clock=SystemClock().now)
        outbox = Outbox(store)
        try:
            async def all_made() -> bool:
                async with store.reading() as tx:
                    items = await tx.action_items(1)
                return all(item.ticket_key for item in items) and await outbox.pending() == 0

            await eventually(all_made, timeout=60)
            assert sorted(issue.title for issue in github.issues.values()) == sorted(ITEMS)
            async with store.reading() as tx:
                items = await tx.action_items(1)
            assert [(item.text, item.ticket_key) for item in items] == [
                (issue.title, str(issue.number)) for issue in github.issues.values()]
        finally:
            third.send_signal(signal.SIGTERM)
            await third.wait()
            await store.close()
