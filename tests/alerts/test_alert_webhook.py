"""Alertmanager (and Grafana) posting alert groups to the bot over HTTP."""

import copy
import json
from datetime import UTC, date, datetime
from pathlib import Path

import aiohttp
import pytest

from bot.services import records
from bot.standin.alertmanager import AlertmanagerSender, FiredAlert
from tests.support.world import SHIPPED_RUNBOOKS

TOKEN = "alert-token-123"
HERE = Path(__file__).parent
FIRING = json.loads((HERE / "alertmanager_firing.json").read_text())
GRAFANA = json.loads((HERE / "grafana_firing.json").read_text())


@pytest.fixture
async def world(make_world):
    return await make_world(alert_webhook_token=TOKEN, runbooks_dir=SHIPPED_RUNBOOKS)


def alertmanager(world, token: str | None = TOKEN) -> AlertmanagerSender:
    """A webhook receiver pointed at the bot, with this bearer token (None: no header)."""
    return AlertmanagerSender(url=f"{world.bot.url}/alerts/alertmanager", token=token)


async def post(world, body, *, token: str | None = TOKEN, raw: bytes | None = None):
    sender = alertmanager(world, token)
    answer = await (sender.post(raw) if raw is not None else sender.send(body))
    return answer.status, answer.json


def later_delivery():
    """The same group a minute later: the first alert resolved, a second one firing."""
    body = copy.deepcopy(FIRING)
    first = body["alerts"][0]
    first["status"], first["endsAt"] = "resolved", "2026-03-14T14:40:00Z"
    second = copy.deepcopy(first)
    second.update(status="firing", endsAt="0001-01-01T00:00:00Z",
                  startsAt="2026-03-14T14:35:00Z", fingerprint="c7e3a1d2b4f50002")
    second["labels"] = first["labels"] | {"instance": "api-2:9090"}
    body["alerts"].append(second)
    return body


def actions(record, prefix="alert_"):
    return [e.action for e in record.events if e.action.startswith(prefix)]


async def test_a_firing_group_opens_one_incident_with_its_channel(world):
    status, answer = await post(world, FIRING)
    assert status == 200 and answer["opened"] is True and answer["incident"] == "INC-1"
    await world.delivered()
    [incident] = await world.incidents()
    assert (incident.severity, incident.slug, incident.title) == (
        1, "high-request-latency", "API p99 latency above 1s")
    assert incident.declared_by == "alertmanager" and incident.status == "new"
    assert incident.channel_name == "inc-1-high-request-latency"
    record = await world.record()
    assert [r.runbook_id for r in record.runbooks] == ["RUN-001"]
    firing = [e for e in record.events if e.action == "alert_firing"]
    assert [e.details for e in firing] == ["HighRequestLatency: API p99 latency above 1s"]
    assert firing[0].data["fingerprint"] == "c7e3a1d2b4f50001"
    assert firing[0].data["labels"]["instance"] == "api-1:9090"
    assert firing[0].data["startsAt"] == "2026-03-14T14:20:05.123456+00:00"
    assert firing[0].data["generatorURL"].startswith("http://prometheus.example.com")
    assert any("Alert firing" in text for text in world.posted(incident.channel_id))


async def test_later_deliveries_feed_the_open_incident_and_never_resolve_it(world):
    await post(world, FIRING)
    status, answer = await post(world, later_delivery())
    assert status == 200 and answer["opened"] is False
    assert (answer["firing"], answer["resolved"]) == (1, 1)
    await world.delivered()
    [incident] = await world.incidents()
    assert incident.status == "new"
    assert actions(await world.record()) == ["alert_firing", "alert_resolved", "alert_firing"]
    # The group again, everything resolved: one more alert_resolved, nothing else.
    done = later_delivery()
    done["status"] = "resolved"
    done["alerts"][1].update(status="resolved", endsAt="2026-03-14T14:50:00Z")
    await post(world, done)
    assert actions(await world.record()) == ["alert_firing", "alert_resolved", "alert_firing",
                                             "alert_resolved"]
    assert len(await world.incidents()) == 1


async def test_the_same_body_twice_records_once(world):
    first = await post(world, FIRING)
    again = await post(world, FIRING)
    assert first[0] == again[0] == 200 and again[1]["recorded"] == "already"
    assert len(await world.incidents()) == 1
    assert actions(await world.record()) == ["alert_firing"]


async def test_a_group_whose_incident_is_resolved_opens_a_new_one(world):
    await post(world, FIRING)
    async with world.bot.store.transaction() as tx:
        incident = await tx.incident(1, lock=True)
        incident.status = "resolved"
        await tx.save_incident(incident)
    status, answer = await post(world, later_delivery())
    assert status == 200 and answer["incident"] == "INC-2"


@pytest.mark.parametrize("token", [None, "wrong", ""])
async def test_a_missing_or_wrong_token_gets_401_and_records_nothing(world, token):
    answer = await alertmanager(world, token).send(FIRING)
    assert answer.status == 401 and "token" in answer.json["error"]
    assert not answer.retried  # a 4xx: Alertmanager gives the notification up
    assert await world.incidents() == []
    async with aiohttp.ClientSession() as session, session.get(f"{world.bot.url}/metrics") as r:
        assert 'incident_bot_alert_deliveries_refused_total{reason="unauthorized"} 1.0' in await r.text()


@pytest.mark.parametrize(("raw", "reason"), [
    (b"not json", "not JSON"),
    (json.dumps({k: v for k, v in FIRING.items() if k != "groupKey"}).encode(), "groupKey"),
    (json.dumps({k: v for k, v in FIRING.items() if k != "alerts"}).encode(), "alerts"),
    (json.dumps(FIRING | {"version": "3"}).encode(), "version"),
    (json.dumps(FIRING | {"alerts": [FIRING["alerts"][0] | {"startsAt": "yesterday"}]}).encode(),
     "startsAt"),
])
async def test_a_malformed_body_gets_400_with_the_reason(world, raw, reason):
    status, answer = await post(world, None, raw=raw)
    assert status == 400 and reason in answer["error"]
    assert await world.incidents() == []


async def test_a_body_over_one_megabyte_gets_413(world):
    body = copy.deepcopy(FIRING)
    body["commonAnnotations"]["description"] = "x" * (1024 * 1024)
    status, _ = await post(world, body)
    assert status == 413
    assert await world.incidents() == []


async def test_without_a_token_configured_the_route_says_so(make_world):
    world = await make_world()
    answer = await alertmanager(world).send(FIRING)
    assert answer.status == 503 and "ALERT_WEBHOOK_TOKEN" in answer.json["error"]
    assert answer.retried  # so the alerts arrive once the token is set


async def test_alerts_as_alertmanager_groups_them_open_an_incident_then_resolve(world):
    fired = FiredAlert(labels={"alertname": "QueueBacklog", "severity": "warning", "queue": "mail"},
                       annotations={"summary": "Mail queue backlog above 10k"},
                       starts_at=datetime(2026, 3, 14, 9, 0, 30, tzinfo=UTC),
                       generator_url="http://prometheus.example.com:9090/graph?g0.expr=backlog&g0.tab=1")
    sender = alertmanager(world)
    answer = await sender.notify([fired])
    assert answer.status == 200 and answer.json["opened"] is True
    [incident] = await world.incidents()
    assert incident.title == "Mail queue backlog above 10k"
    resolved = FiredAlert(labels=fired.labels, annotations=fired.annotations,
                          starts_at=fired.starts_at, generator_url=fired.generator_url,
                          ends_at=datetime(2026, 3, 14, 9, 20, tzinfo=UTC))
    answer = await sender.notify([resolved])
    assert (answer.json["opened"], answer.json["firing"], answer.json["resolved"]) == (False, 0, 1)
    record = await world.record()
    assert actions(record) == ["alert_firing", "alert_resolved"]
    # The same alert both times: Alertmanager's fingerprint of its labels.
    assert len({e.data["fingerprint"] for e in record.events if e.action.startswith("alert_")}) == 1
    firing = next(e for e in record.events if e.action == "alert_firing")
    assert firing.data["generatorURL"].endswith("g0.expr=backlog&g0.tab=1")


async def test_a_grafana_payload_opens_an_incident(world):
    status, answer = await post(world, GRAFANA)
    assert status == 200 and answer["opened"] is True
    [incident] = await world.incidents()
    assert (incident.severity, incident.slug, incident.title) == (3, "disk-full",
                                                                  "Disk /var is 95% full")
    record = await world.record()
    assert [r.runbook_id for r in record.runbooks] == ["RUN-006"]
    assert actions(record) == ["alert_firing"]


async def test_an_unmapped_severity_is_sev3_and_says_so(world):
    body = copy.deepcopy(FIRING)
    body["commonLabels"]["severity"] = "page"
    body["alerts"][0]["labels"]["severity"] = "page"
    await post(world, body)
    [incident] = await world.incidents()
    assert incident.severity == 3
    firing = [e for e in (await world.record()).events if e.action == "alert_firing"]
    assert "severity `page` is not in ALERT_SEVERITY_MAP" in firing[0].details


async def test_export_and_stats_count_from_detection(world):
    await post(world, later_delivery() | {"alerts": [FIRING["alerts"][0]]})
    await post(world, later_delivery())
    await world.delivered()
    [incident] = await world.incidents()
    result = await records.export_again(world.bot.store, world.bot.deps.exporter, incident.id)
    doc = result.path.read_text()
    assert "detected: 2026-03-14T14:20:05Z" in doc.split("\n")
    table = doc.split("## Alerts\n", 1)[1].split("\n\n", 1)[0].split("\n")[1:]
    assert table[0] == "| fired | resolved | alert | told apart by | summary | description | links |"
    assert table[2].startswith("| 03-14 14:20 | 03-14 14:40 | HighRequestLatency "
                               "| instance=api-1:9090 | API p99 ")
    assert table[3].startswith("| 03-14 14:35 | - | HighRequestLatency | instance=api-2:9090 |")
    async with world.bot.store.transaction() as tx:
        incident = await tx.incident(incident.id, lock=True)
        incident.acknowledged_at = incident.declared_at
        await tx.save_incident(incident)
    figures = (await records.stats(world.bot.store, date(2026, 1, 1)))[("all", "all")]
    assert figures.mtta is not None
    assert figures.mtta == incident.declared_at - incident.declared_at.replace(
        year=2026, month=3, day=14, hour=14, minute=20, second=5, microsecond=123456)
