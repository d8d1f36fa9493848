"""chat.*: the bot posts, edits and whispers messages, and links to them."""

import json

from bot.standin.block_kit import BlockError, validate_blocks
from bot.standin.slack_api.params import as_json
from bot.standin.slack_api.records import Message, SlackError
from bot.standin.slack_api.workspace import PERMALINK_BASE, Method, Workspace

# Slack refuses a message whose blocks, all told, pass about 13,200 characters.
MESSAGE_BLOCKS_LIMIT = 13_200
TEXT_LIMIT = 40_000


def checked_blocks(params: dict, limit: int = 50) -> list:
    """The call's blocks, refused as Slack refuses them."""
    blocks = as_json(params.get("blocks"), [])
    try:
        validate_blocks(blocks, limit=limit)
    except BlockError as exc:
        raise SlackError("invalid_blocks", response_metadata={"messages": [str(exc)]}) from None
    if len(json.dumps(blocks, ensure_ascii=False)) > MESSAGE_BLOCKS_LIMIT:
        raise SlackError("msg_blocks_too_long")
    return blocks


def post_message(ws: Workspace, params: dict) -> dict:
    channel = ws.member_channel(params)
    text, blocks = params.get("text") or "", checked_blocks(params)
    if not text and not blocks:
        raise SlackError("no_text")
    if len(text) > TEXT_LIMIT:
        raise SlackError("msg_too_long")
    thread_ts = params.get("thread_ts")
    if thread_ts:
        ws.find_message(channel, thread_ts)
    message = Message(ws.new_ts(), channel.id, ws.bot_user_id, text, blocks,
                      as_json(params.get("metadata"), None), thread_ts)
    ws.history[channel.id].append(message)
    return {"channel": channel.id, "ts": message.ts, "message": message.as_json()}


def update(ws: Workspace, params: dict) -> dict:
    channel = ws.find_channel(params)
    message = ws.find_message(channel, params.get("ts", ""))
    if message.user != ws.bot_user_id:
        raise SlackError("cant_update_message")
    blocks = checked_blocks(params)
    message.edits.append((message.text, message.blocks))
    if params.get("text") is not None:
        message.text = params["text"]
    if "blocks" in params:
        message.blocks = blocks
    return {"channel": channel.id, "ts": message.ts, "text": message.text}


def post_ephemeral(ws: Workspace, params: dict) -> dict:
    channel = ws.member_channel(params)
    if params.get("user") not in channel.members:
        raise SlackError("user_not_in_channel")
    ws.ephemerals.append({"channel": channel.id, "user": params["user"],
                          "text": params.get("text", ""), "blocks": checked_blocks(params)})
    return {"message_ts": ws.new_ts()}


def get_permalink(ws: Workspace, params: dict) -> dict:
    # No scope: Slack's method page lists none.
    channel = ws.find_channel(params)
    message = ws.find_message(channel, params.get("message_ts", ""))
    link = f"{PERMALINK_BASE}/archives/{channel.id}/p{message.ts.replace('.', '')}"
    if message.thread_ts and message.thread_ts != message.ts:
        link += f"?thread_ts={message.thread_ts}&cid={channel.id}"
    return {"channel": channel.id, "permalink": link}


METHODS: dict[str, Method] = {
    "chat.postMessage": post_message,
    "chat.update": update,
    "chat.postEphemeral": post_ephemeral,
    "chat.getPermalink": get_permalink,
}
