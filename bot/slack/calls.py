"""Each kind of owed notice and the Slack calls that deliver it: one entry and one function a kind.

A function gets the batch the outbox leased (rows of one lane and kind) and returns the
rows it did not get to, if any; they go out in the next call. Raising Retry defers the
whole batch; a SlackApiError gives it up, and so does GiveUp (for systems other than Slack).
"""

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from slack_sdk.errors import SlackApiError
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.domain.access import AccessCopy
from bot.domain.captures import PIN, Said
from bot.domain.channel_names import channel_name
from bot.domain.incident import Incident, IncidentRecord
from bot.domain.notices import incident_of
from bot.domain.policy import Policy
from bot.domain.runbook_progress import aborts
from bot.export.git import ExportGit, GitFailed
from bot.paging import pagerduty
from bot.runbooks.copies import RunbookView, runbook_views
from bot.services import capture, deliveries, exporter
from bot.slack import blocks
from bot.slack.posting import Entry, Packed, find_tagged, fitted, pack, send
from bot.slack.said import fetch as fetch_said
from bot.slack.webapi import GiveUp, Retry, WebApi, error_code
from bot.statuspage import api as statuspage_api
from bot.statuspage.api import Statuspage
from bot.storage.outbox import Batch, OutboxItem
from bot.storage.store import Store

log = logging.getLogger(__name__)

MAX_NAME_ATTEMPTS = 50


@dataclass
class Outbound:
    """What delivering needs: the record, the Web API, and the workspace's settings."""

    store: Store
    api: WebApi
    announce_channel: str | None = None
    approvers: list[str] = field(default_factory=list)
    bot_user_id: str | None = None
    exec_channel: str | None = None
    pager: pagerduty.PagerDuty | None = None
    statuspage: Statuspage | None = None
    runbook_stale_after: timedelta = Policy.runbook_stale_after
    git: ExportGit | None = None

    async def record(self, batch: Batch) -> IncidentRecord:
        return await deliveries.read_record(self.store, _incident(batch))

    async def dm_channel(self, user_id: str) -> str:
        """The bot's DM channel with a person (Slack opens it once and hands back the same)."""
        return (await self.api.call("conversations.open", users=user_id))["channel"]["id"]

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
        name = channel_name(incident.id, incident.slug, attempt, drill=incident.drill)
        try:
            created = await out.api.call("conversations.create", name=name,
                                         is_private=incident.private)
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
    wanted = {channel_name(incident.id, incident.slug, n, drill=incident.drill)
              for n in range(1, MAX_NAME_ATTEMPTS + 1)}
    me = await out.me()
    cursor = None
    while True:
        page = await out.api.call("conversations.list", limit=1000,
                                  types="private_channel" if incident.private else "public_channel",
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


MAX_INVITES = 1000  # users in one conversations.invite


@kind("invite_people")
async def invite_people(out: Outbound, batch: Batch) -> None:
    """People and user groups' members, as the groups are now: who is in a group is Slack's
    to say at the time of the invite, not the record's."""
    record = await out.record(batch)
    channel = channel_of(record)
    payload = batch.head.payload
    wanted = dict.fromkeys(payload.get("users", []))
    for group in payload.get("groups", []):
        try:
            members = (await out.api.call("usergroups.users.list", usergroup=group))["users"]
        except SlackApiError as exc:
            if error_code(exc) != "no_such_subteam":
                raise
            log.warning("%s: user group %s does not exist; its members are not invited",
                        record.incident.ref, group)
            continue
        wanted.update(dict.fromkeys(members))
    wanted.pop(await out.me(), None)
    people = list(wanted)
    for start in range(0, len(people), MAX_INVITES):
        await _invite_all(out, channel, people[start:start + MAX_INVITES])


async def _invite_all(out: Outbound, channel: str, users: list[str]) -> None:
    # `force`: Slack invites the others when some cannot be (already in, deactivated).
    try:
        answer = await out.api.call("conversations.invite", channel=channel,
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
                await out.api.call("conversations.invite", channel=channel, users=user)
            except SlackApiError as exc:  # this one person only; Retry still defers the batch
                log.warning("could not invite %s: %s", user, error_code(exc))


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
    await _one_line_to(out, batch, out.announce_channel)


@kind("dm")
async def direct_message(out: Outbound, batch: Batch) -> None:
    """A message to one person, rendered as its channel message would be."""
    payload = batch.head.payload
    channel = await out.dm_channel(payload["user"])
    record = await out.record(batch)
    line, own_blocks = blocks.message(payload["message"], payload, record.names)
    await post_once(out, batch, channel, pack([Entry(str(batch.head.id), line, own_blocks)]))


@kind("tell_executives")
async def tell_executives(out: Outbound, batch: Batch) -> None:
    await _one_line_to(out, batch, out.exec_channel)


async def _one_line_to(out: Outbound, batch: Batch, channel: str | None) -> None:
    """A line about the incident in a channel of the workspace's (none set: nothing to say)."""
    if not channel:
        return
    record = await out.record(batch)
    line = blocks.announcement(batch.head.payload["message"], batch.head.payload, record)
    await post_once(out, batch, channel, pack([Entry(str(batch.head.id), line)]))


# paging -------------------------------------------------------------------------------------
@kind("pagerduty")
async def page_pagerduty(out: Outbound, batch: Batch) -> None:
    """One event to PagerDuty. No look before a retry: the dedup_key makes a repeat one alert.
    Its failures are PagerDuty's, never taken for Slack being down."""
    if out.pager is None:
        raise GiveUp("PagerDuty is not set up")
    record = await deliveries.read_for_posting(out.store, _incident(batch))
    try:
        await out.pager.deliver(batch.head.payload, record.incident, at=batch.head.created_at)
    except pagerduty.Busy as busy:
        raise Retry(str(busy), after=busy.after) from None
    except pagerduty.Refused as refused:
        raise GiveUp(str(refused)) from None


# Statuspage ---------------------------------------------------------------------------------
# Statuspage's clock and ours differ a little: an update it shows from just before we
# recorded ours is still taken for ours.
CLOCK_SKEW = timedelta(minutes=2)


def statuspage_marker(incident: Incident) -> str:
    """Names the incident for good, across restarts, so a create can be recognised later."""
    return f"{incident.ref}@{incident.declared_at.isoformat()}"


@kind("statuspage")
async def publish_statuspage(out: Outbound, batch: Batch) -> None:
    """One public update: the first opens the public incident, the others update it. A create
    or an update whose answer was lost is looked for before it is sent again: two public
    incidents for one, or the same words twice, would be a public mistake."""
    if out.statuspage is None:
        raise GiveUp("Statuspage is not set up")
    owed = batch.head.payload
    incident = (await deliveries.read_for_posting(out.store, _incident(batch))).incident
    public_id = await deliveries.statuspage_id(out.store, incident.id)
    try:
        if public_id is not None:
            if batch.check_first and await out.statuspage.shows(
                    public_id, status=owed["status"], body=owed["text"],
                    since=batch.head.created_at - CLOCK_SKEW):
                return
            await out.statuspage.update(public_id, status=owed["status"], body=owed["text"])
            return
        marker = statuspage_marker(incident)
        if batch.check_first:
            public_id = await out.statuspage.find(name=incident.title, marker=marker)
        if public_id is None:  # else the create that landed carried this very update
            public_id = await out.statuspage.create(name=incident.title, status=owed["status"],
                                                    body=owed["text"], marker=marker)
        await deliveries.statuspage_opened(out.store, incident_id=incident.id,
                                           public_id=public_id)
    except statuspage_api.Busy as busy:
        raise Retry(str(busy), after=busy.after, uncertain=busy.maybe_applied,
                    in_flight=busy.in_flight) from None
    except statuspage_api.Refused as refused:
        await deliveries.statuspage_refused(out.store, incident_id=incident.id,
                                            status=owed["status"], reason=str(refused))
        raise GiveUp(str(refused)) from None


# runbooks ---------------------------------------------------------------------------------
def view_of(record: IncidentRecord, attached_id: int) -> RunbookView:
    return next(v for v in runbook_views(record) if v.attached.id == attached_id)


def runbook_message(out: Outbound, record: IncidentRecord, view: RunbookView,
                    part: int) -> tuple[str, list[dict]]:
    """Staleness is judged now, by the bot's clock: a message refreshed later may say more."""
    return blocks.runbook_message(view, part, record.names, today=out.store.clock().date(),
                                  stale_after=out.runbook_stale_after,
                                  aborted=aborts(record.events).get(view.runbook.id))


@kind("post_runbook", paced=True)
async def post_runbook(out: Outbound, batch: Batch) -> None:
    """Post every message of a runbook; remember each ts so clicks can update in place."""
    record = await out.record(batch)
    item = batch.head
    view = view_of(record, item.payload["attached"])
    posted = list(view.attached.message_ts)
    for part in range(len(posted), len(blocks.runbook_parts(view))):
        text, message_blocks = runbook_message(out, record, view, part)
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
        text, message_blocks = runbook_message(out, record, view, part)
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


@kind("post_access_copy")
async def post_access_copy(out: Outbound, batch: Batch) -> None:
    """The request in one approver's DM, with the same buttons; its ts is kept for updates."""
    payload = batch.head.payload
    record, request, copies = await deliveries.read_access(out.store, _incident(batch),
                                                           payload["request"])
    if any(copy.user_id == payload["user"] for copy in copies):
        return
    channel = await out.dm_channel(payload["user"])
    text, copy_blocks = fitted(*blocks.access_request(request, record.names, out.approvers,
                                                      record.incident))
    ts = await post_once(out, batch, channel, Packed(text, copy_blocks, [str(batch.head.id)]))
    await deliveries.access_copy_posted(
        out.store, incident_id=record.incident.id, shown=record.version,
        copy=AccessCopy(request.id, payload["user"], channel, ts))


@kind("refresh_access", coalesce=True)
async def refresh_access(out: Outbound, batch: Batch) -> None:
    """The channel message and every DM copy, in one pass: the state of now."""
    record, request, copies = await deliveries.read_access(out.store, _incident(batch),
                                                           batch.head.payload["request"])
    # Not posted yet (the channel message or a copy): it will show the state of then.
    if request.message_ts is not None:
        text, request_blocks = fitted(*blocks.access_request(request, record.names, out.approvers))
        await out.api.call("chat.update", channel=channel_of(record), ts=request.message_ts,
                           text=text, blocks=request_blocks or [])
    for copy in copies:
        text, copy_blocks = fitted(*blocks.access_request(request, record.names, out.approvers,
                                                          record.incident))
        try:
            await out.api.call("chat.update", channel=copy.channel_id, ts=copy.ts, text=text,
                               blocks=copy_blocks or [])
        except SlackApiError as exc:
            # Slack refuses this copy for good (say, the person left the workspace): the
            # others and the channel still show the state.
            log.warning("could not update %s's copy of AR-%s: %s", copy.user_id, request.id,
                        error_code(exc))


# the export and people -----------------------------------------------------------------------
@kind("upload_export")
async def upload_export(out: Outbound, batch: Batch) -> None:
    record = await out.record(batch)
    payload = batch.head.payload
    await out.api.call(
        "files_upload_v2", channel=channel_of(record), content=payload["content"],
        filename=payload["filename"], title=payload["filename"],
        initial_comment=f"Postmortem draft updated: `{payload['filename']}`"
        if payload.get("updated") else
        f"Postmortem draft for {record.incident.ref}: `{payload['filename']}`")


@kind("export_git")
async def commit_export(out: Outbound, batch: Batch) -> None:
    """Commit (and push) an export. A failure is said in the channel at the first try only;
    the retries are quiet, and one that finds the commit made only pushes."""
    if out.git is None:
        raise GiveUp("EXPORT_GIT is not set")
    owed = batch.head.payload
    try:
        await out.git.commit(Path(owed["path"]), owed["message"])
    except GitFailed as failed:
        if batch.head.attempts == 1:
            await exporter.git_failed(out.store, incident_id=_incident(batch), path=owed["path"],
                                      reason=str(failed))
        raise Retry(str(failed)) from None


@kind("lookup_user")
async def lookup_user(out: Outbound, batch: Batch) -> None:
    user_id = batch.head.payload["user"]
    user = (await out.api.call("users.info", user=user_id))["user"]
    await deliveries.user_named(out.store, user_id=user_id, name=display_name(user))


def display_name(user: dict) -> str:
    profile = user.get("profile") or {}
    return profile.get("display_name") or user.get("name") or user.get("real_name") or user["id"]


# messages captured into the timeline ----------------------------------------------------------
OWN_MESSAGE = "That is the bot's own message: what it reports is on the timeline already."


@kind("capture")
async def capture_message(out: Outbound, batch: Batch) -> None:
    """Record an owed capture: the message (fetched by ts for a 📌; the shortcut sent it
    along), its permalink, and the names the record shows. Slack failing defers it, so a
    capture is never lost; a message that is gone, or is the bot's own, is let go."""
    owed = batch.head.payload
    incident_id, channel, ts = _incident(batch), owed["channel"], owed["ts"]
    try:
        said = Said(**owed["said"]) if owed.get("said") else await fetch_said(out.api, channel, ts)
        if said is not None and said.author != await out.me():
            link = (await out.api.call("chat.getPermalink", channel=channel, message_ts=ts))["permalink"]
            names = await _names(out, incident_id, {said.author: said.author_name, owed["by"]: ""})
            await capture.recorded(out.store, incident_id=incident_id, channel_id=channel,
                                   said=said, permalink=link, by=owed["by"], via=owed["via"],
                                   names=names)
            return
    except SlackApiError:
        await capture.dropped(out.store, incident_id=incident_id, channel_id=channel, ts=ts)
        raise
    await capture.dropped(out.store, incident_id=incident_id, channel_id=channel, ts=ts)
    if said is not None and owed.get("reply_to"):
        # The shortcut's response_url reaches the person wherever they are, a member or not.
        try:
            await AsyncWebhookClient(owed["reply_to"]).send(
                text=OWN_MESSAGE, response_type="ephemeral", replace_original=False)
        except Exception as exc:  # an expired response_url, Slack away: only the answer is lost
            log.warning("could not tell %s about the bot's own message: %r", owed["by"], exc)


@kind("check_pins")
async def check_pins(out: Outbound, batch: Batch) -> None:
    """A 📌 came off a message a pin captured: its capture is retracted once none is left.
    Slack's count decides, whatever order the reactions reached us in."""
    owed = batch.head.payload
    answer = await out.api.call("reactions.get", channel=owed["channel"], timestamp=owed["ts"],
                                full=True)
    if any(r.get("name") == PIN for r in (answer.get("message") or {}).get("reactions") or []):
        return
    incident_id = _incident(batch)
    await capture.retract(out.store, incident_id=incident_id, channel_id=owed["channel"],
                          ts=owed["ts"], by=owed["by"],
                          names=await _names(out, incident_id, {owed["by"]: ""}))


async def _names(out: Outbound, incident_id: int, wanted: dict[str, str]) -> dict[str, str]:
    """Names the record lacks for these people: the one given (an integration's post names
    itself), else Slack's; someone Slack does not know keeps their id."""
    known = (await deliveries.read_for_posting(out.store, incident_id)).names
    names = {}
    for user_id, given in wanted.items():
        if user_id in known:
            continue
        if given:
            names[user_id] = given
            continue
        try:
            names[user_id] = display_name((await out.api.call("users.info", user=user_id))["user"])
        except SlackApiError as exc:
            log.warning("no name for %s: %s", user_id, error_code(exc))
    return names
