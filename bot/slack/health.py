"""Slack as this process sees it: the token checked with auth.test at start, and checked
again in the background while Slack does not answer; /healthz and /metrics show what is known.

A token Slack refuses stops the start with one line naming SLACK_BOT_TOKEN: nothing the bot
owes Slack could go out. Slack not answering does not: what the bot owes waits in the outbox.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator
from datetime import timedelta

from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from slack_sdk.errors import SlackApiError

from bot.config import ConfigError
from bot.outbound.errors import Retry
from bot.slack.refusals import TOKEN_FIX, NeedsAPerson
from bot.slack.webapi import WebApi, error_code

log = logging.getLogger(__name__)

# How long start-up waits for auth.test before going on without its answer.
START_WAIT = timedelta(seconds=5)
CHECK_FIRST = timedelta(seconds=2)
CHECK_MAX = timedelta(minutes=1)


class SlackCheck:
    def __init__(self, api: WebApi, *, api_url: str,
                 first: timedelta = CHECK_FIRST, most: timedelta = CHECK_MAX) -> None:
        self.api = api
        self.api_url = api_url
        self.first, self.most = first, most
        # The bot user's id, once auth.test answered.
        self.user_id: str | None = None
        self.on_answer: list[Callable[[str], None]] = []

    async def at_start(self, *, wait: timedelta = START_WAIT) -> bool:
        """auth.test once. True when Slack answered; False when it did not (within `wait`),
        said in one line: check again with `until_answered`. Raises ConfigError, naming
        SLACK_BOT_TOKEN, when Slack refuses the token."""
        try:
            async with asyncio.timeout(wait.total_seconds()):
                await self._check()
        except (NeedsAPerson, SlackApiError) as refused:
            raise ConfigError(f"SLACK_BOT_TOKEN: Slack refuses it ({_error(refused)}): "
                              f"{TOKEN_FIX}") from None
        except (Retry, TimeoutError) as failed:
            self.api.reachable = False
            reason = str(failed) or f"no answer in {wait.total_seconds():g}s"
            log.warning("Slack does not answer at SLACK_API_URL %s (%s): starting anyway, and "
                        "checking SLACK_BOT_TOKEN again until it does; /healthz shows it",
                        self.api_url, reason)
            return False
        return True

    async def until_answered(self, stop: asyncio.Event) -> None:
        """auth.test again, less and less often, until Slack answers it or the bot stops."""
        pause = self.first
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), pause.total_seconds())
                return
            try:
                await self._check()
            except (NeedsAPerson, SlackApiError) as refused:
                log.error("SLACK_BOT_TOKEN: Slack refuses it (%s): %s", _error(refused), TOKEN_FIX)
                return
            except Retry:
                pause = min(pause * 2, self.most)
                continue
            log.warning("Slack answers at SLACK_API_URL %s, and takes SLACK_BOT_TOKEN",
                        self.api_url)
            return

    async def _check(self) -> None:
        self.user_id = await self.api.who_am_i()
        for told in self.on_answer:
            told(self.user_id)

    def status(self) -> dict[str, object]:
        """For /healthz: whether the last call reached Slack, and whether Slack takes the token."""
        refused = self.api.token_refused
        return {"reachable": self.api.reachable, "token_ok": refused is None,
                **({"token_error": refused, "fix": TOKEN_FIX} if refused else {})}


def _error(refused: NeedsAPerson | SlackApiError) -> str:
    return refused.error if isinstance(refused, NeedsAPerson) else error_code(refused)


class SlackGauges(Collector):
    """Read at scrape time from what the calls last showed."""

    def __init__(self, api: WebApi) -> None:
        self.api = api

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily("incident_bot_slack_reachable",
                                "1 when this process's last check or call reached Slack, else 0",
                                value=int(self.api.reachable))
        yield GaugeMetricFamily("incident_bot_slack_token_ok",
                                "0 after Slack refused SLACK_BOT_TOKEN (invalid_auth, "
                                "token_revoked, …), else 1",
                                value=int(self.api.token_refused is None))
