"""One running bot: store, delivery loop and its adapters, Bolt app and HTTP server, started and
stopped together. The one place that knows every adapter."""

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

import bot.export.deliveries
import bot.paging.deliveries
import bot.slack.deliveries
import bot.statuspage.deliveries
from bot import redaction
from bot.alertmanager.webhook import AlertWebhook
from bot.authz.engine import PolicyError
from bot.authz.judge import Evaluator, PolicyJudge
from bot.authz.opa import OpaPolicy
from bot.authz.policy_files import compile_policy
from bot.config import ConfigError, Settings
from bot.domain.clock import Clock, SystemClock
from bot.export import git
from bot.export.metrics import ExportGitOutcomes
from bot.export.render import Renderer
from bot.outbound.lanes import PACE
from bot.outbound.loop import MAX_BACKOFF, DeliveryLoop
from bot.outbound.registry import Registry
from bot.paging.metrics import PagerDutyEvents
from bot.paging.pagerduty import PagerDuty
from bot.runbooks.live import POLL, LiveLibrary
from bot.scheduler.ticker import TICK, ReminderTicker
from bot.services.export_again import owe_export_again
from bot.services.exporter import Exporter
from bot.slack.app import build_app, build_command_app
from bot.slack.deliveries.workspace import Workspace
from bot.slack.deps import Deps
from bot.slack.groups import UserGroups
from bot.slack.server import make_web_app
from bot.slack.webapi import WebApi
from bot.statuspage.api import Statuspage
from bot.statuspage.metrics import StatuspageCalls
from bot.storage.store import Store

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler


def statuspage_of(settings: Settings) -> Statuspage | None:
    if not (settings.statuspage_page_id and settings.statuspage_api_key):
        return None
    return Statuspage(url=settings.statuspage_api_url, page_id=settings.statuspage_page_id,
                      api_key=settings.statuspage_api_key)


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
        renderer.check()
        self.runbooks = LiveLibrary(settings.runbooks_dir, every=runbook_poll)
        self.runbooks.load()
        library = self.runbooks.library
        self.deps = Deps(settings=settings, store=self.store, policy=policy, library=library,
                         judge=self.judge,
                         exporter=Exporter(export_dir=settings.export_dir, renderer=renderer,
                                           git=settings.export_git))
        self.ticker = ReminderTicker(self.store, policy, every=tick, exporter=self.deps.exporter)
        # The adapters' clients, each registering the deliveries of the notices it serves.
        self.slack_api = WebApi(self.client)
        self.pager = PagerDuty(url=settings.pagerduty_events_url,
                               routing_key=settings.pagerduty_routing_key,
                               services=settings.pagerduty_services)
        self.statuspage = statuspage_of(settings)
        self.git = git.ExportGit(push=settings.export_git_push) if settings.export_git else None
        registry = Registry()
        bot.slack.deliveries.register(registry, Workspace(
            store=self.store, api=self.slack_api, announce_channel=settings.announce_channel,
            approvers=list(policy.approvers), exec_channel=settings.exec_channel,
            runbook_stale_after=policy.runbook_stale_after))
        bot.paging.deliveries.register(registry, store=self.store, pager=self.pager)
        bot.statuspage.deliveries.register(registry, store=self.store, statuspage=self.statuspage)
        bot.export.deliveries.register(registry, store=self.store, git=self.git)
        self.delivery = DeliveryLoop(store=self.store, registry=registry, max_backoff=max_backoff,
                                     settle=2 * settings.slack_timeout, pace=pace)
        # Bolt puts the token on a copy per request; handing it a token-less client
        # keeps one source of truth for the token (its authorize function).
        bolt_client = AsyncWebClient(base_url=settings.slack_api_url, timeout=self.client.timeout,
                                     retry_handlers=[])
        self.bolt = build_app(self.deps, bolt_client)
        self.commands = build_command_app(self.deps, bolt_client)
        self.alerts = AlertWebhook(store=self.store, token=settings.alert_webhook_token,
                                   severities=settings.alert_severity_map, policy=policy,
                                   library=library, judge=self.judge)
        collectors = [PagerDutyEvents(self.pager),
                      *([StatuspageCalls(self.statuspage)] if self.statuspage else []),
                      *([ExportGitOutcomes(self.git)] if self.git else [])]
        self.web = make_web_app(self.bolt, self.store, self.delivery, alerts=self.alerts,
                                runbooks=library, collectors=collectors,
                                commands=self.commands)
        self._runner: web.AppRunner | None = None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task] = []
        self._socket_mode: AsyncSocketModeHandler | None = None
        self.url = ""

    async def start(self, host: str = "0.0.0.0", port: int | None = None) -> str:
        self._runner = web.AppRunner(self.web, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, self.settings.port if port is None else port)
        await site.start()
        bound = site._server.sockets[0].getsockname()  # type: ignore[union-attr]  # started above
        self.url = f"http://{'127.0.0.1' if host == '0.0.0.0' else host}:{bound[1]}"
        self._tasks.append(asyncio.create_task(self.delivery.run(self._stop)))
        self._tasks.append(asyncio.create_task(self.runbooks.run(self._stop)))
        self.ticker.start()
        if isinstance(self.judge.policy, OpaPolicy) and (problem := await self.judge.policy.check()):
            # It starts all the same: until OPA answers, every decision refuses, saying why.
            log.warning("OPA_URL: %s", problem)
        if self.settings.slack_app_token:
            await self._start_socket_mode()
        return self.url

    async def _start_socket_mode(self) -> None:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        self._socket_mode = AsyncSocketModeHandler(
            self.bolt, self.settings.slack_app_token,
            web_client=AsyncWebClient(base_url=self.settings.slack_api_url),
        )
        await self._socket_mode.connect_async()

    async def stop(self) -> None:
        self._stop.set()
        await self.ticker.stop()
        if self._socket_mode is not None:
            await self._socket_mode.close_async()
        for task in self._tasks:
            await task
        if self._runner is not None:
            await self._runner.cleanup()
        if isinstance(self.judge.policy, OpaPolicy):
            await self.judge.policy.close()
        await self.store.close()

    async def __aenter__(self) -> "BotRuntime":
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()
