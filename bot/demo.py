"""`incident-bot demo`: one incident end to end, no Slack workspace needed.

Starts the bot and local stand-ins of Slack's Web API, PagerDuty and Alertmanager in this
process, then plays an incident through signed requests, as Slack would send them. What it
leaves (the database and the committed postmortem draft) stays in one folder, emptied at the
start of the next run, so that the command line can be tried on it afterwards.
"""

import asyncio
import html
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from shlex import quote

from bot import shipped
from bot.config import load_settings
from bot.export import canonical
from bot.runtime import BotRuntime
from bot.slack import ids
from bot.standin.alertmanager import AlertmanagerSender, FiredAlert
from bot.standin.github import FakeGitHub
from bot.standin.pagerduty import FakePagerDuty
from bot.standin.slack_api import FakeSlackAPI, Message
from bot.standin.slack_sender import SlackSender
from bot.storage.migrate import upgrade

FOLDER = Path("incident-bot-demo")
# Only a folder holding this file is emptied: one of the same name the demo did not make is
# someone's, and is left alone.
MARK = ".incident-bot-demo"
SIGNING_SECRET = "demo-signing-secret"
PEOPLE = {"U0ALICE": "alice", "U0BOB": "bob", "U0CAROL": "carol", "U0DAVE": "dave"}
ROUTING_KEY = "R0DEMO" + "0" * 26  # an Events API v2 integration key is 32 characters
# Short, so the demo shows a SEV1 nobody acknowledged being escalated.
ACK_DEADLINE = timedelta(seconds=2)
RUNBOOK = "RUN-001"

ALERT_TOKEN = "demo-alert-token"
BEFORE_STEPS = [
    ("U0ALICE", "/incident", "log connection pool at 100% on db-primary, app errors spiking"),
]


def database_alert() -> FiredAlert:
    """The alert Prometheus fires when the primary database stops answering."""
    return FiredAlert(
        labels={"alertname": "DbOutage", "severity": "critical", "instance": "db-primary:5432",
                "job": "postgres", "service": "orders-db"},
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
# The service the alert names, as the team's catalog describes it; who PagerDuty says is on
# call for it, found in Slack by email.
CATALOG = """name: orders-db
aliases: [db-primary]
owner_group: S0DBA
escalation_policy: PDBA001
runbooks: [RUN-001]
tier: 1
"""
ONCALL = ("U0ERIN", "erin", "erin@example.com")
# Action items become issues in the team's repository (a stand-in of GitHub's API).
REPO, GITHUB_TOKEN = "acme/ops", "ghp_demo0token"
PAGERDUTY_API_TOKEN = "demo-pagerduty-rest-token"
INTRO = ("A SEV1 from alert to committed postmortem, played against local stand-ins of Slack, "
         "PagerDuty, GitHub and Alertmanager (no workspace needed):")


class DemoError(Exception):
    """The demo cannot run here; the message says why."""


def fresh_folder(folder: Path) -> None:
    """Empty the folder the last run left, or make it; refuse one the demo did not make."""
    if folder.exists():
        if not (folder / MARK).is_file() and (not folder.is_dir() or any(folder.iterdir())):
            raise DemoError(f"{folder} exists and was not made by the demo; move it away or "
                            f"run the demo from another folder")
    try:
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        (folder / MARK).write_text("Made by `incident-bot demo`, which empties this folder at "
                                   "each run.\n")
    except OSError as error:
        raise DemoError(f"cannot prepare {folder} ({error.strerror or error}); run the demo "
                        f"from a folder you can write to") from None


async def run_demo(say: Callable[[str], None], folder: Path = FOLDER) -> Path:
    """Play the incident, keeping what it leaves in `folder`; returns the export's path."""
    fresh_folder(folder)
    say(INTRO)
    say("")
    record, database = folder / "record", folder / "incident-bot.db"
    async with FakeSlackAPI() as slack, FakePagerDuty(api_token=PAGERDUTY_API_TOKEN) as pagerduty, \
            FakeGitHub(repo=REPO, token=GITHUB_TOKEN) as github:
        for user_id, name in PEOPLE.items():
            slack.add_user(user_id, name)
        erin, erin_name, erin_email = ONCALL
        slack.add_user(erin, erin_name, real_name="Erin Example", email=erin_email)
        slack.add_usergroup("S0DBA", "dba", ["U0CAROL"])
        pagerduty.on_call("PDBA001", 1, "Erin Example", erin_email)
        catalog = folder / "catalog"
        catalog.mkdir()
        (catalog / "orders-db.yaml").write_text(CATALOG)
        ops = slack.add_channel("ops", creator="U0ALICE", members=list(PEOPLE))
        database_url = f"sqlite:///{database}"
        # The postmortem drafts land in a git repository, as a team would keep them.
        committing = shutil.which("git") is not None
        record.mkdir()
        if committing:
            await asyncio.to_thread(_git, record, "init", "--quiet")
        upgrade(database_url)
        settings = load_settings(
            slack_bot_token=slack.bot_token, slack_signing_secret=SIGNING_SECRET,
            slack_api_url=slack.url, database_url=database_url, runbooks_dir=shipped.runbooks_dir(),
            export_dir=record / "incidents", announce_channel=ops, slack_app_token="",
            approvers="U0DAVE", ack_deadline_sev1=ACK_DEADLINE, escalation_users="U0CAROL",
            pagerduty_routing_key=ROUTING_KEY, pagerduty_events_url=pagerduty.url,
            alert_webhook_token=ALERT_TOKEN, export_debounce=EXPORT_DEBOUNCE,
            export_git=committing, catalog_dir=catalog, pagerduty_api_token=PAGERDUTY_API_TOKEN,
            pagerduty_api_url=pagerduty.rest_url, meeting_url="https://meet.example.com/{channel}",
            tickets="github", github_repo=REPO, github_token=GITHUB_TOKEN,
            github_api_url=github.url,
        )
        async with BotRuntime(settings) as runtime:
            sender = SlackSender(events_url=f"{runtime.url}/slack/events",
                                 signing_secret=SIGNING_SECRET, api=slack)
            slack.deliver_events(sender)
            runbook = runtime.runbooks.library.find(RUNBOOK)
            assert runbook is not None, f"the shipped runbooks have no {RUNBOOK}"

            def plain(text: str) -> str:
                return _plain(text, slack)

            def bot_says(where: str, text: str) -> None:
                first, *more = plain(text).splitlines() or [""]
                say(f"{'bot':>6} > {where}: {first}")
                for line in more:
                    say(f"{'':>9}{line}")

            async def command(user: str, name: str, text: str, channel: str) -> None:
                response = await sender.slash(name, text, user=user, channel=channel)
                say(f"{PEOPLE[user]:>6} > {name} {plain(text)}")
                say(f"{'':>9}{plain(response.json['text'])}  ({response.elapsed * 1000:.0f} ms)")
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
                step = runbook.step(number)
                title = step.title if step else "?"
                say(f"{PEOPLE[user]:>6} clicks [{label}] on step {number}: {title}")
                await runtime.delivery.drain()

            def pagerduty_says(before: int) -> None:
                for event in pagerduty.events[before:]:
                    say(f"{'PagerDuty':>9} < {event['event_action']} {event['dedup_key']}"
                        + (f": {event['payload']['summary']}" if "payload" in event else ""))

            alertmanager = AlertmanagerSender(url=f"{runtime.url}/alerts/alertmanager",
                                              token=ALERT_TOKEN)
            answer = await alertmanager.notify([database_alert()])
            reply = json.loads(answer.body)
            say(f"{'Alertmanager':>12} > POST /alerts/alertmanager DbOutage (critical): "
                f"HTTP {answer.status}, {'opened' if reply.get('opened') else 'recorded in'} "
                f"{reply.get('incident')}")
            await runtime.delivery.drain()
            opened = slack.channel_by_name("inc-1-db-outage")
            assert opened is not None, "the alert opened no channel"
            channel = opened.id
            def said_in_channel(words: str) -> str | None:
                return next((line for m in slack.messages(channel) for line in m.text.splitlines()
                             if words in line), None)

            for words in (":fire:", "tied the incident to", "On call for"):
                await _until(lambda: said_in_channel(words) is not None)  # noqa: B023
                bot_says("#inc-1-db-outage", said_in_channel(words) or "")
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
            bot_says("#inc-1-db-outage", _first_line(slack.messages(channel)[-1]))
            say(f"{'':>9}(nobody acknowledges the SEV1 within {ACK_DEADLINE.seconds} s)")
            def overdue() -> list[Message]:
                return [m for m in slack.messages(channel) if "Not acknowledged" in m.text]

            await _until(lambda: bool(pagerduty.events and overdue()
                                      and slack.direct_messages("U0CAROL")))
            notice = next(line for line in overdue()[0].text.splitlines() if "Not acknowledged" in line)
            bot_says("#inc-1-db-outage", notice)
            pagerduty_says(0)
            bot_says("DM to carol", slack.direct_messages("U0CAROL")[-1].text)
            for user, name, text in ACKNOWLEDGE_STEPS:
                before = len(pagerduty.events)
                await command(user, name, text, channel)
                pagerduty_says(before)
            steps = next(m for m in slack.messages(channel) if RUNBOOK in m.text)
            await click("U0BOB", steps, 1, "started", "Start")
            await click("U0BOB", steps, 1, "done", "Done")
            await click("U0BOB", steps, 2, "done", "Done")
            await click("U0BOB", steps, 4, "access", "Request access")
            copy = slack.direct_messages("U0DAVE")[-1]
            bot_says("DM to dave", copy.text)
            await sender.block_action(user="U0DAVE", channel=copy.channel, message_ts=copy.ts,
                                      action_id=ids.ACCESS_APPROVE, value="1",
                                      block_id=ids.access_block(1))
            say(f"{'dave':>6} clicks [Approve] in his DM")
            await runtime.delivery.drain()
            bot_says("DM to bob", slack.direct_messages("U0BOB")[-1].text)
            await click("U0BOB", steps, 4, "done", "Done")
            for user, name, text in AFTER_STEPS:
                before = len(pagerduty.events)
                await command(user, name, text, channel)
                pagerduty_says(before)
            await runtime.delivery.drain()
            await _until(lambda: bool(github.issues))
            bot_says("#inc-1-db-outage", said_in_channel("Action item #1 is") or "")
            say(f"{'':>9}(the next morning, the postmortem finds more)")
            await command("U0BOB", "/incident", LATER_ROOT_CAUSE, channel)
            await _until(lambda: any("draft updated" in f.initial_comment for f in slack.files))
            await runtime.delivery.drain()
            bot_says("#inc-1-db-outage", f"(file) {slack.files[-1].initial_comment}")
        say("")
        say(f"#{slack.channels[channel].name} as Slack shows it:")
        for message in slack.messages(channel):
            say(f"  {plain(_first_line(message))}")
        export = next((record / "incidents").glob("*.md"))
        if committing:
            say("")
            say(f"git log in {record}:")
            log = await asyncio.to_thread(_git, record, "log", "--format=%h %s")
            for line in log.splitlines():
                say(f"  {line}")
        say("")
        say(f"The postmortem draft, {export}:")
        say("")
        _show_export(say, export.read_text())
        say("")
        _what_next(say, folder, database, export)
        return export


def _show_export(say: Callable[[str], None], text: str) -> None:
    """What a reader reads; the hashed events that follow are for `verify`, not for people."""
    readable, hashed = text.split(canonical.BEGIN, 1)
    say(readable.rstrip("\n"))
    say("")
    events = len(hashed.split(canonical.END, 1)[0].strip("\n").splitlines()) - 1  # less the names
    say(f"<!-- {events} events in the form their hashes were computed from, for "
        f"`incident-bot verify` -->")
    say(text.rstrip("\n").splitlines()[-1])


def _what_next(say: Callable[[str], None], folder: Path, database: Path, export: Path) -> None:
    """Where things are, and the commands that read them: they need only these two settings."""
    say(f"The demo left its files in {folder}/ (emptied when the demo runs again):")
    say(f"  database  {database}")
    say(f"  export    {export}")
    say("")
    say("Try next, from this folder:")
    say(f"  export DATABASE_URL={quote(f'sqlite:///{database}')} EXPORT_DIR={quote(str(export.parent))}")
    say("  incident-bot list")
    say(f"  incident-bot verify {quote(str(export))}")
    say("  incident-bot stats")


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


def _first_line(message: Message) -> str:
    return message.text.splitlines()[0]


# Slack's markup for people, channels and links: <@U0BOB>, <@U0BOB|bob>, <#C0002>,
# <https://…|label>, <!here>.
_MARKUP = re.compile(r"<([@#!]?)([^<>|]*)(?:\|([^<>]*))?>")


def _plain(text: str, slack: FakeSlackAPI) -> str:
    """Slack's markup as a person reads it in the client: names, not ids."""
    def shown(found: re.Match[str]) -> str:
        sigil, ref, label = found[1], found[2], found[3]
        if sigil == "@":
            user = slack.users.get(ref)
            return "@" + (user["name"] if user else (label or ref))
        if sigil == "#":
            channel = slack.channels.get(ref)
            return "#" + (channel.name if channel else (label or ref))
        if sigil == "!" and ref.startswith("subteam^"):
            group = slack.usergroups.get(ref.removeprefix("subteam^"))
            return "@" + (group["handle"] if group else (label or ref))
        if sigil == "!":
            return label or "@" + ref
        return label or ref
    return html.unescape(_MARKUP.sub(shown, text))
