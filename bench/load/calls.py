"""Web API calls per action: a declare, a lone log, runbook step clicks."""

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from bot.slack import ids
from bot.standin.slack_api import FakeSlackAPI, Message
from bot.standin.slack_sender import SlackSender

from .processes import SHIPPED_RUNBOOKS, Served, bot_env, process_row, start_bots, start_reference, stop
from .results import Bench, CallRow
from .sending import answer_text, sender_for
from .workspace import USERS, incident_channel, new_slack, ops_channel, until_quiet

# Failed opens a form for the reason: a click that records nothing until it is submitted.
STATUSES = ("started", "done", "skipped")
LONE_LOG = "log (one, in a quiet incident)"


async def count_calls(slack: FakeSlackAPI, action: Callable[[], Awaitable[Any]]) -> list[str]:
    """Methods called from the action until Slack has heard nothing for QUIET seconds."""
    mark = len(slack.calls)
    await action()
    await until_quiet(slack)
    return [call.method for call in slack.calls[mark:]]


def by_method(methods: Sequence[str], per: int = 1) -> str:
    counted = Counter(methods)
    return ", ".join(f"{name} {n / per:g}" for name, n in sorted(counted.items()))


def runbook_message(slack: FakeSlackAPI, channel: str) -> Message | None:
    for message in slack.messages(channel):
        for block in message.blocks:
            if any(ids.STEP_ACTION.match(e.get("action_id", "")) for e in block.get("elements", [])):
                return message
    return None


def step_buttons(message: Message) -> tuple[int, list[int], set[int]]:
    """The attached runbook's id, its steps, and the high-risk ones (Done refused without access)."""
    attached, steps, risky = 0, [], set()
    for block in message.blocks:
        for element in block.get("elements", []):
            action_id = element.get("action_id", "")
            if ids.STEP_ACTION.match(action_id):
                clicked = ids.read_step_action(action_id)
                if clicked.click == "started":
                    attached = clicked.attached_id
                    steps.append(clicked.number)
        section = ids.STEP_BLOCK.match(block.get("block_id", ""))
        if section and "HIGH RISK" in str(block.get("text", {}).get("text", "")):
            risky.add(int(section[2]))
    return attached, steps, risky


def click_plan(steps: Sequence[int], risky: set[int], count: int,
               state: dict[int, str]) -> list[tuple[int, str]]:
    """Clicks that each change something: never a step's current status, never Done on a risky step."""
    state = dict(state)
    clicks: list[tuple[int, str]] = []
    while len(clicks) < count:
        for step in steps:
            for status in STATUSES:
                if len(clicks) < count and status != state.get(step) \
                        and not (status == "done" and step in risky):
                    clicks.append((step, status))
                    state[step] = status
    return clicks


async def click(sender: SlackSender, slack: FakeSlackAPI, channel: str, message: Message,
                attached: int, step: int, status: str) -> None:
    answer = await sender.block_action(user=USERS[0][0], channel=channel, message_ts=message.ts,
                                       action_id=ids.step_action(attached, step, status), value=status,
                                       block_id=ids.step_block(attached, step, "buttons"))
    if answer.status != 200:
        raise RuntimeError(f"click step {step} {status}: HTTP {answer.status} {answer.body[:200]}")


async def calls_part(bench: Bench) -> None:
    await bot_calls(bench, announce=False)
    await bot_calls(bench, announce=True)
    if not bench.options.skip_reference:
        await reference_calls(bench)


async def bot_calls(bench: Bench, *, announce: bool) -> None:
    label = f"bot-{bench.db.name}-calls" + ("-announce" if announce else "")
    slack = await new_slack(bench.options.latency)
    served: list[Served] = []
    try:
        extra = {}
        if announce:
            extra["ANNOUNCE_CHANNEL"] = slack.add_channel(
                "announce", creator=USERS[0][0], members=[USERS[0][0], slack.bot_user_id])
        env = bot_env(slack, bench.db.fresh(label), bench.workdir, SHIPPED_RUNBOOKS, **extra)
        served = await start_bots(label, 1, env, bench.workdir)
        sender = sender_for(slack, served[0])
        ops = ops_channel(slack)
        where = " (ANNOUNCE_CHANNEL set)" if announce else ""
        declared = await count_calls(slack, lambda: answer_text(
            sender, "/incident", "declare sev4 db-outage", user=USERS[0][0], channel=ops))
        record_calls(bench, f"declare sev4 db-outage, RUN-001 attached{where}", declared)
        if not announce:
            await step_calls(bench, slack, sender)
        bench.processes += [process_row(s, bench.db.name) for s in served]
    finally:
        await asyncio.gather(*(stop(s) for s in served))
        await slack.stop()


async def step_calls(bench: Bench, slack: FakeSlackAPI, sender: SlackSender) -> None:
    channel = incident_channel(slack, 1, "db-outage")
    message = runbook_message(slack, channel) if channel else None
    if channel is None or message is None:
        raise RuntimeError("the declare did not open a channel with RUN-001's steps")
    logged = await count_calls(slack, lambda: answer_text(
        sender, "/incident", "log lone line", user=USERS[0][0], channel=channel))
    record_calls(bench, LONE_LOG, logged)
    attached, steps, risky = step_buttons(message)
    lone = await count_calls(slack, lambda: click(sender, slack, channel, message, attached,
                                                  steps[0], "started"))
    record_calls(bench, "click a step button (one)", lone)
    clicks = click_plan(steps, risky, 20, {steps[0]: "started"})
    refused = len(slack.responses)

    async def steady() -> None:
        for step, status in clicks:
            await click(sender, slack, channel, message, attached, step, status)
            await asyncio.sleep(0.25)

    methods = await count_calls(slack, steady)
    refusals = len(slack.responses) - refused
    record_calls(bench, f"click, steady run of {len(clicks)} (one every 250 ms), per click"
                 + (f" [{refusals} refused]" if refusals else ""), methods, per=len(clicks))


async def reference_calls(bench: Bench) -> None:
    slack = await new_slack(bench.options.latency)
    served = None
    try:
        channel = slack.add_channel("ref-calls", creator=USERS[0][0],
                                    members=[USERS[0][0], slack.bot_user_id])
        served = await start_reference(slack, "reference-calls", bench.workdir)
        sender = sender_for(slack, served)
        await count_calls(slack, lambda: answer_text(  # Bolt's one-off auth.test
            sender, "/incident", "log warm-up", user=USERS[0][0], channel=channel))
        logged = await count_calls(slack, lambda: answer_text(
            sender, "/incident", "log lone line", user=USERS[0][0], channel=channel))
        for row in bench.calls:
            if row.action == LONE_LOG:
                row.reference = len(logged)
        bench.processes.append(process_row(served, "sqlite"))
    finally:
        if served is not None:
            await stop(served)
        await slack.stop()


def record_calls(bench: Bench, action: str, methods: Sequence[str], per: int = 1) -> None:
    row = CallRow(action, len(methods) / per, detail=by_method(methods, per))
    bench.calls.append(row)
    print(f"  calls: {action}: {row.bot:g} ({row.detail})", flush=True)
