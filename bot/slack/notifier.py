"""The one way out to Slack: owed calls from the outbox, retried until Slack takes them.

Record first, post after: every call here was committed to the outbox with the
change it reports. A 429 waits its Retry-After, a 5xx or timeout backs off, and
nothing is dropped. When an attempt may have landed (timeout, 5xx, crash), the
next one first looks in the channel for the message it tagged, so a post shows
once.
"""

import asyncio
import logging
import random
import time
from datetime import timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.channel_names import channel_name
from bot.domain.incident import IncidentRecord
from bot.runbooks.copies import runbook_views
from bot.services import deliveries
from bot.services.runbooks import STEPS_PER_MESSAGE
from bot.slack import blocks
from bot.storage.outbox import Outbox, OutboxItem
from bot.storage.store import Store

log = logging.getLogger(__name__)

METADATA_TYPE = "incident_bot_post"
# Slack answers these with ok=false, yet they pass: the wanted state is already there.
ALREADY_DONE = {"already_pinned", "already_in_channel", "cant_invite_self"}
# Worth waiting for: the token or Slack itself may come back.
TRANSIENT = {"ratelimited", "internal_error", "fatal_error", "service_unavailable",
             "request_timeout", "invalid_auth", "not_authed", "account_inactive",
             "token_revoked", "team_added_to_org"}
MAX_NAME_ATTEMPTS = 50


def error_code(exc: SlackApiError) -> str:
    """Slack's error code; a 5xx from a proxy may carry no JSON at all."""
    data = exc.response.data
    return data.get("error", "") if isinstance(data, dict) else ""


class Retry(Exception):
    def __init__(self, reason: str, *, after: timedelta | None = None,
                 uncertain: bool = False, in_flight: bool = False) -> None:
        super().__init__(reason)
        self.after, self.uncertain, self.in_flight = after, uncertain or in_flight, in_flight


class SlackNotifier:
    def __init__(self, *, store: Store, client: AsyncWebClient, announce_channel: str | None,
                 approvers: list[str] | tuple[str, ...] = (),
                 max_backoff: timedelta = timedelta(minutes=2),
                 settle: timedelta = timedelta(seconds=20),
                 lease: timedelta = timedelta(seconds=15)) -> None:
        self.store = store
        self.client = client
        self.outbox = Outbox(store, lease=lease)
        self.announce_channel = announce_channel
        self.approvers = list(approvers)
        self.max_backoff = max_backoff
        # A request we stopped waiting for may still be running at Slack; give it
        # time to land before looking for it, or we would post it twice.
        self.settle = settle
        self.bot_user_id: str | None = None
        self.delivered = 0
        # Slack limits each method per workspace: after a 429 no lane calls it before then.
        self._rate_limited_until: dict[str, float] = {}

    # the loop ----------------------------------------------------------------
    async def run(self, stop: asyncio.Event, idle: float = 1.0) -> None:
        """Deliver until stopped; wakes on new notices, polls for other replicas' rows."""
        while not stop.is_set():
            try:
                busy = await self.deliver_due()
            except Exception:  # the database may be briefly away; keep the loop alive
                log.exception("outbox pass failed")
                busy = False
            if busy:
                continue
            self.store.outbox_signal.clear()
            waiters = [asyncio.ensure_future(self.store.outbox_signal.wait()),
                       asyncio.ensure_future(stop.wait())]
            await asyncio.wait(waiters, timeout=idle, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()

    async def deliver_due(self) -> bool:
        """One pass over the lane heads that are due. True if anything was claimed."""
        items = await self.outbox.claim()
        await asyncio.gather(*(self._attempt(item) for item in items))
        return bool(items)

    async def drain(self, timeout: float = 30.0) -> None:
        """Deliver until nothing is owed (for the demo and tests)."""
        async with asyncio.timeout(timeout):
            while (await self.outbox.counts())["pending"]:
                if not await self.deliver_due():
                    await asyncio.sleep(0.02)

    async def _attempt(self, item: OutboxItem) -> None:
        try:
            await self._deliver_leased(item)
        except Retry as retry:
            after = retry.after or self._backoff(item.attempts)
            if retry.in_flight:
                after = max(after, self.settle)
            log.warning("slack call %s #%s deferred %ss: %s", item.kind, item.id,
                        after.total_seconds(), retry)
            await self.outbox.retry(item, after=after, error=str(retry), uncertain=retry.uncertain)
        except SlackApiError as exc:
            error = error_code(exc)
            log.error("slack refused %s #%s: %s", item.kind, item.id, error)
            await self.outbox.give_up(item, f"slack error: {error}")
        except Exception as exc:
            log.exception("delivering %s #%s failed", item.kind, item.id)
            await self.outbox.retry(item, after=max(self._backoff(item.attempts), self.settle),
                                    error=repr(exc), uncertain=True)
        else:
            self.delivered += 1
            await self.outbox.delivered(item)

    async def _deliver_leased(self, item: OutboxItem) -> None:
        """Deliver under a short lease renewed while we work: after a kill -9 another
        process may retry within seconds, yet a slow call is never taken over while alive."""

        async def keep_lease() -> None:
            while True:
                await asyncio.sleep(self.outbox.lease.total_seconds() / 3)
                await self.outbox.renew(item)

        renewing = asyncio.create_task(keep_lease())
        try:
            await self._deliver(item)
        finally:
            renewing.cancel()
            # Stop renewing before the outcome is written, so a deferral is not re-leased.
            await asyncio.gather(renewing, return_exceptions=True)

    def _backoff(self, attempts: int) -> timedelta:
        seconds = min(2 ** (attempts - 1), self.max_backoff.total_seconds())
        return timedelta(seconds=seconds * random.uniform(0.8, 1.0))

    async def call(self, method: str, **params: Any) -> Any:
        """A Web API call with Slack's failures sorted into retry-later or final."""
        wait = self._rate_limited_until.get(method, 0) - time.monotonic()
        if wait > 0:
            raise Retry(f"{method}: still rate limited", after=timedelta(seconds=wait))
        try:
            # The SDK's own method knows each call's encoding (form, JSON or GET).
            return await getattr(self.client, method.replace(".", "_"))(**params)
        except SlackApiError as exc:
            status, error = exc.response.status_code, error_code(exc)
            if status == 429 or error == "ratelimited":
                headers = {k.lower(): v for k, v in (exc.response.headers or {}).items()}
                wait = float(headers.get("retry-after", 1))
                self._rate_limited_until[method] = time.monotonic() + wait
                raise Retry(f"{method}: rate limited", after=timedelta(seconds=wait)) from None
            if status >= 500:
                raise Retry(f"{method}: HTTP {status}", uncertain=True) from None
            if error in ALREADY_DONE:
                return exc.response
            if error in TRANSIENT:
                raise Retry(f"{method}: {error}") from None
            raise
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise Retry(f"{method}: {type(exc).__name__}", in_flight=True) from None

    # the kinds of call ---------------------------------------------------------
    async def _deliver(self, item: OutboxItem) -> None:
        if item.kind == "lookup_user":
            return await self._lookup_user(item.payload["user"])
        record = await deliveries.read_record(self.store, int(item.lane.removeprefix("INC-")))
        handler = getattr(self, f"_{item.kind}")
        await handler(item, record)

    async def _create_channel(self, item: OutboxItem, record: IncidentRecord) -> None:
        incident = record.incident
        if incident.channel_id:
            return
        if item.check_first and await self._adopt_own_channel(record):
            return
        for attempt in range(1, MAX_NAME_ATTEMPTS + 1):
            name = channel_name(incident.id, incident.slug, attempt)
            try:
                created = await self.call("conversations.create", name=name, is_private=False)
            except SlackApiError as exc:
                if error_code(exc) == "name_taken":
                    continue  # someone else's channel: never reuse it
                raise
            await deliveries.channel_opened(self.store, incident_id=incident.id,
                                            channel_id=created["channel"]["id"], name=name)
            return
        raise Retry(f"no free channel name after {MAX_NAME_ATTEMPTS} tries")

    async def _adopt_own_channel(self, record: IncidentRecord) -> bool:
        """After an attempt with no answer, the channel may exist: ours if we created it."""
        incident = record.incident
        wanted = {channel_name(incident.id, incident.slug, n) for n in range(1, MAX_NAME_ATTEMPTS + 1)}
        me = await self._bot_user()
        cursor = None
        while True:
            page = await self.call("conversations.list", types="public_channel", limit=1000,
                                   exclude_archived=True, **({"cursor": cursor} if cursor else {}))
            for channel in page["channels"]:
                if channel["name"] in wanted and channel.get("creator") == me:
                    await deliveries.channel_opened(self.store, incident_id=incident.id,
                                                    channel_id=channel["id"], name=channel["name"])
                    return True
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return False

    async def _invite(self, item: OutboxItem, record: IncidentRecord) -> None:
        await self.call("conversations.invite", channel=self._channel(record),
                        users=item.payload["user"])

    async def _post_summary(self, item: OutboxItem, record: IncidentRecord) -> None:
        channel = self._channel(record)
        ts = record.incident.summary_ts
        if ts is None:
            text, summary_blocks = blocks.summary(record, runbook_views(record))
            ts = await self._send(item, channel, text, summary_blocks)
            await deliveries.summary_posted(self.store, incident_id=record.incident.id, ts=ts)
        await self.call("pins.add", channel=channel, timestamp=ts)

    async def _refresh_summary(self, item: OutboxItem, record: IncidentRecord) -> None:
        if record.incident.summary_ts is None:
            return  # the summary is still to be posted, and will show the state of then
        text, summary_blocks = blocks.summary(record, runbook_views(record))
        await self.call("chat.update", channel=self._channel(record),
                        ts=record.incident.summary_ts, text=text, blocks=summary_blocks)

    async def _post(self, item: OutboxItem, record: IncidentRecord) -> None:
        text, message_blocks = blocks.message(item.payload["message"], item.payload, record.names)
        await self._send(item, self._channel(record), text, message_blocks)

    async def _post_runbook(self, item: OutboxItem, record: IncidentRecord) -> None:
        """Post every message of a runbook; remember each ts so clicks can update in place."""
        view = next(v for v in runbook_views(record) if v.attached.id == item.payload["attached"])
        posted = list(view.attached.message_ts)
        parts = max(1, -(-len(view.steps) // STEPS_PER_MESSAGE))
        for part in range(len(posted), parts):
            text, message_blocks = blocks.runbook_message(view, part, STEPS_PER_MESSAGE, record.names)
            # Each part is its own message: tag them apart so a retry finds the right one.
            posted.append(await self._send(item, self._channel(record), text, message_blocks,
                                           tag=f"{item.id}.{part}"))
            await deliveries.runbook_posted(self.store, attached_id=view.attached.id, message_ts=posted)

    async def _refresh_runbook(self, item: OutboxItem, record: IncidentRecord) -> None:
        view = next(v for v in runbook_views(record) if v.attached.id == item.payload["attached"])
        part = item.payload["part"]
        if part >= len(view.attached.message_ts):
            return  # not posted yet; it will show the state of then
        text, message_blocks = blocks.runbook_message(view, part, STEPS_PER_MESSAGE, record.names)
        await self.call("chat.update", channel=self._channel(record),
                        ts=view.attached.message_ts[part], text=text, blocks=message_blocks)

    async def _post_check(self, item: OutboxItem, record: IncidentRecord) -> None:
        attached = next(a for a in record.runbooks if a.id == item.payload["attached"])
        thread = attached.message_ts[item.payload["part"]] if attached.message_ts else None
        text = blocks.check_output(item.payload, record.names)
        await self._send(item, self._channel(record), text, thread_ts=thread)

    async def _post_access(self, item: OutboxItem, record: IncidentRecord) -> None:
        request = next(r for r in record.access_requests if r.id == item.payload["request"])
        if request.message_ts:
            return
        text, request_blocks = blocks.access_request(request, record.names, self.approvers)
        ts = await self._send(item, self._channel(record), text, request_blocks)
        await deliveries.access_posted(self.store, request_id=request.id, ts=ts)

    async def _refresh_access(self, item: OutboxItem, record: IncidentRecord) -> None:
        request = next(r for r in record.access_requests if r.id == item.payload["request"])
        if request.message_ts is None:
            return  # still to be posted, and will show the state of then
        text, request_blocks = blocks.access_request(request, record.names, self.approvers)
        await self.call("chat.update", channel=self._channel(record), ts=request.message_ts,
                        text=text, blocks=request_blocks)

    async def _send(self, item: OutboxItem, channel: str, text: str,
                    message_blocks: list[dict] | None = None, *, thread_ts: str | None = None,
                    tag: str | None = None) -> str:
        tag = tag or str(item.id)
        if item.check_first:
            found = await self._find_tagged(item, channel, tag, thread_ts)
            if found:
                return found
        params: dict[str, Any] = {
            "channel": channel, "text": text, "unfurl_links": False, "unfurl_media": False,
            "metadata": {"event_type": METADATA_TYPE, "event_payload": {"outbox_id": tag}},
        }
        if message_blocks:
            params["blocks"] = message_blocks
        if thread_ts:
            params["thread_ts"] = thread_ts
        try:
            response = await self.call("chat.postMessage", **params)
        except SlackApiError as exc:
            if error_code(exc) != "not_in_channel":
                raise
            await self.call("conversations.join", channel=channel)
            response = await self.call("chat.postMessage", **params)
        return response["ts"]

    async def _find_tagged(self, item: OutboxItem, channel: str, tag: str,
                           thread_ts: str | None) -> str | None:
        oldest = f"{item.created_at.timestamp() - 60:.6f}"
        if thread_ts:
            page = await self.call("conversations.replies", channel=channel, ts=thread_ts,
                                   oldest=oldest, limit=200, include_all_metadata=True)
        else:
            page = await self.call("conversations.history", channel=channel, oldest=oldest,
                                   limit=200, include_all_metadata=True)
        for message in page.get("messages", []):
            metadata = message.get("metadata") or {}
            if (metadata.get("event_type") == METADATA_TYPE
                    and metadata.get("event_payload", {}).get("outbox_id") == tag):
                return message["ts"]
        return None

    async def _announce(self, item: OutboxItem, record: IncidentRecord) -> None:
        if not self.announce_channel:
            return
        facts = item.payload
        await self._send(item, self.announce_channel,
                         blocks.announcement(facts["message"], facts, record))

    async def _upload_export(self, item: OutboxItem, record: IncidentRecord) -> None:
        channel = self._channel(record)
        try:
            await self.client.files_upload_v2(
                channel=channel, content=item.payload["content"],
                filename=item.payload["filename"], title=item.payload["filename"],
                initial_comment=f"Postmortem draft for {record.incident.ref}: "
                                f"`{item.payload['filename']}`",
            )
        except SlackApiError as exc:
            if exc.response.status_code == 429 or exc.response.status_code >= 500:
                raise Retry(f"files upload: HTTP {exc.response.status_code}",
                            uncertain=True) from None
            raise
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise Retry(f"files upload: {type(exc).__name__}", in_flight=True) from None

    async def _lookup_user(self, user_id: str) -> None:
        response = await self.call("users.info", user=user_id)
        user = response["user"]
        profile = user.get("profile") or {}
        name = profile.get("display_name") or user.get("name") or user.get("real_name") or user_id
        await deliveries.user_named(self.store, user_id=user_id, name=name)

    async def _bot_user(self) -> str:
        if self.bot_user_id is None:
            self.bot_user_id = (await self.call("auth.test"))["user_id"]
        return self.bot_user_id

    @staticmethod
    def _channel(record: IncidentRecord) -> str:
        if not record.incident.channel_id:
            raise Retry("the incident channel is not open yet")
        return record.incident.channel_id
