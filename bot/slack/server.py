"""aiohttp wiring: `POST /slack/events`, `GET /healthz`, `GET /metrics`, the alert and
tracker webhooks."""

import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence

from aiohttp import web
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot import tracing
from bot.alertmanager.webhook import PATH as ALERTS_PATH
from bot.alertmanager.webhook import AlertWebhook
from bot.catalog.library import Catalog
from bot.incident_metrics import IncidentFigures
from bot.outbound.loop import DeliveryLoop
from bot.redaction import REDACTIONS
from bot.runbooks.library import Library
from bot.storage.engine import ping
from bot.storage.store import Store
from bot.tickets.route import PATHS, TicketWebhooks

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class RunbooksBroken(Collector):
    """Read at scrape time, so a reload shows without anyone setting the gauge."""

    def __init__(self, library: Library) -> None:
        self.library = library

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily("incident_bot_runbooks_broken",
                                "Runbook files left out because they do not load",
                                value=self.library.broken)


class CatalogBroken(Collector):
    """Catalog files with a service or incident type left out, read at scrape time."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily("incident_bot_catalog_broken_files",
                                "Catalog files with a service or incident type left out "
                                "because it does not load",
                                value=self.catalog.broken)


class PolicyDenials(Collector):
    """Refusals of the incident policy, by action, counted from the record at scrape time:
    every replica reports the same, whichever one refused."""

    def __init__(self) -> None:
        self.by_action: dict[str, int] = {}

    def collect(self) -> Iterator[Metric]:
        denials = CounterMetricFamily("incident_bot_policy_denials",
                                      "Actions the incident policy refused, by action",
                                      labels=["action"])
        for action, count in sorted(self.by_action.items()):
            denials.add_metric([action], count)
        yield denials


async def dispatch(request: AsyncBoltRequest, *, events: AsyncApp,
                   commands: AsyncApp) -> BoltResponse:
    """Hand one Slack request to its Bolt app: a slash command to the app that answers once
    the command is recorded, anything else to the app that acks first and works after."""
    app = commands if "command" in request.body else events
    return await app.async_dispatch(request)


def what_slack_sent(body: dict) -> dict[str, str | None]:
    """A span's attributes for a Slack request: what kind, and which command or action;
    never the text typed, which may hold what the record keeps out."""
    if "command" in body:
        return {"slack.type": "slash_command", "slack.command": body.get("command")}
    event = body.get("event") or {}
    actions = body.get("actions") or [{}]
    view = body.get("view") or {}
    return {"slack.type": body.get("type"), "slack.event": event.get("type"),
            "slack.action": actions[0].get("action_id"), "slack.view": view.get("callback_id")}


def traced(name: str, handler: Handler) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        with tracing.span(name):
            return await handler(request)
    return handle


def make_web_app(bolt: AsyncApp, store: Store, delivery: DeliveryLoop, *,
                 commands: AsyncApp,
                 alerts: AlertWebhook | None = None,
                 tickets: TicketWebhooks | None = None,
                 runbooks: Library | None = None,
                 collectors: Sequence[Collector] = (),
                 slack: Callable[[], dict[str, object]] | None = None) -> web.Application:
    """`slack`: what the bot knows of Slack now, shown by /healthz; a Slack that does not
    answer leaves the bot healthy, since what it owes Slack waits in the outbox."""
    registry = CollectorRegistry()
    registry.register(REDACTIONS)
    if runbooks is not None:
        registry.register(RunbooksBroken(runbooks))
    if alerts is not None:
        registry.register(alerts)
    for collector in collectors:
        registry.register(collector)
    denials = PolicyDenials()
    registry.register(denials)
    figures = IncidentFigures(store, delivery.outbox)
    registry.register(figures)
    pending = Gauge("incident_bot_outbox_pending", "Outbound calls owed", registry=registry)
    failed = Gauge("incident_bot_outbox_failed",
                   "Outbound calls given up or parked (`incident-bot db outbox`), by kind",
                   ["kind"], registry=registry)
    delivered = Gauge("incident_bot_slack_calls_delivered",
                      "Outbound calls delivered by this process", registry=registry)

    async def slack_events(request: web.Request) -> web.Response:
        bolt_request = await to_bolt_request(request)
        with tracing.span("slack.request", **what_slack_sent(bolt_request.body)):
            answer = await dispatch(bolt_request, events=bolt, commands=commands)
        return await to_aiohttp_response(answer)

    async def healthz(_: web.Request) -> web.Response:
        said = {} if slack is None else {"slack": slack()}
        try:
            await ping(store.database)
        except Exception as exc:
            log.warning("health check: database unavailable: %s", exc)
            return web.json_response({"ok": False, "database": "unavailable", **said},
                                     status=503)
        return web.json_response({"ok": True, "database": "ok", **said})

    async def metrics(_: web.Request) -> web.Response:
        pending.set(await delivery.outbox.pending())
        failed.clear()
        for kind, count in (await delivery.outbox.failed_by_kind()).items():
            failed.labels(kind=kind).set(count)
        delivered.set(delivery.delivered)
        async with store.reading() as tx:
            denials.by_action = await tx.denials_by_action()
        await figures.read()
        return web.Response(body=generate_latest(registry),
                            headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_post(EVENTS_PATH, slack_events)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    if alerts is not None:
        app.router.add_post(ALERTS_PATH, traced("alertmanager.delivery", alerts.handle))
    if tickets is not None:
        app.router.add_post(PATHS["github"], traced("github.webhook", tickets.github))
        app.router.add_post(PATHS["jira"], traced("jira.webhook", tickets.jira))
    return app
