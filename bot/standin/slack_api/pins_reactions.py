"""pins.add and reactions.get: what the bot pins, and who reacted to a message."""

from bot.standin.slack_api.records import SlackError
from bot.standin.slack_api.workspace import Method, Workspace


def pin(ws: Workspace, params: dict) -> dict:
    channel = ws.find_channel(params)
    message = ws.find_message(channel, params.get("timestamp", ""))
    if message.ts in ws.pins[channel.id]:
        raise SlackError("already_pinned")
    ws.pins[channel.id].add(message.ts)
    return {}


def reactions(ws: Workspace, params: dict) -> dict:
    if not params.get("channel") or not params.get("timestamp"):
        raise SlackError("no_item_specified")
    channel = ws.find_channel(params)
    message = ws.find_message(channel, params["timestamp"])
    return {"type": "message", "channel": channel.id, "message": message.as_json()}


METHODS: dict[str, Method] = {
    "pins.add": pin,
    "reactions.get": reactions,
}
