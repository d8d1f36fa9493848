"""One running bot: store, delivery loop and its adapters, Bolt app and HTTP server, started and
stopped together. The one place that knows every adapter."""

import asyncio
import logging
import os
from datetime import timedelta
from pathlib import Path

import jinja2
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

import bot.export.deliveries
import bot.oncall.deliveries
import bot.paging.deliveries
import bot.slack.deliveries
import bot.statuspage.deliveries
import bot.tickets.deliveries
from bot import redaction, tracing
from bot.alertmanager.webhook import AlertWebhook
from bot.authz.engine import PolicyError
from bot.authz.judge import Evaluator, PolicyJudge
from bot.authz.opa import OpaPolicy
from bot.authz.policy_files import compile_policy
from bot.catalog.live import LiveCatalog
from bot.cli.version import package_version
from bot.config import ConfigError, Settings
from bot.domain.clock import Clock, SystemClock
from bot.export import git
from bot.export.metrics import ExportGitOutcomes
from bot.export.render import Renderer
from bot.oncall import oncall_of
from bot.outbound.lanes import PACE
from bot.outbound.loop import MAX_BACKOFF, DeliveryLoop
from bot.outbound.metrics import OutboundCalls
from bot.outbound.registry import Registry
from bot.paging.metrics import PagerDutyEvents
from bot.paging.pagerduty import PagerDuty
from bot.runbooks.live import POLL, LiveLibrary
from bot.scheduler.ticker import TICK, ReminderTicker
from bot.services.export_again import owe_export_again
from bot.services.exporter import Exporter
from bot.slack.app import RejectedSignatures, build_app, build_command_app
from bot.slack.deliveries.workspace import Workspace
from bot.slack.deps import Deps
from bot.slack.groups import UserGroups
from bot.slack.health import SlackCheck, SlackGauges
from bot.slack.server import CatalogBroken, make_web_app
from bot.slack.socket_mode import SocketMode
from bot.slack.webapi import WebApi
from bot.statuspage.api import Statuspage
from bot.statuspage.metrics import StatuspageCalls
from bot.storage.store import Store
from bot.tickets import tracker_of
from bot.tickets.route import TicketWebhooks

log = logging.getLogger(__name__)


def statuspage_of(settings: Settings, calls: OutboundCalls | None = None) -> Statuspage | None:
    if not (settings.statuspage_page_id and settings.statuspage_api_key):
        return None
    return Statuspage(url=settings.statuspage_api_url, page_id=settings.statuspage_page_id,
                      api_key=settings.statuspage_api_key, calls=calls)


def check_exports(settings: Settings, renderer: Renderer) -> None:
    """EXPORT_TEMPLATE read and parsed, EXPORT_DIR writable: found wanting at start, in one
    line naming the setting, rather than at the first export, mid-incident."""
    template = settings.export_template
    if template is not None:
        try:
            template.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"EXPORT_TEMPLATE: cannot read {template}: "
                              f"{getattr(exc, 'strerror', None) or exc}") from None
    try:
        renderer.check()
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(f"EXPORT_TEMPLATE: {template}:{exc.lineno}: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise ConfigError(f"EXPORT_TEMPLATE: {template}: {exc}") from None
    # Not created yet: the folder that will hold it decides.
    folder = Path(os.path.abspath(settings.export_dir))
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise ConfigError(f"EXPORT_DIR: {settings.export_dir} cannot be a folder: {folder} is a file")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"EXPORT_DIR: {settings.export_dir} is not writable by this process "
                          f"({folder})")


def judge_of(settings: Settings, client: AsyncWebClient) -> PolicyJudge:
    """The policy in force: an OPA server's when OPA_URL is set, else POLICY_FILE's (or the
    shipped default), compiled now: one that does not compile stops the start."""
    policy: Evaluator
    if settings.opa_url:
        policy = OpaPolicy(settings.opa_url, settings.opa_timeout.total_seconds(),
                           token=settings.opa_token)
    else:
        try:
            policy = compile_policy(settings.policy_file, settings.approvers)
        except PolicyError as error:
            raise ConfigError(f"POLICY_FILE: {error}") from None
    groups = UserGroups(client, keep=settings.groups_cache)
    return PolicyJudge(policy, approvers=settings.approvers, groups_of=groups.of)


class BotRuntime:
    def __init__(self, settings: Settings, *, clock: Clock | None = None,
                 max_backoff: timedelta = MAX_BACKOFF,
                 tick: timedelta = TICK, runbook_poll: timedelta = POLL,
                 pace: timedelta = PACE) -> None:
        self.settings = settings
        redaction.configure(enabled=settings.redact_secrets)
        if settings.export_git and (problem := git.start_up_problem(
                settings.export_dir, push=settings.export_git_push)):
            raise ConfigError(problem)
        policy = settings.policy()
        self.store = Store.from_url(settings.database_url, clock=(clock or SystemClock()).now,
                                    after_append=owe_export_again(policy.export_debounce))
        self.client = AsyncWebClient(
            token=settings.slack_bot_token,
            base_url=settings.slack_api_url,
            timeout=max(1, int(settings.slack_timeout.total_seconds())),
            retry_handlers=[],  # the outbox retries, durably; no hidden waits in the client
        )
        self.judge = judge_of(settings, self.client)
        renderer = Renderer(settings.export_template)
        check_exports(settings, renderer)
        self.runbooks = LiveLibrary(settings.runbooks_dir, every=runbook_poll)
        self.runbooks.load()
        library = self.runbooks.library
        self.catalog = LiveCatalog(settings.catalog_dir, every=runbook_poll)
        self.catalog.load()
        # Made before the other clients below, as the commands ask it too (`/incident oncall`).
        self.outbound_calls = OutboundCalls()
        self.oncall = oncall_of(settings, self.outbound_calls)
        self.deps = Deps(settings=settings, store=self.store, policy=policy, library=library,
                         judge=self.judge, catalog=self.catalog.catalog, oncall=self.oncall,
                         exporter=Exporter(export_dir=settings.export_dir, renderer=renderer,
                                           git=settings.export_git,
                                           templates=self.catalog.catalog.export_template))
        self.ticker = ReminderTicker(self.store, policy, every=tick, exporter=self.deps.exporter)
        # The adapters' clients, each registering the deliveries of the notices it serves,
        # and counting its calls in one tally (self.outbound_calls, above).
        self.slack_api = WebApi(self.client, calls=self.outbound_calls, channel_settings={
            channel: name for name, channel in (("ANNOUNCE_CHANNEL", settings.announce_channel),
                                                ("EXEC_CHANNEL", settings.exec_channel))
            if channel})
        self.slack_check = SlackCheck(self.slack_api, api_url=settings.slack_api_url)
        self.pager = PagerDuty(url=settings.pagerduty_events_url,
                               routing_key=settings.pagerduty_routing_key,
                               services=settings.pagerduty_services, calls=self.outbound_calls,
                               meeting_url=settings.meeting_url)
        self.statuspage = statuspage_of(settings, self.outbound_calls)
        self.git = git.ExportGit(push=settings.export_git_push, calls=self.outbound_calls) \
            if settings.export_git else None
        registry = Registry()
        self.workspace = Workspace(
            store=self.store, api=self.slack_api, announce_channel=settings.announce_channel,
            approvers=list(policy.approvers), exec_channel=settings.exec_channel,
            runbook_stale_after=policy.runbook_stale_after, meeting_url=settings.meeting_url)
        self.slack_check.on_answer.append(self._bot_user)
        bot.slack.deliveries.register(registry, self.workspace)
        bot.paging.deliveries.register(registry, store=self.store, pager=self.pager)
        bot.statuspage.deliveries.register(registry, store=self.store, statuspage=self.statuspage)
        bot.export.deliveries.register(registry, store=self.store, git=self.git)
        # Action items become tickets in TICKETS' tracker; None: they stay in the bot only.
        self.tracker = tracker_of(settings, self.outbound_calls)
        bot.tickets.deliveries.register(registry, store=self.store, tracker=self.tracker)
        bot.oncall.deliveries.register(registry, store=self.store, oncall=self.oncall)
        self.delivery = DeliveryLoop(store=self.store, registry=registry, max_backoff=max_backoff,
                                     settle=2 * settings.slack_timeout, pace=pace)
        # Bolt puts the token on a copy per request; handing it a token-less client
        # keeps one source of truth for the token (its authorize function).
        bolt_client = AsyncWebClient(base_url=settings.slack_api_url, timeout=self.client.timeout,
                                     retry_handlers=[])
        self.signatures = RejectedSignatures()
        self.bolt = build_app(self.deps, bolt_client, self.signatures)
        self.commands = build_command_app(self.deps, bolt_client, self.signatures)
        self.alerts = AlertWebhook(store=self.store, token=settings.alert_webhook_token,
                                   severities=settings.alert_severity_map, policy=policy,
                                   library=library, judge=self.judge,
                                   catalog=self.catalog.catalog,
                                   service_label=settings.alert_service_label,
                                   find_oncall=self.oncall is not None)
        collectors = [PagerDutyEvents(self.pager), self.outbound_calls,
                      CatalogBroken(self.catalog.catalog),
                      SlackGauges(self.slack_api),
                      *([StatuspageCalls(self.statuspage)] if self.statuspage else []),
                      *([ExportGitOutcomes(self.git)] if self.git else [])]
        self.ticket_webhooks = TicketWebhooks(
            store=self.store, github_secret=settings.github_webhook_secret,
            github_repo=settings.github_repo, jira_secret=settings.jira_webhook_secret,
            jira_project=settings.jira_project)
        self.web = make_web_app(self.bolt, self.store, self.delivery, alerts=self.alerts,
                                tickets=self.ticket_webhooks,
                                runbooks=library, collectors=collectors,
                                commands=self.commands, slack=self.slack_status)
        self._runner: web.AppRunner | None = None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._ticking = False
        self._tracing = False
        self._socket_mode: SocketMode | None = None
        self.url = ""

    def slack_status(self) -> dict[str, object]:
        return self.slack_check.status()

    def _bot_user(self, user_id: str) -> None:
        # auth.test said who the bot is: the deliveries need not ask again.
        self.workspace.bot_user_id = self.workspace.bot_user_id or user_id

    async def check_slack(self) -> None:
        """auth.test before serving: raises ConfigError naming SLACK_BOT_TOKEN when Slack
        refuses the token; a Slack that does not answer is checked again in the background."""
        if not await self.slack_check.at_start():
            self._tasks.append(asyncio.create_task(self.slack_check.until_answered(self._stop)))

    async def start(self, host: str = "0.0.0.0", port: int | None = None) -> str:
        if self.settings.otel_exporter_otlp_endpoint:
            try:
                tracing.enable(self.settings.otel_exporter_otlp_endpoint, version=package_version())
                self._tracing = True
            except tracing.TracingUnavailable as exc:  # the bot works the same without
                log.warning("%s", exc)
        self._runner = web.AppRunner(self.web, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, self.settings.port if port is None else port)
        await site.start()
        bound = site._server.sockets[0].getsockname()  # type: ignore[union-attr]  # started above
        self.url = f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{bound[1]}"
        self._tasks.append(asyncio.create_task(self.delivery.run(self._stop)))
        self._tasks.append(asyncio.create_task(self.runbooks.run(self._stop)))
        self._tasks.append(asyncio.create_task(self.catalog.run(self._stop)))
        self.ticker.start()
        self._ticking = True
        if isinstance(self.judge.policy, OpaPolicy) and (problem := await self.judge.policy.check()):
            # It starts all the same: until OPA answers, every decision refuses, saying why.
            log.warning("OPA_URL: %s", problem)
        if self.settings.slack_app_token:
            self._socket_mode = SocketMode(self.bolt, self.settings.slack_app_token,
                                           api_url=self.settings.slack_api_url,
                                           timeout=self.settings.slack_timeout)
            await self._socket_mode.start()
        return self.url

    async def stop(self) -> None:
        """Stops what start (and check_slack) started, however far they got."""
        self._stop.set()
        if self._ticking:
            await self.ticker.stop()
        if self._socket_mode is not None:
            await self._socket_mode.stop()
        for task in self._tasks:
            await task
        if self._runner is not None:
            await self._runner.cleanup()
        if isinstance(self.judge.policy, OpaPolicy):
            await self.judge.policy.close()
        if self.tracker is not None:
            await self.tracker.aclose()
        await self.store.close()
        if self._tracing:  # the last spans go out, the event loop not waiting for them
            await asyncio.to_thread(tracing.disable)

    async def __aenter__(self) -> "BotRuntime":
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()
