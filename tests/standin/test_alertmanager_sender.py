"""The Alertmanager stand-in sends what Alertmanager sends, and nothing it never would."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from aiohttp import web

from bot.standin.alertmanager import (
    AlertmanagerSender,
    FiredAlert,
    encode,
    fingerprint,
    rfc3339,
    webhook_body,
)

STARTED = datetime(2026, 3, 14, 14, 20, 5, 123456, tzinfo=UTC)


def alert(instance: str = "api-1:9090", *, ends_at: datetime | None = None, **labels: str) -> FiredAlert:
    return FiredAlert(labels={"alertname": "HighLatency", "job": "api", "instance": instance, **labels},
                      annotations={"summary": "API p99 latency above 1s", "host": instance},
                      starts_at=STARTED, ends_at=ends_at,
                      generator_url="http://prometheus.example.com:9090/graph?g0.expr=x&g0.tab=1")


@pytest.fixture
async def receiver():
    """An HTTP endpoint that keeps what it was sent and answers 200."""
    received: list[tuple[web.Request, bytes]] = []

    async def keep(request: web.Request) -> web.Response:
        received.append((request, await request.read()))
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/alerts/alertmanager", keep)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/alerts/alertmanager", received
    await runner.cleanup()


def test_fingerprints_are_the_ones_prometheus_computes():
    # The values in Prometheus' own tests of its label set fingerprint.
    assert fingerprint({}) == f"{14695981039346656037:016x}"
    assert fingerprint({"name": "garland, briggs", "fear": "love is not enough"}) == \
        f"{5799056148416392346:016x}"
    assert fingerprint({"first-label": "first-label-value", "second-label": "second-label-value",
                        "third-label": "third-label-value"}) == f"{13843036195897128121:016x}"


def test_times_are_written_as_go_writes_them():
    assert rfc3339(STARTED) == "2026-03-14T14:20:05.123456Z"
    assert rfc3339(STARTED.replace(microsecond=120000)) == "2026-03-14T14:20:05.12Z"
    assert rfc3339(STARTED.replace(microsecond=0)) == "2026-03-14T14:20:05Z"
    paris = timezone(timedelta(hours=1))
    assert rfc3339(datetime(2026, 3, 14, 15, 0, tzinfo=paris)) == "2026-03-14T15:00:00+01:00"


def test_a_group_with_one_alert_still_firing_is_firing_and_shares_only_common_labels():
    body = webhook_body([alert("api-1:9090"), alert("api-2:9090", ends_at=STARTED + timedelta(minutes=5))],
                        receiver="incident.bot")
    assert body["version"] == "4" and body["status"] == "firing"
    assert body["receiver"] == "incident\\.bot"  # Alertmanager quotes it as a regular expression
    assert body["groupKey"] == '{}:{alertname="HighLatency"}'
    assert body["groupLabels"] == {"alertname": "HighLatency"}
    assert body["commonLabels"] == {"alertname": "HighLatency", "job": "api"}
    assert body["commonAnnotations"] == {"summary": "API p99 latency above 1s"}
    firing, resolved = body["alerts"]
    assert (firing["status"], firing["endsAt"]) == ("firing", "0001-01-01T00:00:00Z")
    assert (resolved["status"], resolved["endsAt"]) == ("resolved", "2026-03-14T14:25:05.123456Z")
    assert firing["fingerprint"] == fingerprint(alert("api-1:9090").labels) != resolved["fingerprint"]
    assert body["truncatedAlerts"] == 0


def test_a_group_whose_alerts_all_resolved_is_resolved():
    body = webhook_body([alert(ends_at=STARTED + timedelta(minutes=1))])
    assert body["status"] == "resolved"


def test_max_alerts_sends_the_first_ones_and_counts_the_rest():
    alerts = [alert(f"api-{n}:9090", shard=str(n % 2)) for n in range(5)]
    body = webhook_body(alerts, max_alerts=2, group_by=("alertname", "job"),
                        route='{}/{severity="page"}')
    assert [a["labels"]["instance"] for a in body["alerts"]] == ["api-0:9090", "api-1:9090"]
    assert body["truncatedAlerts"] == 3
    assert body["groupKey"] == '{}/{severity="page"}:{alertname="HighLatency", job="api"}'
    assert "shard" not in body["commonLabels"]  # 0 and 1 among the two sent


def test_the_body_is_encoded_as_go_encodes_it():
    data = encode(webhook_body([alert()]))
    assert data.endswith(b"}\n") and b'", "' not in data
    assert b"g0.expr=x\\u0026g0.tab=1" in data
    assert json.loads(data)["alerts"][0]["generatorURL"].endswith("g0.expr=x&g0.tab=1")


@pytest.mark.parametrize(("make", "refusal"), [
    (lambda: FiredAlert(labels={}, starts_at=STARTED), "at least one label pair required"),
    (lambda: FiredAlert(labels={"": "x"}, starts_at=STARTED), "invalid label set"),
    (lambda: alert(ends_at=STARTED - timedelta(seconds=1)), "start time must be before end time"),
    (lambda: FiredAlert(labels={"alertname": "X"}, starts_at=datetime(2026, 3, 14)), "no time zone"),
    (lambda: webhook_body([]), "empty group"),
    (lambda: webhook_body([alert(), alert(job="db")], group_by=("alertname", "job")), "not one group"),
])
def test_what_alertmanager_would_never_send_is_refused(make, refusal):
    with pytest.raises(ValueError, match=refusal):
        make()


async def test_it_posts_json_with_the_bearer_token_alertmanager_sends(receiver):
    url, received = receiver
    answer = await AlertmanagerSender(url=url, token="s3cret").notify([alert()])
    assert answer.status == 200 and answer.json == {"ok": True} and not answer.retried
    [(request, data)] = received
    assert request.headers["Authorization"] == "Bearer s3cret"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"].startswith("Alertmanager/")
    assert json.loads(data)["groupKey"] == '{}:{alertname="HighLatency"}'


async def test_without_a_token_no_authorization_header_is_sent(receiver):
    url, received = receiver
    await AlertmanagerSender(url=url, token=None).notify([alert()])
    [(request, _)] = received
    assert "Authorization" not in request.headers


async def test_a_body_built_elsewhere_must_look_like_alertmanagers_or_grafanas(receiver):
    url, received = receiver
    sender = AlertmanagerSender(url=url, token="s3cret")
    body = webhook_body([alert()])
    with pytest.raises(ValueError, match="groupKey missing"):
        await sender.send({k: v for k, v in body.items() if k != "groupKey"})
    with pytest.raises(ValueError, match="version '3'"):
        await sender.send(body | {"version": "3"})
    with pytest.raises(ValueError, match="orgId, title, state, message missing"):
        await sender.send(body | {"version": "1"})  # Grafana's carries its own fields too
    assert received == []
    await sender.send(body)
    await sender.post(b"not json")  # a forged body goes as bytes
    assert [data for _, data in received][1] == b"not json"
