"""The incident figures a team graphs and alerts on, scraped from /metrics after a day of
incidents: declared by command, by form and by an alert, acknowledged, resolved, runbooks
worked through, failed at a step, aborted; every replica tells the same figures."""

from datetime import datetime, timedelta

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from bot.slack.server import make_web_app
from bot.standin.alertmanager import AlertmanagerSender, FiredAlert
from tests.slack.test_runbook_context import (
    abort_button,
    answered,
    press,
    runbook_messages,
    settled,
    step_button,
)
from tests.support.clock import ShiftedClock
from tests.support.world import ALICE, BOB, CAROL, DAVE

TOKEN = "alert-token-metrics"
DB = """---
id: RUN-301
title: Database failover
match: [db-*]
---
## Procedure
### Step 1: Check replication lag
risk: low
### Step 2: Promote the replica
risk: high
### Step 3: Tell the application owners
risk: low
"""
CACHE = """---
id: RUN-302
title: Cache warm-up
match: [cache-*]
---
## Procedure
### Step 1: Warm the cache
risk: low
"""
LATENCY = """---
id: RUN-303
title: Latency triage
match: [high-*]
---
## Procedure
### Step 1: Look at the slowest endpoint
risk: low
### Step 2: Scale out
risk: low
"""
# Figures read from the database: every replica reports these alike.
GLOBAL = ("incident_bot_open_incidents", "incident_bot_incidents_declared_total",
          "incident_bot_mtta_seconds", "incident_bot_mttr_seconds",
          "incident_bot_runbook_runs_total", "incident_bot_runbook_step_failures_total",
          "incident_bot_high_risk_steps_total", "incident_bot_runbook_run_duration_seconds",
          "incident_bot_access_grants_live", "incident_bot_outbox_oldest_owed_seconds")

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


@pytest.fixture
def clock() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture
def settings(tmp_path, clock) -> dict:
    runbooks = tmp_path / "runbooks"
    runbooks.mkdir()
    for name, text in (("db.md", DB), ("cache.md", CACHE), ("latency.md", LATENCY)):
        (runbooks / name).write_text(text)
    return {"runbooks_dir": runbooks, "alert_webhook_token": TOKEN, "clock": clock}


@pytest.fixture
async def world(make_world, settings):
    return await make_world(**settings)


async def scrape(world) -> Samples:
    async with aiohttp.ClientSession() as session, \
            session.get(f"{world.bot.url}/metrics") as answer:
        assert answer.status == 200
        text = await answer.text()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def by_label(samples: Samples, name: str, label: str) -> dict[str, float]:
    return {dict(key)[label]: v for (sample, key), v in samples.items() if sample == name}


def buckets(samples: Samples, name: str) -> dict[str, float]:
    return by_label(samples, f"{name}_bucket", "le")


def global_figures(samples: Samples) -> Samples:
    return {key: v for key, v in samples.items() if key[0].startswith(GLOBAL)}


async def channel_of(world, slug: str) -> str:
    return next(i.channel_id for i in await world.incidents() if i.slug == slug)


async def fail_with_a_reason(world, channel: str, message, number: int, reason: str) -> None:
    before = len(world.slack.views)
    await press(world, channel, message, step_button(message, number, "failed"))
    form = await world.opened(before)
    await world.sender.view_submission(user=BOB, view=answered(form["view"], reason))


async def click(world, channel: str, runbook: str, number: int, what: str) -> None:
    message = runbook_messages(world, channel, runbook)[0]
    await press(world, channel, message, step_button(message, number, what))


async def nth_request(world, n: int) -> str:
    """The ref of the incident's n-th access request, once the bot has recorded it."""
    async def there() -> bool:
        return len((await world.record()).access_requests) >= n

    await settled(world, there)
    return (await world.record()).access_requests[n - 1].ref


async def recorded(world, incident_id: int, action: str, count: int = 1) -> None:
    async def there() -> bool:
        events = (await world.record(incident_id)).events
        return sum(e.action == action for e in events) >= count

    await settled(world, there)


async def a_day_of_incidents(world, clock) -> None:
    """INC-1 by command, its runbook failed at a step, then finished (a high-risk step denied
    once, then approved), resolved; INC-2 by the form, its runbook aborted, its severity
    lowered; INC-3 opened by an alert that started firing ten minutes before."""
    db = await world.declare("sev2 db-outage Primary DB down", user=ALICE)
    clock.advance(minutes=4)
    await world.incident("status acknowledged", channel=db, user=BOB)
    await fail_with_a_reason(world, db, runbook_messages(world, db, "RUN-301")[0], 1,
                             "replica lag unknown")
    await recorded(world, 1, "step_failed")
    clock.advance(hours=2)
    await click(world, db, "RUN-301", 1, "done")
    await click(world, db, "RUN-301", 2, "access")
    await world.incident(f"access deny {await nth_request(world, 1)} wait for the DBA",
                         channel=db, user=CAROL)
    await click(world, db, "RUN-301", 2, "access")
    await world.sender.slash("/approve", await nth_request(world, 2), user=DAVE, channel=db)
    await click(world, db, "RUN-301", 2, "done")
    await recorded(world, 1, "step_done", count=2)
    await click(world, db, "RUN-301", 3, "skipped")
    await recorded(world, 1, "step_skipped")

    _, view = await world.form("declare", user=BOB)
    await world.sender.view_submission(user=BOB, view={**view, "state": {"values": {
        "severity": {"value": {"type": "static_select", "selected_option": {"value": "sev3"}}},
        "slug": {"value": {"type": "plain_text_input", "value": "cache-cold"}},
        "title": {"value": {"type": "plain_text_input", "value": None}},
        "runbook": {"value": {"type": "static_select", "selected_option": {"value": "RUN-302"}}},
    }}})
    await world.delivered()
    cache = await channel_of(world, "cache-cold")
    message = runbook_messages(world, cache, "RUN-302")[0]
    before = len(world.slack.views)
    await press(world, cache, message, abort_button(message))
    form = await world.opened(before)
    await world.sender.view_submission(user=BOB, view=answered(form["view"], "not the cache"))
    await recorded(world, 2, "runbook_aborted")
    await world.incident("severity sev4 only one region", channel=cache, user=BOB)

    alertmanager = AlertmanagerSender(url=f"{world.bot.url}/alerts/alertmanager", token=TOKEN)
    delivered = await alertmanager.notify([FiredAlert(
        labels={"alertname": "HighLatency", "severity": "critical"},
        starts_at=clock.now() - timedelta(minutes=10))])
    assert delivered.json["opened"] is True
    await world.delivered()
    latency = await channel_of(world, "high-latency")
    clock.advance(minutes=1)
    await world.incident("status acknowledged", channel=latency, user=BOB)
    await click(world, latency, "RUN-303", 1, "done")
    await recorded(world, 3, "step_done")
    await world.delivered()


async def test_a_day_of_incidents_shows_on_metrics(world, clock):
    await a_day_of_incidents(world, clock)
    assert value(await scrape(world), "incident_bot_access_grants_live") == 1

    clock.advance(hours=1, minutes=5)  # past the hour of access approved
    db = await channel_of(world, "db-outage")
    await world.incident("resolve a failover that was never tested", channel=db, user=BOB)
    await recorded(world, 1, "resolved")
    await world.delivered()
    figures = await scrape(world)

    assert by_label(figures, "incident_bot_open_incidents", "severity") == {
        "1": 1, "2": 0, "3": 0, "4": 1}
    declared = {(dict(k)["severity"], dict(k)["source"]): v for (name, k), v in figures.items()
                if name == "incident_bot_incidents_declared_total" and v}
    assert declared == {("2", "command"): 1, ("3", "form"): 1, ("1", "alert"): 1}

    # INC-1 acknowledged 4 minutes after its declare; INC-3 a minute after its declare,
    # eleven after its alert started firing, which is when MTTA counts from.
    assert buckets(figures, "incident_bot_mtta_seconds") == {
        "60.0": 0, "300.0": 1, "900.0": 2, "1800.0": 2, "3600.0": 2, "7200.0": 2,
        "14400.0": 2, "28800.0": 2, "86400.0": 2, "259200.0": 2, "604800.0": 2, "+Inf": 2}
    incidents = {i.slug: i for i in await world.incidents()}
    record = await world.record(incidents["high-latency"].id)
    fired = next(e.data["startsAt"] for e in record.events if e.action == "alert_firing")
    expected = (incidents["db-outage"].acknowledged_at - incidents["db-outage"].declared_at
                + incidents["high-latency"].acknowledged_at - datetime.fromisoformat(fired))
    assert value(figures, "incident_bot_mtta_seconds_sum") == pytest.approx(
        expected.total_seconds())
    # Only INC-1 is resolved, three hours and nine minutes after its declare.
    mttr = buckets(figures, "incident_bot_mttr_seconds")
    assert (mttr["7200.0"], mttr["14400.0"], mttr["+Inf"]) == (0, 1, 1)
    assert value(figures, "incident_bot_mttr_seconds_sum") == pytest.approx(
        (incidents["db-outage"].resolved_at - incidents["db-outage"].declared_at).total_seconds())

    assert by_label(figures, "incident_bot_runbook_runs_total", "outcome") == {
        "completed": 1, "aborted": 1, "running": 1}
    assert value(figures, "incident_bot_runbook_step_failures_total") == 1
    assert by_label(figures, "incident_bot_high_risk_steps_total", "state") == {
        "requested": 2, "approved": 1}
    # The abort came seconds after its attach; RUN-301 ended two hours and more after.
    runs = buckets(figures, "incident_bot_runbook_run_duration_seconds")
    assert (runs["60.0"], runs["7200.0"], runs["14400.0"], runs["+Inf"]) == (1, 1, 2, 2)
    assert value(figures, "incident_bot_access_grants_live") == 0
    assert value(figures, "incident_bot_outbox_oldest_owed_seconds") == 0


async def test_two_replicas_on_one_database_report_the_same_figures(world, clock, make_world,
                                                                     settings):
    await a_day_of_incidents(world, clock)
    replica = await make_world(slack=world.slack, **settings)
    await replica.incident("declare sev4 disk-full Disk filling up on db-2")
    await replica.delivered()
    first, second = await scrape(world), await scrape(replica)
    for name in GLOBAL:
        assert any(sample.startswith(name) for sample, _ in first), name
    assert global_figures(first) == global_figures(second)
    # The first bot counts the declare the replica took.
    assert value(first, "incident_bot_open_incidents", severity="4") == 2
    assert value(first, "incident_bot_incidents_declared_total", severity="4",
                 source="command") == 1


async def test_the_oldest_owed_call_ages_while_slack_is_down(world, clock):
    world.slack.outage(status=503)
    await world.incident("declare sev1 api-down")
    clock.advance(minutes=3)
    owed_for = value(await scrape(world), "incident_bot_outbox_oldest_owed_seconds")
    assert 180 <= owed_for < 3600
    world.slack.restore()
    await world.delivered()
    assert value(await scrape(world), "incident_bot_outbox_oldest_owed_seconds") == 0


@pytest.mark.parametrize("slack, shown", [
    (None, None),
    (lambda: {"reachable": False, "token": "ok"}, {"reachable": False, "token": "ok"}),
])
async def test_healthz_says_what_it_knows_of_slack_and_stays_healthy_without_it(world, slack,
                                                                                 shown):
    bot = world.bot
    app = make_web_app(bot.bolt, bot.store, bot.delivery, commands=bot.commands, slack=slack)
    async with TestClient(TestServer(app)) as client:
        answer = await client.get("/healthz")
        assert answer.status == 200
        body = await answer.json()
    assert body["database"] == "ok" and body.get("slack") == shown
