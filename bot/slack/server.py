"""aiohttp wiring: `POST /slack/events`, `GET /healthz`, `GET /metrics`."""

import logging
from collections.abc import Callable, Iterator, Sequence

from aiohttp import web
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.alertmanager.webhook import PATH as ALERTS_PATH
from bot.alertmanager.webhook import AlertWebhook
from bot.incident_metrics import IncidentFigures
from bot.outbound.loop import DeliveryLoop
from bot.redaction import REDACTIONS
from bot.runbooks.library import Library
from bot.storage.engine import ping
from bot.storage.store import Store

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"


class RunbooksBroken(Collector):
    """Read at scrape time, so a reload shows without anyone setting the gauge."""

    def __init__(self, library: Library) -> None:
        self.library = library

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily("incident_bot_runbooks_broken",
                                "Runbook files left out because they do not load",
                                value=self.library.broken)


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


def make_web_app(bolt: AsyncApp, store: Store, delivery: DeliveryLoop, *,
                 commands: AsyncApp,
                 alerts: AlertWebhook | None = None,
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
        answer = await dispatch(await to_bolt_request(request), events=bolt, commands=commands)
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
        app.router.add_post(ALERTS_PATH, alerts.handle)
    return app
