"""An operator following one request through the bot: spans from the Slack request or the
alert delivery, through the use case and its transactions, to each outbound delivery, each
carrying the incident it is about."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from bot import tracing
from bot.standin.alertmanager import AlertmanagerSender
from tests.support.world import SHIPPED_RUNBOOKS

FIRING = json.loads((Path(__file__).parent / "alerts" / "alertmanager_firing.json").read_text())
TOKEN = "alert-token-123"


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    tracing.enable(exporter=exporter)
    yield exporter
    tracing.disable()


def named(exporter, name: str) -> list:
    return [s for s in exporter.get_finished_spans() if s.name == name]


def ancestry(exporter, span) -> list[str]:
    """The names from `span` up to its trace's root."""
    by_id = {s.context.span_id: s for s in exporter.get_finished_spans()}
    names = [span.name]
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        names.append(span.name)
    return names


@pytest.mark.over_http
async def test_a_slash_command_is_one_trace_from_the_request_to_its_transaction(spans, world):
    await world.declare()
    spans.clear()

    await world.incident("log restarted the primary", channel=(await world.incidents())[0].channel_id)
    await world.delivered()

    [request] = [s for s in named(spans, "slack.request")
                 if s.attributes.get("slack.command") == "/incident"]
    assert request.parent is None
    assert request.attributes["incident.id"] == "INC-1"
    [command] = named(spans, "incident.command")
    assert command.attributes["command"] == "/incident log"
    assert command.context.trace_id == request.context.trace_id
    transactions = [s for s in named(spans, "db.transaction")
                    if s.context.trace_id == request.context.trace_id]
    assert transactions and all(t.attributes["incident.id"] == "INC-1" for t in transactions)
    assert ancestry(spans, transactions[0])[-2:] == ["incident.command", "slack.request"]
    assert "restarted" not in json.dumps([dict(s.attributes) for s in spans.get_finished_spans()])


@pytest.mark.over_http
async def test_each_outbound_delivery_is_a_span_naming_its_incident(spans, world):
    await world.declare()

    deliveries = named(spans, "outbound.deliver")
    assert {d.attributes["kind"] for d in deliveries} >= {"create_channel"}
    assert all(d.attributes["incident.id"] == "INC-1" for d in deliveries
               if d.attributes["lane"] != "workspace")
    assert all(d.attributes["attempt"] >= 1 and d.attributes["calls"] >= 1 for d in deliveries)


async def test_an_alert_delivery_is_traced_to_the_incident_it_opens(spans, make_world):
    world = await make_world(alert_webhook_token=TOKEN, runbooks_dir=SHIPPED_RUNBOOKS)
    sender = AlertmanagerSender(url=f"{world.bot.url}/alerts/alertmanager", token=TOKEN)

    answer = await sender.send(FIRING)

    assert answer.status == 200
    [delivery] = named(spans, "alertmanager.delivery")
    assert delivery.attributes["incident.id"] == "INC-1"
    [opened] = [s for s in named(spans, "db.transaction")
                if s.context.trace_id == delivery.context.trace_id]
    assert opened.attributes["incident.id"] == "INC-1"


@pytest.fixture
async def collector(unused_tcp_port):
    """An OTLP/HTTP collector: what it was sent."""
    sent: list[ExportTraceServiceRequest] = []

    async def collect(request: web.Request) -> web.Response:
        assert request.headers["Content-Type"] == "application/x-protobuf"
        sent.append(ExportTraceServiceRequest.FromString(await request.read()))
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/v1/traces", collect)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", unused_tcp_port).start()
    yield f"http://127.0.0.1:{unused_tcp_port}", sent
    await runner.cleanup()


@pytest.mark.over_http
async def test_with_the_endpoint_set_the_spans_reach_the_collector(collector, make_world):
    url, sent = collector
    world = await make_world(otel_exporter_otlp_endpoint=url)
    await world.declare()

    await world.stop()  # the last batch goes out

    spans = [s for request in sent for r in request.resource_spans for ss in r.scope_spans
             for s in ss.spans]
    requests = [s for s in spans if s.name == "slack.request"]
    assert requests
    incident = {a.key: a.value.string_value for a in requests[0].attributes}
    assert incident["slack.command"] == "/incident" and incident["incident.id"] == "INC-1"
    service = {a.key: a.value.string_value for a in sent[0].resource_spans[0].resource.attributes}
    assert service["service.name"] == "incident-bot"


def test_without_the_extra_installed_the_setting_is_one_line_and_nothing_else_changes(monkeypatch):
    monkeypatch.setitem(sys.modules, "opentelemetry.sdk.trace", None)
    with pytest.raises(tracing.TracingUnavailable, match=r"pip install 'incident-bot\[otel\]'"):
        tracing.enable("http://collector:4318")
    with tracing.span("slack.request"):
        tracing.incident(1)  # off: nothing to do, nothing fails


def test_with_tracing_off_the_bot_never_imports_opentelemetry():
    probe = ("import sys, bot.runtime, bot.cli.commands; "
             "print(any(m.startswith('opentelemetry') for m in sys.modules))")
    answer = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True)
    assert answer.stdout.strip() == "False"
