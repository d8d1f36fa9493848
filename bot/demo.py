"""`incident-bot demo`: one incident end to end, no Slack workspace needed.

Starts the bot and a local stand-in of the Slack Web API in this process, then
plays an incident through signed requests, as Slack would send them.
"""

import tempfile
from collections.abc import Callable
from pathlib import Path

from bot.config import load_settings
from bot.slack.runtime import BotRuntime
from bot.standin.slack_api import FakeSlackAPI
from bot.standin.slack_sender import SlackSender
from bot.storage.migrate import upgrade

SIGNING_SECRET = "demo-signing-secret"
PEOPLE = {"U0ALICE": "alice", "U0BOB": "bob", "U0CAROL": "carol"}

SCRIPT = [
    ("U0ALICE", "declare sev1 db-outage Primary database refuses connections"),
    ("U0ALICE", "log connection pool at 100% on db-primary, app errors spiking"),
    ("U0BOB", "status acknowledged"),
    ("U0ALICE", "commander <@U0BOB|bob>"),
    ("U0BOB", "log killed 212 idle-in-transaction sessions from the batch worker"),
    ("U0BOB", "status mitigating"),
    ("U0BOB", "update Checkout errors back to normal; watching the pool"),
    ("U0BOB", "status monitoring"),
    ("U0CAROL", "action Add an alert on idle-in-transaction sessions <@U0CAROL|carol>"),
    ("U0BOB", "resolve Batch worker leaked transactions after the 2.14 deploy"),
]


async def run_demo(say: Callable[[str], None]) -> Path:
    workdir = Path(tempfile.mkdtemp(prefix="incident-bot-demo-"))
    async with FakeSlackAPI() as slack:
        for user_id, name in PEOPLE.items():
            slack.add_user(user_id, name)
        ops = slack.add_channel("ops", creator="U0ALICE", members=list(PEOPLE))
        database_url = f"sqlite+aiosqlite:///{workdir / 'incident-bot.db'}"
        upgrade(database_url)
        settings = load_settings(
            slack_bot_token=slack.bot_token, slack_signing_secret=SIGNING_SECRET,
            slack_api_url=slack.url, database_url=database_url,
            export_dir=workdir / "incidents", announce_channel=ops, slack_app_token="",
        )
        async with BotRuntime(settings) as bot:
            sender = SlackSender(events_url=f"{bot.url}/slack/events",
                                 signing_secret=SIGNING_SECRET, api=slack)
            slack.deliver_events(sender)
            channel = ops
            for user_id, text in SCRIPT:
                response = await sender.slash("/incident", text, user=user_id, channel=channel)
                say(f"{PEOPLE[user_id]:>6} > /incident {text}")
                say(f"{'':>6}   {response.json['text']}  ({response.elapsed * 1000:.0f} ms)")
                await bot.notifier.drain()
                if text.startswith("declare"):
                    channel = slack.channel_by_name("inc-1-db-outage").id
                    for joiner in ("U0BOB", "U0CAROL"):
                        await slack.join(channel, joiner)
                        say(f"{PEOPLE[joiner]:>6} joins #inc-1-db-outage")
            await bot.notifier.drain()
        say("")
        say(f"#{slack.channels[channel].name} as Slack shows it:")
        for message in slack.messages(channel):
            say(f"  {message.text}")
        export = next((workdir / "incidents").glob("*.md"))
        say("")
        say(f"Export written to {export}:")
        say("")
        say(export.read_text())
        return export
