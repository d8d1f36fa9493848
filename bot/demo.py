"""`incident-bot demo`: one incident end to end, no Slack workspace needed.

Starts the bot and a local stand-in of the Slack Web API in this process, then
plays an incident through signed requests, as Slack would send them.
"""

import asyncio
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot import shipped
from bot.config import load_settings
from bot.runtime import BotRuntime
from bot.slack import ids
from bot.standin.alertmanager import AlertmanagerSender, FiredAlert
from bot.standin.pagerduty import FakePagerDuty
from bot.standin.slack_api import FakeSlackAPI, Message
from bot.standin.slack_sender import SlackSender
from bot.storage.migrate import upgrade

SIGNING_SECRET = "demo-signing-secret"
PEOPLE = {"U0ALICE": "alice", "U0BOB": "bob", "U0CAROL": "carol", "U0DAVE": "dave"}
ROUTING_KEY = "R0DEMO" + "0" * 26  # an Events API v2 integration key is 32 characters
# Short, so the demo shows a SEV1 nobody acknowledged being escalated.
ACK_DEADLINE = timedelta(seconds=2)

ALERT_TOKEN = "demo-alert-token"
BEFORE_STEPS = [
    ("U0ALICE", "/incident", "log connection pool at 100% on db-primary, app errors spiking"),
]


def database_alert() -> FiredAlert:
    """The alert Prometheus fires when the primary database stops answering."""
    return FiredAlert(
        labels={"alertname": "DbOutage", "severity": "critical", "instance": "db-primary:5432",
                "job": "postgres"},
        annotations={"summary": "Primary database refuses connections"},
        starts_at=datetime.now(UTC) - timedelta(minutes=2),
        generator_url="http://prometheus.example.com:9090/graph?g0.expr=pg_up")
LATER_ROOT_CAUSE = ("rootcause Batch worker leaked transactions after the 2.14 deploy: "
                    "its retry loop opened a transaction per attempt")
# Changes after resolve are written again this long after the last one.
EXPORT_DEBOUNCE = timedelta(seconds=1)
ACKNOWLEDGE_STEPS = [
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
    async with FakeSlackAPI() as slack, FakePagerDuty() as pagerduty:
        for user_id, name in PEOPLE.items():
            slack.add_user(user_id, name)
        ops = slack.add_channel("ops", creator="U0ALICE", members=list(PEOPLE))
        database_url = f"sqlite:///{workdir / 'incident-bot.db'}"
        # The postmortem drafts land in a git repository, as a team would keep them.
        committing = shutil.which("git") is not None
        if committing:
            (workdir / "record").mkdir()
            await asyncio.to_thread(_git, workdir / "record", "init", "--quiet")
        upgrade(database_url)
        settings = load_settings(
            slack_bot_token=slack.bot_token, slack_signing_secret=SIGNING_SECRET,
            slack_api_url=slack.url, database_url=database_url, runbooks_dir=shipped.runbooks_dir(),
            export_dir=workdir / "record" / "incidents", announce_channel=ops, slack_app_token="",
            approvers="U0DAVE", ack_deadline_sev1=ACK_DEADLINE, escalation_users="U0CAROL",
            pagerduty_routing_key=ROUTING_KEY, pagerduty_events_url=pagerduty.url,
            alert_webhook_token=ALERT_TOKEN, export_debounce=EXPORT_DEBOUNCE,
            export_git=committing,
        )
        async with BotRuntime(settings) as runtime:
            sender = SlackSender(events_url=f"{runtime.url}/slack/events",
                                 signing_secret=SIGNING_SECRET, api=slack)
            slack.deliver_events(sender)

            async def command(user: str, name: str, text: str, channel: str) -> None:
                response = await sender.slash(name, text, user=user, channel=channel)
                say(f"{PEOPLE[user]:>6} > {name} {text}")
                say(f"{'':>9}{response.json['text']}  ({response.elapsed * 1000:.0f} ms)")
                await runtime.delivery.drain()

            async def click(user: str, message: Message, number: int, what: str, label: str) -> None:
                """A step's button, as the runbook message shows it."""
                for block in message.blocks:
                    found = ids.STEP_BLOCK.match(block.get("block_id", ""))
                    if found and (int(found[2]), found[3]) == (number, "buttons"):
                        break
                else:
                    raise LookupError(f"no buttons for step {number}")
                await sender.block_action(user=user, channel=channel, message_ts=message.ts,
                                          action_id=ids.step_action(int(found[1]), number, what),
                                          value=label, block_id=block["block_id"])
                say(f"{PEOPLE[user]:>6} clicks [{label}]")
                await runtime.delivery.drain()

            def pagerduty_says(before: int) -> None:
                for event in pagerduty.events[before:]:
                    say(f"{'PagerDuty':>9} < {event['event_action']} {event['dedup_key']}"
                        + (f": {event['payload']['summary']}" if "payload" in event else ""))

            alertmanager = AlertmanagerSender(url=f"{runtime.url}/alerts/alertmanager",
                                              token=ALERT_TOKEN)
            answer = await alertmanager.notify([database_alert()])
            say(f"{'Alertmanager':>12} > POST /alerts/alertmanager DbOutage (critical): "
                f"HTTP {answer.status} {answer.body}")
            await runtime.delivery.drain()
            opened = slack.channel_by_name("inc-1-db-outage")
            assert opened is not None, "the alert opened no channel"
            channel = opened.id
            say(f"{'bot':>6} > #inc-1-db-outage: {_last(slack, channel)}")
            for joiner in ("U0ALICE", "U0BOB", "U0CAROL"):
                await slack.join(channel, joiner)
                say(f"{PEOPLE[joiner]:>6} joins #inc-1-db-outage")
            for user, name, text in BEFORE_STEPS:
                await command(user, name, text, channel)
            said = "batch worker on app-7 holds 80 transactions open since the 2.14 deploy"
            ts = slack.say(channel, "U0CAROL", said)
            say(f"{'carol':>6} says in #inc-1-db-outage: {said}")
            await sender.event(slack.react(channel, ts, "U0ALICE", "pushpin"))
            say(f"{'alice':>6} pins it with :pushpin:")
            await _until(lambda: any("to the timeline" in m.text for m in slack.messages(channel)))
            await runtime.delivery.drain()
            say(f"{'bot':>6} > #inc-1-db-outage: {_last(slack, channel)}")
            say(f"{'':>9}(nobody acknowledges the SEV1 within {ACK_DEADLINE.seconds} s)")
            def overdue() -> list[Message]:
                return [m for m in slack.messages(channel) if "Not acknowledged" in m.text]

            await _until(lambda: bool(pagerduty.events and overdue()
                                      and slack.direct_messages("U0CAROL")))
            notice = next(line for line in overdue()[0].text.splitlines() if "Not acknowledged" in line)
            say(f"{'bot':>6} > #inc-1-db-outage: {notice}")
            pagerduty_says(0)
            say(f"{'bot':>6} > DM to carol: {slack.direct_messages('U0CAROL')[-1].text}")
            for user, name, text in ACKNOWLEDGE_STEPS:
                before = len(pagerduty.events)
                await command(user, name, text, channel)
                pagerduty_says(before)
            steps = next(m for m in slack.messages(channel) if "RUN-001" in m.text)
            await click("U0BOB", steps, 1, "started", "Start")
            await click("U0BOB", steps, 1, "done", "Done")
            await click("U0BOB", steps, 2, "done", "Done")
            await click("U0BOB", steps, 4, "access", "Request access")
            copy = slack.direct_messages("U0DAVE")[-1]
            say(f"{'bot':>6} > DM to dave: {copy.text}")
            await sender.block_action(user="U0DAVE", channel=copy.channel, message_ts=copy.ts,
                                      action_id=ids.ACCESS_APPROVE, value="1",
                                      block_id=ids.access_block(1))
            say(f"{'dave':>6} clicks [Approve] in his DM")
            await runtime.delivery.drain()
            say(f"{'bot':>6} > DM to bob: {slack.direct_messages('U0BOB')[-1].text}")
            await click("U0BOB", steps, 4, "done", "Done")
            for user, name, text in AFTER_STEPS:
                before = len(pagerduty.events)
                await command(user, name, text, channel)
                pagerduty_says(before)
            await runtime.delivery.drain()
            say(f"{'':>9}(the next morning, the postmortem finds more)")
            await command("U0BOB", "/incident", LATER_ROOT_CAUSE, channel)
            await _until(lambda: any("draft updated" in f.initial_comment for f in slack.files))
            await runtime.delivery.drain()
            say(f"{'bot':>6} > #inc-1-db-outage: (file) {slack.files[-1].initial_comment}")
        say("")
        say(f"#{slack.channels[channel].name} as Slack shows it:")
        for message in slack.messages(channel):
            say(f"  {message.text.splitlines()[0]}")
        export = next((workdir / "record" / "incidents").glob("*.md"))
        if committing:
            say("")
            say(f"git log in {workdir / 'record'}:")
            log = await asyncio.to_thread(_git, workdir / "record", "log", "--format=%h %s")
            for line in log.splitlines():
                say(f"  {line}")
        say("")
        say(f"Export written to {export}:")
        say("")
        say(export.read_text())
        return export


def _git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True,
                          check=True).stdout


async def _until(done: Callable[[], bool], timeout: float = 20) -> None:
    """The reminder ticker fires on its own clock: wait for what it owes to show."""
    for _ in range(int(timeout / 0.1)):
        if done():
            return
        await asyncio.sleep(0.1)
    raise TimeoutError("what the demo waited for did not arrive")


def _last(slack: FakeSlackAPI, channel: str) -> str:
    return slack.messages(channel)[-1].text.splitlines()[0]
