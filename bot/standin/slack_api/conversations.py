"""conversations.*: channels and DMs, who is in them, and what was said there."""

import re
import time
from typing import Any

from bot.standin.slack_api.params import as_bool, between, list_types
from bot.standin.slack_api.records import Channel, SlackError
from bot.standin.slack_api.workspace import Method, Workspace

CHANNEL_NAME = re.compile(r"^[a-z0-9_-]+$")


def create(ws: Workspace, params: dict) -> dict:
    name = params.get("name", "")
    if not name:
        raise SlackError("invalid_name_required")
    if len(name) > 80:
        raise SlackError("invalid_name_maxlength")
    if not CHANNEL_NAME.match(name):
        raise SlackError("invalid_name_specials")
    if not re.search(r"[a-z0-9]", name):
        raise SlackError("invalid_name_punctuation")
    if ws.channel_by_name(name):
        raise SlackError("name_taken")
    channel_id = ws.add_channel(name, creator=ws.bot_user_id,
                                is_private=as_bool(params.get("is_private")))
    return {"channel": ws.channels[channel_id].as_json()}


def invite(ws: Workspace, params: dict) -> dict:
    channel = ws.member_channel(params)
    users = [u for u in str(params.get("users", "")).split(",") if u]
    if not users:
        raise SlackError("no_user")
    if len(users) > 1000:
        raise SlackError("too_many_users")
    if ws.bot_user_id in users:
        raise SlackError("cant_invite_self")
    failed: list[dict[str, Any]] = [
        {"user": u, "ok": False,
         "error": "user_not_found" if u not in ws.users else "already_in_channel"}
        for u in users if u not in ws.users or u in channel.members]
    new = [u for u in users if u in ws.users and u not in channel.members]
    # One that cannot be invited fails the call for all, unless `force` says: the others.
    if failed and (not new or not as_bool(params.get("force"))):
        raise SlackError(str(failed[0]["error"]), errors=failed)
    channel.members.update(new)
    ws.joined(channel.id, new)
    return {"channel": channel.as_json(), **({"errors": failed} if failed else {})}


def open_dm(ws: Workspace, params: dict) -> dict:
    users = [u for u in str(params.get("users", "")).split(",") if u]
    if not users:
        raise SlackError("users_list_not_supplied")
    if len(users) > 1:
        raise SlackError("not_supported")  # a group DM; the bot never opens one
    if users[0] not in ws.users:
        raise SlackError("user_not_found")
    channel = next((c for c in ws.channels.values() if c.im_user == users[0]), None)
    if channel is None:
        channel = Channel(ws.new_id("D"), "", ws.bot_user_id, int(time.time()),
                          {users[0], ws.bot_user_id}, im_user=users[0])
        ws.channels[channel.id] = channel
    return {"channel": {"id": channel.id}}


def join(ws: Workspace, params: dict) -> dict:
    channel = ws.find_channel(params)
    if channel.is_private:
        raise SlackError("method_not_supported_for_channel_type")
    channel.members.add(ws.bot_user_id)
    return {"channel": channel.as_json()}


def info(ws: Workspace, params: dict) -> dict:
    return {"channel": ws.find_channel(params).as_json()}


def listing(ws: Workspace, params: dict) -> dict:
    kinds = list_types(params)
    # Private channels are listed only to their members, as Slack lists them.
    channels = [c for c in ws.channels.values() if not c.im_user
                and ("private" if c.is_private else "public") in kinds
                and not (c.is_private and ws.bot_user_id not in c.members)
                and not (as_bool(params.get("exclude_archived")) and c.is_archived)]
    start = int(params.get("cursor") or 0)
    limit = int(params.get("limit") or 100)
    page = channels[start:start + limit]
    next_cursor = str(start + limit) if start + limit < len(channels) else ""
    return {"channels": [c.as_json() for c in page],
            "response_metadata": {"next_cursor": next_cursor}}


def history(ws: Workspace, params: dict) -> dict:
    channel = ws.find_channel(params)
    if channel.is_private and ws.bot_user_id not in channel.members:
        raise SlackError("not_in_channel")
    within = between(params)
    with_metadata = as_bool(params.get("include_all_metadata"))
    found = [m for m in reversed(ws.history[channel.id])
             if within(m.ts) and m.thread_ts in (None, m.ts)]
    limit = int(params.get("limit") or 100)
    return {"messages": [m.as_json(with_metadata) for m in found[:limit]],
            "has_more": len(found) > limit}


def replies(ws: Workspace, params: dict) -> dict:
    channel = ws.find_channel(params)
    try:
        named = ws.find_message(channel, params.get("ts", ""))
    except SlackError:
        raise SlackError("thread_not_found") from None
    # A reply's ts answers with its whole thread, as the parent's does; the parent comes
    # first, whatever the time range.
    parent = ws.find_message(channel, named.thread_ts) if named.thread_ts else named
    within = between(params)
    with_metadata = as_bool(params.get("include_all_metadata"))
    thread = [parent] + [m for m in ws.history[channel.id]
                         if m.thread_ts == parent.ts and m is not parent and within(m.ts)]
    limit = int(params.get("limit") or 1000)
    return {"messages": [m.as_json(with_metadata) for m in thread[:limit]],
            "has_more": len(thread) > limit}


METHODS: dict[str, Method] = {
    "conversations.create": create,
    "conversations.invite": invite,
    "conversations.open": open_dm,
    "conversations.join": join,
    "conversations.info": info,
    "conversations.list": listing,
    "conversations.history": history,
    "conversations.replies": replies,
}
