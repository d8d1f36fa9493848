"""aiohttp wiring: `POST /slack/events`, `GET /healthz`, `GET /metrics`."""

import logging
from collections.abc import Iterator

from aiohttp import web
from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot.alertmanager.webhook import PATH as ALERTS_PATH
from bot.alertmanager.webhook import AlertWebhook
from bot.export.git import ExportGit
from bot.paging.pagerduty import PagerDuty
from bot.runbooks.library import Library
from bot.slack.notifier import SlackNotifier
from bot.statuspage.api import Statuspage
from bot.storage.engine import ping
from bot.storage.store import Store

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"


class PagerDutyEvents(Collector):
    """The client's own tally, read at scrape time: every answer counted where it happened."""

    def __init__(self, pager: PagerDuty) -> None:
        self.pager = pager

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily("incident_bot_pagerduty_events",
                                     "PagerDuty events sent by this process, by answer",
                                     labels=["action", "outcome"])
        for (action, outcome), count in sorted(self.pager.counts.items()):
            family.add_metric([action, outcome], count)
        yield family


class RunbooksBroken(Collector):
    """Read at scrape time, so a reload shows without anyone setting the gauge."""

    def __init__(self, library: Library) -> None:
        self.library = library

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily("incident_bot_runbooks_broken",
                                "Runbook files left out because they do not load",
                                value=self.library.broken)


class ExportGitOutcomes(Collector):
    def __init__(self, git: ExportGit) -> None:
        self.git = git

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily("incident_bot_export_git",
                                     "Exports committed and pushed to git by this process, and "
                                     "git failures", labels=["outcome"])
        for outcome in ("committed", "pushed", "failed"):
            family.add_metric([outcome], self.git.counts[outcome])
        yield family


class StatuspageCalls(Collector):
    def __init__(self, statuspage: Statuspage) -> None:
        self.statuspage = statuspage

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily("incident_bot_statuspage_calls",
                                     "Statuspage API calls made by this process, by answer",
                                     labels=["call", "outcome"])
        for (call, outcome), count in sorted(self.statuspage.counts.items()):
            family.add_metric([call, outcome], count)
        yield family


def make_web_app(bolt: AsyncApp, store: Store, notifier: SlackNotifier, *,
                 commands: AsyncApp,
                 alerts: AlertWebhook | None = None,
                 runbooks: Library | None = None) -> web.Application:
    registry = CollectorRegistry()
    if runbooks is not None:
        registry.register(RunbooksBroken(runbooks))
    if alerts is not None:
        registry.register(alerts)
    if notifier.outbound.pager is not None:
        registry.register(PagerDutyEvents(notifier.outbound.pager))
    if notifier.outbound.statuspage is not None:
        registry.register(StatuspageCalls(notifier.outbound.statuspage))
    if notifier.outbound.git is not None:
        registry.register(ExportGitOutcomes(notifier.outbound.git))
    pending = Gauge("incident_bot_outbox_pending", "Slack calls owed", registry=registry)
    failed = Gauge("incident_bot_outbox_failed", "Slack calls Slack refused for good",
                   registry=registry)
    delivered = Gauge("incident_bot_slack_calls_delivered",
                      "Slack calls delivered by this process", registry=registry)

    async def slack_events(request: web.Request) -> web.Response:
        received = await to_bolt_request(request)
        app = commands if "command" in received.body else bolt
        return await to_aiohttp_response(await app.async_dispatch(received))

    async def healthz(_: web.Request) -> web.Response:
        try:
            await ping(store.database)
        except Exception as exc:
            log.warning("health check: database unavailable: %s", exc)
            return web.json_response({"ok": False, "database": "unavailable"}, status=503)
        return web.json_response({"ok": True, "database": "ok"})

    async def metrics(_: web.Request) -> web.Response:
        counts = await notifier.outbox.counts()
        pending.set(counts["pending"])
        failed.set(counts["failed"])
        delivered.set(notifier.delivered)
        return web.Response(body=generate_latest(registry),
                            headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_post(EVENTS_PATH, slack_events)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    if alerts is not None:
        app.router.add_post(ALERTS_PATH, alerts.handle)
    return app
