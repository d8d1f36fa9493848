"""People's names for the record, and messages captured into the timeline (fetched with their
permalink, or let go when gone or the bot's own; any secret in a fetched one taken out, and
the person who pinned it told)."""

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot import redaction
from bot.domain.captures import PIN
from bot.domain.notices import CaptureMessage, CheckPins, InviteOnCall, LookupUser
from bot.outbound.registry import Batch
from bot.services import capture, catalog, deliveries
from bot.slack.deliveries.workspace import Workspace
from bot.slack.said import Heard
from bot.slack.said import fetch as fetch_said
from bot.slack.webapi import error_code

log = logging.getLogger(__name__)

OWN_MESSAGE = "That is the bot's own message: what it reports is on the timeline already."


def display_name(user: dict) -> str:
    profile = user.get("profile") or {}
    return profile.get("display_name") or user.get("name") or user.get("real_name") or user["id"]


async def lookup_user(ws: Workspace, batch: Batch[LookupUser]) -> None:
    user_id = batch.head.notice.user
    user = (await ws.api.call("users.info", user=user_id))["user"]
    await deliveries.user_named(ws.store, user_id=user_id, name=display_name(user))


async def invite_oncall(ws: Workspace, batch: Batch[InviteOnCall]) -> None:
    """The people on call, found in Slack by their email; one not found is named, not lost."""
    owed = batch.head.notice
    users: dict[str, str] = {}
    missing = []
    for name, email in zip(owed.names, owed.emails, strict=True):
        try:
            user = (await ws.api.call("users.lookupByEmail", email=email))["user"]
        except SlackApiError as exc:
            if error_code(exc) != "users_not_found":
                raise
            missing.append(name)
            continue
        users[user["id"]] = display_name(user)
        await deliveries.user_named(ws.store, user_id=user["id"], name=users[user["id"]])
    await catalog.oncall_found(ws.store, incident_id=owed.incident_id, service=owed.service,
                               users=users, missing=missing)


async def capture_message(ws: Workspace, batch: Batch[CaptureMessage]) -> None:
    """Record an owed capture: the message (fetched by ts for a 📌; the shortcut sent it
    along), its permalink, and the names the record shows. Slack failing defers it, so a
    capture is never lost; a message that is gone, or is the bot's own, is let go."""
    owed = batch.head.notice
    incident_id, channel, ts = owed.incident_id, owed.channel, owed.ts
    try:
        # The shortcut's message was redacted when it came in; a 📌's is, as it is fetched.
        heard = Heard(owed.said) if owed.said else await fetch_said(ws.api, channel, ts)
        said = heard.said if heard else None
        if heard and said and said.author != await ws.me():
            link = (await ws.api.call("chat.getPermalink", channel=channel,
                                      message_ts=ts))["permalink"]
            names = await _names(ws, incident_id, {said.author: said.author_name, owed.by: ""})
            await capture.recorded(ws.store, incident_id=incident_id, channel_id=channel,
                                   said=said, permalink=link, by=owed.by, via=owed.via,
                                   names=names)
            if heard.redacted:
                await _tell_redacted(ws, channel, owed.by, heard.redacted)
            return
    except SlackApiError:
        await capture.dropped(ws.store, incident_id=incident_id, channel_id=channel, ts=ts)
        raise
    await capture.dropped(ws.store, incident_id=incident_id, channel_id=channel, ts=ts)
    if said is not None and owed.reply_to:
        # The shortcut's response_url reaches the person wherever they are, a member or not.
        try:
            await AsyncWebhookClient(owed.reply_to).send(
                text=OWN_MESSAGE, response_type="ephemeral", replace_original=False)
        except Exception as exc:  # an expired response_url, Slack away: only the answer is lost
            log.warning("could not tell %s about the bot's own message: %r", owed.by, exc)


async def _tell_redacted(ws: Workspace, channel: str, user: str, kinds: tuple[str, ...]) -> None:
    try:
        await ws.api.call("chat.postEphemeral", channel=channel, user=user,
                          text=redaction.told(kinds))
    except Exception as exc:  # the capture is recorded; only the note to the person is lost
        log.warning("could not tell %s what was redacted: %r", user, exc)


async def check_pins(ws: Workspace, batch: Batch[CheckPins]) -> None:
    """A 📌 came off a message a pin captured: its capture is retracted once none is left.
    Slack's count decides, whatever order the reactions reached us in."""
    owed = batch.head.notice
    answer = await ws.api.call("reactions.get", channel=owed.channel, timestamp=owed.ts,
                               full=True)
    if any(r.get("name") == PIN for r in (answer.get("message") or {}).get("reactions") or []):
        return
    await capture.retract(ws.store, incident_id=owed.incident_id, channel_id=owed.channel,
                          ts=owed.ts, by=owed.by,
                          names=await _names(ws, owed.incident_id, {owed.by: ""}))


async def _names(ws: Workspace, incident_id: int, wanted: dict[str, str]) -> dict[str, str]:
    """Names the record lacks for these people: the one given (an integration's post names
    itself), else Slack's; someone Slack does not know keeps their id."""
    known = (await deliveries.read_for_posting(ws.store, incident_id)).names
    names = {}
    for user_id, given in wanted.items():
        if user_id in known:
            continue
        if given:
            names[user_id] = given
            continue
        try:
            names[user_id] = display_name((await ws.api.call("users.info", user=user_id))["user"])
        except SlackApiError as exc:
            log.warning("no name for %s: %s", user_id, error_code(exc))
    return names
