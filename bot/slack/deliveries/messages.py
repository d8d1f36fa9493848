"""Lines said in Slack: in the incident channel (all that is owed, in as few messages as fit),
in DMs, and in the workspace's announce and executives channels."""

from collections.abc import Sequence
from typing import TypeVar

from bot.domain.notices import Announcement, ChannelLine, DirectMessage, ToExecutives
from bot.outbound.registry import Batch, Owed
from bot.slack.deliveries.workspace import Workspace, channel_of
from bot.slack.posting import Entry, find_tagged, pack, send
from bot.slack.render.announced import announcement
from bot.slack.render.messages import message

OneLine = TypeVar("OneLine", Announcement, ToExecutives)


async def post(ws: Workspace, batch: Batch[ChannelLine]) -> Sequence[Owed[ChannelLine]]:
    """Returns the rows left for the next message."""
    record = await ws.for_posting(batch)
    channel = channel_of(record)
    owed = batch.items
    if batch.check_first:  # an earlier message may carry some of these already
        found = await find_tagged(ws.api, channel, batch.head.created_at)
        owed = [item for item in owed if str(item.id) not in found]
        if not owed:
            return []
        ws.not_landed_yet(owed)
    call = ws.call(record)
    entries = [Entry(str(item.id), *message(item.notice, record.names, call)) for item in owed]
    packed = pack(entries)
    await send(ws.api, channel, packed)
    return owed[len(packed.tags):]


async def direct_message(ws: Workspace, batch: Batch[DirectMessage]) -> None:
    """A message to one person, rendered as its channel message would be."""
    said = batch.head.notice
    channel = await ws.dm_channel(said.user)
    record = await ws.record(batch)
    await ws.post_once(batch, channel,
                       pack([Entry(str(batch.head.id),
                                   *message(said, record.names, ws.call(record)))]))


async def announce(ws: Workspace, batch: Batch[Announcement]) -> None:
    await _one_line_to(ws, batch, ws.announce_channel)


async def tell_executives(ws: Workspace, batch: Batch[ToExecutives]) -> None:
    await _one_line_to(ws, batch, ws.exec_channel)


async def _one_line_to(ws: Workspace, batch: Batch[OneLine], channel: str | None) -> None:
    """A line about the incident in a channel of the workspace's (none set: nothing to say)."""
    if not channel:
        return
    record = await ws.record(batch)
    line = announcement(batch.head.notice, record)
    await ws.post_once(batch, channel, pack([Entry(str(batch.head.id), line)]))
