"""An access request's message in the channel and its copies in approvers' DMs."""

import logging

from slack_sdk.errors import SlackApiError

from bot.domain.access import AccessCopy
from bot.domain.notices import PostAccess, PostAccessCopy, RefreshAccess
from bot.outbound.registry import Batch
from bot.services import deliveries
from bot.slack.deliveries.workspace import Workspace, channel_of
from bot.slack.posting import Packed, fitted
from bot.slack.render.access import access_request
from bot.slack.webapi import error_code

log = logging.getLogger(__name__)


async def post_access(ws: Workspace, batch: Batch[PostAccess]) -> None:
    record = await ws.record(batch)
    request = next(r for r in record.access_requests if r.id == batch.head.notice.request)
    if request.message_ts:
        return
    text, request_blocks = fitted(*access_request(request, record.names, ws.approvers))
    ts = await ws.post_once(batch, channel_of(record),
                            Packed(text, request_blocks, [str(batch.head.id)]))
    await deliveries.access_posted(ws.store, request=request, ts=ts, shown=record.version)


async def post_access_copy(ws: Workspace, batch: Batch[PostAccessCopy]) -> None:
    """The request in one approver's DM, with the same buttons; its ts is kept for updates."""
    owed = batch.head.notice
    record, request, copies = await deliveries.read_access(ws.store, owed.incident_id,
                                                           owed.request)
    if any(copy.user_id == owed.user for copy in copies):
        return
    channel = await ws.dm_channel(owed.user)
    text, copy_blocks = fitted(*access_request(request, record.names, ws.approvers,
                                               record.incident))
    ts = await ws.post_once(batch, channel, Packed(text, copy_blocks, [str(batch.head.id)]))
    await deliveries.access_copy_posted(
        ws.store, incident_id=record.incident.id, shown=record.version,
        copy=AccessCopy(request.id, owed.user, channel, ts))


async def refresh_access(ws: Workspace, batch: Batch[RefreshAccess]) -> None:
    """The channel message and every DM copy, in one pass: the state of now."""
    owed = batch.head.notice
    record, request, copies = await deliveries.read_access(ws.store, owed.incident_id,
                                                           owed.request)
    # Not posted yet (the channel message or a copy): it will show the state of then.
    if request.message_ts is not None:
        text, request_blocks = fitted(*access_request(request, record.names, ws.approvers))
        await ws.api.call("chat.update", channel=channel_of(record), ts=request.message_ts,
                          text=text, blocks=request_blocks or [])
    for copy in copies:
        text, copy_blocks = fitted(*access_request(request, record.names, ws.approvers,
                                                   record.incident))
        try:
            await ws.api.call("chat.update", channel=copy.channel_id, ts=copy.ts, text=text,
                              blocks=copy_blocks or [])
        except SlackApiError as exc:
            # Slack refuses this copy for good (say, the person left the workspace): the
            # others and the channel still show the state.
            log.warning("could not update %s's copy of AR-%s: %s", copy.user_id, request.id,
                        error_code(exc))
