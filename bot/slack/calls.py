"""Each kind of owed notice and the Slack calls that deliver it: one entry and one function a kind.

A function gets the batch the outbox leased (rows of one lane and kind) and returns the
rows it did not get to, if any; they go out in the next call. Raising Retry defers the
whole batch; a SlackApiError gives it up.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from slack_sdk.errors import SlackApiError

from bot.domain.channel_names import channel_name
from bot.domain.incident import IncidentRecord
from bot.domain.notices import incident_of
from bot.runbooks.copies import RunbookView, runbook_views
from bot.services import deliveries
from bot.slack import blocks
from bot.slack.posting import Entry, Packed, find_tagged, fitted, pack, send
from bot.slack.webapi import Retry, WebApi, error_code
from bot.storage.outbox import Batch, OutboxItem
from bot.storage.store import Store

MAX_NAME_ATTEMPTS = 50


@dataclass
class Outbound:
    """What delivering needs: the record, the Web API, and the workspace's settings."""

    store: Store
    api: WebApi
    announce_channel: str | None = None
    approvers: list[str] = field(default_factory=list)
    bot_user_id: str | None = None

    async def record(self, batch: Batch) -> IncidentRecord:
        return await deliveries.read_record(self.store, _incident(batch))

    async def me(self) -> str:
        if self.bot_user_id is None:
            self.bot_user_id = (await self.api.call("auth.test"))["user_id"]
        return self.bot_user_id


Deliver = Callable[[Outbound, Batch], Awaitable[Sequence[OutboxItem] | None]]


@dataclass(frozen=True)
class Kind:
    deliver: Deliver
    # Rows of this kind right behind each other in a lane go out in one call.
    coalesce: bool = False
    # A chat.postMessage into the incident channel: the channel's pace applies.
    paced: bool = False


KINDS: dict[str, Kind] = {}


def kind(name: str, *, coalesce: bool = False, paced: bool = False) -> Callable[[Deliver], Deliver]:
    def register(deliver: Deliver) -> Deliver:
        KINDS[name] = Kind(deliver, coalesce, paced)
        return deliver
    return register


def _incident(batch: Batch) -> int:
    incident_id = incident_of(batch.lane)
    assert incident_id is not None, batch.lane
    return incident_id


def channel_of(record: IncidentRecord) -> str:
    if not record.incident.channel_id:
        raise Retry("the incident channel is not open yet")
    return record.incident.channel_id


async def post_once(out: Outbound, batch: Batch, channel: str, packed: Packed, *,
                    thread_ts: str | None = None) -> str:
    """Post, unless an earlier attempt whose outcome we never learnt already did."""
    if batch.check_first:
        found = await find_tagged(out.api, channel, batch.head.created_at, thread_ts)
        if all(tag in found for tag in packed.tags):
            return found[packed.tags[0]]
    return await send(out.api, channel, packed, thread_ts=thread_ts)


# the channel -------------------------------------------------------------------------
@kind("create_channel")
async def create_channel(out: Outbound, batch: Batch) -> None:
    record = await out.record(batch)
    incident = record.incident
    if incident.channel_id:
        return
    if batch.check_first and await _adopt_own_channel(out, record):
        return
    for attempt in range(1, MAX_NAME_ATTEMPTS + 1):
        name = channel_name(incident.id, incident.slug, attempt)
        try:
            created = await out.api.call("conversations.create", name=name, is_private=False)
        except SlackApiError as exc:
            if error_code(exc) == "name_taken":
                continue  # someone else's channel: never reuse it
            raise
        await deliveries.channel_opened(out.store, incident_id=incident.id,
                                        channel_id=created["channel"]["id"], name=name)
        return
    raise Retry(f"no free channel name after {MAX_NAME_ATTEMPTS} tries")


async def _adopt_own_channel(out: Outbound, record: IncidentRecord) -> bool:
    """After an attempt with no answer, the channel may exist: ours if we created it."""
    incident = record.incident
    wanted = {channel_name(incident.id, incident.slug, n) for n in range(1, MAX_NAME_ATTEMPTS + 1)}
    me = await out.me()
    cursor = None
    while True:
        page = await out.api.call("conversations.list", types="public_channel", limit=1000,
                                  exclude_archived=True, **({"cursor": cursor} if cursor else {}))
        for channel in page["channels"]:
            if channel["name"] in wanted and channel.get("creator") == me:
                await deliveries.channel_opened(out.store, incident_id=incident.id,
                                                channel_id=channel["id"], name=channel["name"])
                return True
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return False


@kind("invite")
async def invite(out: Outbound, batch: Batch) -> None:
    record = await out.record(batch)
    await out.api.call("conversations.invite", channel=channel_of(record),
                       users=batch.head.payload["user"])


# the pinned summary --------------------------------------------------------------------
@kind("post_summary", paced=True)
async def post_summary(out: Outbound, batch: Batch) -> None:
    record = await out.record(batch)
    channel = channel_of(record)
    ts = record.incident.summary_ts
    if ts is None:
        text, summary_blocks = fitted(*blocks.summary(record, runbook_views(record)))
        ts = await post_once(out, batch, channel, Packed(text, summary_blocks, [str(batch.head.id)]))
        await deliveries.summary_posted(out.store, incident_id=record.incident.id, ts=ts,
                                        shown=record.version)
    await out.api.call("pins.add", channel=channel, timestamp=ts)


@kind("refresh_summary", coalesce=True)
async def refresh_summary(out: Outbound, batch: Batch) -> None:
    record = await out.record(batch)
    if record.incident.summary_ts is None:
        return  # still to be posted; it will show the state of then
    text, summary_blocks = fitted(*blocks.summary(record, runbook_views(record)))
    # No blocks: an empty list, as Slack keeps a message's blocks when an update names none.
    await out.api.call("chat.update", channel=channel_of(record), ts=record.incident.summary_ts,
                       text=text, blocks=summary_blocks or [])


# what happens, said in the channel -------------------------------------------------------
@kind("post", coalesce=True, paced=True)
async def post(out: Outbound, batch: Batch) -> Sequence[OutboxItem]:
    """Log lines, status changes and the like: all that is owed, in as few messages as fit.
    Returns the rows left for the next message."""
    record = await deliveries.read_for_posting(out.store, _incident(batch))
    channel = channel_of(record)
    owed = batch.items
    if batch.check_first:  # an earlier message may carry some of these already
        found = await find_tagged(out.api, channel, batch.head.created_at)
        owed = [item for item in owed if str(item.id) not in found]
        if not owed:
            return []
    entries = []
    for item in owed:
        line, own_blocks = blocks.message(item.payload["message"], item.payload, record.names)
        entries.append(Entry(str(item.id), line, own_blocks))
    packed = pack(entries)
    await send(out.api, channel, packed)
    return owed[len(packed.tags):]


@kind("announce")
async def announce(out: Outbound, batch: Batch) -> None:
    if not out.announce_channel:
        return
    record = await out.record(batch)
    line = blocks.announcement(batch.head.payload["message"], batch.head.payload, record)
    await post_once(out, batch, out.announce_channel, pack([Entry(str(batch.head.id), line)]))


# runbooks ---------------------------------------------------------------------------------
def view_of(record: IncidentRecord, attached_id: int) -> RunbookView:
    return next(v for v in runbook_views(record) if v.attached.id == attached_id)


@kind("post_runbook", paced=True)
async def post_runbook(out: Outbound, batch: Batch) -> None:
    """Post every message of a runbook; remember each ts so clicks can update in place."""
    record = await out.record(batch)
    item = batch.head
    view = view_of(record, item.payload["attached"])
    posted = list(view.attached.message_ts)
    for part in range(len(posted), len(blocks.runbook_parts(view))):
        text, message_blocks = blocks.runbook_message(view, part, record.names)
        # Each part is its own message: tag them apart so a retry finds the right one.
        packed = Packed(text, message_blocks, [f"{item.id}.{part}"])
        posted.append(await post_once(out, batch, channel_of(record), packed))
        await deliveries.runbook_posted(out.store, attached=view.attached, message_ts=posted,
                                        shown=record.version)


@kind("refresh_runbook", coalesce=True)
async def refresh_runbook(out: Outbound, batch: Batch) -> None:
    """One update per message that shows a step clicked since: the state of now."""
    record = await out.record(batch)
    view = view_of(record, batch.head.payload["attached"])
    steps = {item.payload.get("step") for item in batch.items}
    parts = range(len(blocks.runbook_parts(view))) if None in steps else \
        sorted({blocks.part_of_step(view, step) for step in steps if step is not None})
    for part in parts:
        if part >= len(view.attached.message_ts):
            continue  # still to be posted; it will show the state of then
        text, message_blocks = blocks.runbook_message(view, part, record.names)
        await out.api.call("chat.update", channel=channel_of(record),
                           ts=view.attached.message_ts[part], text=text, blocks=message_blocks)


@kind("post_check", paced=True)
async def post_check(out: Outbound, batch: Batch) -> None:
    record = await out.record(batch)
    payload = batch.head.payload
    view = view_of(record, payload["attached"])
    posted = view.attached.message_ts
    part = blocks.part_of_step(view, payload["step"])
    thread = posted[part] if part < len(posted) else None
    text = blocks.check_output(payload, record.names)
    await post_once(out, batch, channel_of(record), Packed(text, None, [str(batch.head.id)]),
                    thread_ts=thread)


# access requests ----------------------------------------------------------------------------
@kind("post_access", paced=True)
async def post_access(out: Outbound, batch: Batch) -> None:
    record = await out.record(batch)
    request = next(r for r in record.access_requests if r.id == batch.head.payload["request"])
    if request.message_ts:
        return
    text, request_blocks = fitted(*blocks.access_request(request, record.names, out.approvers))
    ts = await post_once(out, batch, channel_of(record),
                         Packed(text, request_blocks, [str(batch.head.id)]))
    await deliveries.access_posted(out.store, request=request, ts=ts, shown=record.version)


@kind("refresh_access", coalesce=True)
async def refresh_access(out: Outbound, batch: Batch) -> None:
    record = await out.record(batch)
    request = next(r for r in record.access_requests if r.id == batch.head.payload["request"])
    if request.message_ts is None:
        return  # still to be posted; it will show the state of then
    text, request_blocks = fitted(*blocks.access_request(request, record.names, out.approvers))
    await out.api.call("chat.update", channel=channel_of(record), ts=request.message_ts,
                       text=text, blocks=request_blocks or [])


# the export and people -----------------------------------------------------------------------
@kind("upload_export")
async def upload_export(out: Outbound, batch: Batch) -> None:
    record = await out.record(batch)
    payload = batch.head.payload
    await out.api.call(
        "files_upload_v2", channel=channel_of(record), content=payload["content"],
        filename=payload["filename"], title=payload["filename"],
        initial_comment=f"Postmortem draft for {record.incident.ref}: `{payload['filename']}`")


@kind("lookup_user")
async def lookup_user(out: Outbound, batch: Batch) -> None:
    user_id = batch.head.payload["user"]
    user = (await out.api.call("users.info", user=user_id))["user"]
    profile = user.get("profile") or {}
    name = profile.get("display_name") or user.get("name") or user.get("real_name") or user_id
    await deliveries.user_named(out.store, user_id=user_id, name=name)
