"""`incident-bot demo`: one incident end to end, no Slack workspace needed.

Starts the bot and a local stand-in of the Slack Web API in this process, then
plays an incident through signed requests, as Slack would send them.
"""

import tempfile
from collections.abc import Callable
from pathlib import Path

from bot import shipped
from bot.config import load_settings
from bot.slack.runtime import BotRuntime
from bot.standin.slack_api import FakeSlackAPI, Message
from bot.standin.slack_sender import SlackSender
from bot.storage.migrate import upgrade

SIGNING_SECRET = "demo-signing-secret"
PEOPLE = {"U0ALICE": "alice", "U0BOB": "bob", "U0CAROL": "carol", "U0DAVE": "dave"}

BEFORE_STEPS = [
    ("U0ALICE", "/incident", "declare sev1 db-outage Primary database refuses connections"),
    ("U0ALICE", "/incident", "log connection pool at 100% on db-primary, app errors spiking"),
    ("U0BOB", "/incident", "status acknowledged"),
    ("U0ALICE", "/incident", "commander <@U0BOB|bob>"),
]
AFTER_STEPS = [
    ("U0BOB", "/incident", "status mitigating"),
    ("U0BOB", "/incident", "update Checkout errors back to normal; watching the pool"),
    ("U0BOB", "/incident", "status monitoring"),
    ("U0BOB", "/incident", "access revoke AR-1"),
    ("U0CAROL", "/incident", "action Alert on idle-in-transaction sessions <@U0CAROL|carol>"),
    ("U0BOB", "/incident", "resolve Batch worker leaked transactions after the 2.14 deploy"),
]


async def run_demo(say: Callable[[str], None]) -> Path:
    workdir = Path(tempfile.mkdtemp(prefix="incident-bot-demo-"))
    async with FakeSlackAPI() as slack:
        for user_id, name in PEOPLE.items():
            slack.add_user(user_id, name)
        ops = slack.add_channel("ops", creator="U0ALICE", members=list(PEOPLE))
        database_url = f"sqlite:///{workdir / 'incident-bot.db'}"
        upgrade(database_url)
        settings = load_settings(
            slack_bot_token=slack.bot_token, slack_signing_secret=SIGNING_SECRET,
            slack_api_url=slack.url, database_url=database_url, runbooks_dir=shipped.runbooks_dir(),
            export_dir=workdir / "incidents", announce_channel=ops, slack_app_token="",
            approvers="U0DAVE",
        )
        async with BotRuntime(settings) as runtime:
            sender = SlackSender(events_url=f"{runtime.url}/slack/events",
                                 signing_secret=SIGNING_SECRET, api=slack)
            slack.deliver_events(sender)

            async def command(user: str, name: str, text: str, channel: str) -> None:
                response = await sender.slash(name, text, user=user, channel=channel)
                say(f"{PEOPLE[user]:>6} > {name} {text}")
                say(f"{'':>9}{response.json['text']}  ({response.elapsed * 1000:.0f} ms)")
                await runtime.notifier.drain()

            async def click(user: str, message: Message, action_suffix: str, label: str) -> None:
                block = next(b for b in message.blocks if b.get("block_id", "").endswith(
                    action_suffix.rsplit(":", 1)[0] + ":buttons"))
                action_id = block["block_id"].removesuffix(":buttons") + ":" + action_suffix.rsplit(":", 1)[1]
                await sender.block_action(user=user, channel=channel, message_ts=message.ts,
                                          action_id=action_id, value=label, block_id=block["block_id"])
                say(f"{PEOPLE[user]:>6} clicks [{label}]")
                await runtime.notifier.drain()

            channel = ops
            for user, name, text in BEFORE_STEPS:
                await command(user, name, text, channel)
                if text.startswith("declare"):
                    opened = slack.channel_by_name("inc-1-db-outage")
                    assert opened is not None, "declare opened no channel"
                    channel = opened.id
                    for joiner in ("U0BOB", "U0CAROL"):
                        await slack.join(channel, joiner)
                        say(f"{PEOPLE[joiner]:>6} joins #inc-1-db-outage")
            steps = next(m for m in slack.messages(channel) if "RUN-001" in m.text)
            await click("U0BOB", steps, ":1:started", "Start")
            await click("U0BOB", steps, ":1:done", "Done")
            await click("U0BOB", steps, ":2:done", "Done")
            await click("U0BOB", steps, ":4:access", "Request access")
            await command("U0DAVE", "/approve", "AR-1 for 30m", channel)
            await click("U0BOB", steps, ":4:done", "Done")
            for user, name, text in AFTER_STEPS:
                await command(user, name, text, channel)
            await runtime.notifier.drain()
        say("")
        say(f"#{slack.channels[channel].name} as Slack shows it:")
        for message in slack.messages(channel):
            say(f"  {message.text.splitlines()[0]}")
        export = next((workdir / "incidents").glob("*.md"))
        say("")
        say(f"Export written to {export}:")
        say("")
        say(export.read_text())
        return export
