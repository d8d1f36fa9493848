"""The incident's channel: opened once under a free name, and who is invited into it."""

import logging

from slack_sdk.errors import SlackApiError

from bot.domain.channel_names import channel_name
from bot.domain.incident import IncidentRecord
from bot.domain.notices import CreateChannel, Invite, InvitePeople
from bot.outbound.errors import Retry
from bot.outbound.registry import Batch
from bot.services import deliveries
from bot.slack.deliveries.workspace import Workspace, channel_of
from bot.slack.webapi import error_code

log = logging.getLogger(__name__)

MAX_NAME_ATTEMPTS = 50
MAX_INVITES = 1000  # users in one conversations.invite


async def create_channel(ws: Workspace, batch: Batch[CreateChannel]) -> None:
    record = await ws.record(batch)
    incident = record.incident
    if incident.channel_id:
        return
    if batch.check_first and await _adopt_own_channel(ws, record):
        return
    for attempt in range(1, MAX_NAME_ATTEMPTS + 1):
        name = channel_name(incident.id, incident.slug, attempt, drill=incident.drill)
        try:
            created = await ws.api.call("conversations.create", name=name,
                                        is_private=incident.private)
        except SlackApiError as exc:
            if error_code(exc) == "name_taken":
                continue  # someone else's channel: never reuse it
            raise
        await deliveries.channel_opened(ws.store, incident_id=incident.id,
                                        channel_id=created["channel"]["id"], name=name)
        return
    raise Retry(f"no free channel name after {MAX_NAME_ATTEMPTS} tries")


async def _adopt_own_channel(ws: Workspace, record: IncidentRecord) -> bool:
    """After an attempt with no answer, the channel may exist: ours if we created it."""
    incident = record.incident
    wanted = {channel_name(incident.id, incident.slug, n, drill=incident.drill)
              for n in range(1, MAX_NAME_ATTEMPTS + 1)}
    me = await ws.me()
    cursor = None
    while True:
        page = await ws.api.call("conversations.list", limit=1000,
                                 types="private_channel" if incident.private else "public_channel",
                                 exclude_archived=True, **({"cursor": cursor} if cursor else {}))
        for channel in page["channels"]:
            if channel["name"] in wanted and channel.get("creator") == me:
                await deliveries.channel_opened(ws.store, incident_id=incident.id,
                                                channel_id=channel["id"], name=channel["name"])
                return True
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return False


async def invite(ws: Workspace, batch: Batch[Invite]) -> None:
    record = await ws.record(batch)
    await ws.api.call("conversations.invite", channel=channel_of(record),
                      users=batch.head.notice.user)


async def invite_people(ws: Workspace, batch: Batch[InvitePeople]) -> None:
    """People and user groups' members, as the groups are now: who is in a group is Slack's
    to say at the time of the invite, not the record's."""
    record = await ws.record(batch)
    channel = channel_of(record)
    owed = batch.head.notice
    wanted = dict.fromkeys(owed.users)
    for group in owed.groups:
        try:
            members = (await ws.api.call("usergroups.users.list", usergroup=group))["users"]
        except SlackApiError as exc:
            if error_code(exc) != "no_such_subteam":
                raise
            log.warning("%s: user group %s does not exist; its members are not invited",
                        record.incident.ref, group)
            continue
        wanted.update(dict.fromkeys(members))
    wanted.pop(await ws.me(), None)
    people = list(wanted)
    for start in range(0, len(people), MAX_INVITES):
        await _invite_all(ws, channel, people[start:start + MAX_INVITES])


async def _invite_all(ws: Workspace, channel: str, users: list[str]) -> None:
    # `force`: Slack invites the others when some cannot be (already in, deactivated).
    try:
        answer = await ws.api.call("conversations.invite", channel=channel,
                                   users=",".join(users), force=True)
        refused = not answer.get("ok")
    except SlackApiError:
        if len(users) == 1:
            raise
        refused = True
    if refused and len(users) > 1:
        # Refused as a whole (one already there answers for all): ask for each on their own,
        # so that nobody who can be invited is left out.
        for user in users:
            try:
                await ws.api.call("conversations.invite", channel=channel, users=user)
            except SlackApiError as exc:  # this one person only; Retry still defers the batch
                log.warning("could not invite %s: %s", user, error_code(exc))
