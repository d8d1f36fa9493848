"""Posting that shows once: every message carries the outbox rows it delivers in its metadata,
so after an unknown outcome the bot looks for them before posting again; and packing, so
entries owed to one channel share one message as far as Slack's limits allow."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk.errors import SlackApiError

from bot.slack import ids
from bot.slack.render.text import SECTION_TEXT_LIMIT, cut, escape, section, split_text
from bot.slack.webapi import WebApi, error_code

METADATA_TYPE = "incident_bot_post"
MAX_BLOCKS = 50
# Slack refuses a message whose blocks pass about 13,200 characters (msg_blocks_too_long).
BLOCKS_BUDGET = 12_000
TEXT_LIMIT = 4_000  # the notification text of a packed message; the blocks hold everything


@dataclass
class Entry:
    """One outbox row as a message: its line, and its own blocks when it has buttons."""

    tag: str
    line: str
    blocks: list[dict] | None = None


@dataclass
class Packed:
    text: str
    blocks: list[dict] | None
    tags: list[str]


def pack(entries: Sequence[Entry]) -> Packed:
    """As many entries, first first, as one message holds; consecutive lines share a section,
    and a long line takes as many as it needs. An entry is never split between messages."""
    blocks: list[dict] = []
    taken: list[Entry] = []
    ids: set[str] = set()
    for entry in entries:
        candidate = _with(blocks, entry)
        own_ids = _ids(entry.blocks or [])
        if taken and (not fits(candidate) or own_ids & ids):
            break
        blocks, ids = candidate, ids | own_ids
        taken.append(entry)
    if len(taken) == 1:
        return _alone(taken[0])
    text = cut("\n".join(entry.line for entry in taken), TEXT_LIMIT)
    return Packed(text, blocks, [entry.tag for entry in taken])


def _alone(entry: Entry) -> Packed:
    blocks = entry.blocks or _with([], entry)
    if (entry.blocks is None and len(entry.line) <= SECTION_TEXT_LIMIT) or not fits(blocks):
        return Packed(entry.line, None, [entry.tag])  # past what blocks hold: see `fitted`
    return Packed(cut(entry.line, TEXT_LIMIT), blocks, [entry.tag])


def fits(blocks: list[dict]) -> bool:
    return len(blocks) <= MAX_BLOCKS and len(json.dumps(blocks, ensure_ascii=False)) <= BLOCKS_BUDGET


def fitted(text: str, blocks: list[dict]) -> tuple[str, list[dict] | None]:
    """One message's text and blocks, `text` being its notification. Escaping can grow what
    people typed past what one message's blocks hold (4,000 typed `&` are 20,000 characters):
    then the message is all its blocks say, as text, which Slack shows up to 40,000
    characters. Whole beats buttons (approve, deny and revoke have commands too)."""
    if fits(blocks):
        return cut(text, TEXT_LIMIT), blocks
    return said(blocks), None


def said(blocks: list[dict]) -> str:
    """The mrkdwn a message's blocks show, buttons aside."""
    texts = []
    for block in blocks:
        objects = [block["text"]] if "text" in block else []
        objects += block.get("fields", [])
        if block["type"] == "context":
            objects += [element for element in block["elements"] if "text" in element]
        for obj in objects:  # plain_text (a header) is shown as typed: mrkdwn must escape it
            texts.append(f"*{escape(obj['text'])}*" if obj["type"] == "plain_text" else obj["text"])
    shown = ""
    for text in texts:
        # Sections split from one text broke after a blank: joined as they were.
        shown += text if not shown or shown[-1].isspace() else "\n" + text
    return shown


def _with(blocks: list[dict], entry: Entry) -> list[dict]:
    if entry.blocks:
        return blocks + entry.blocks
    last = blocks[-1] if blocks else None
    if last is not None and last.get("block_id", "").startswith(ids.LINES_BLOCK_PREFIX):
        joined = last["text"]["text"] + "\n" + entry.line
        if len(joined) <= SECTION_TEXT_LIMIT:
            return blocks[:-1] + [{**last, "text": {**last["text"], "text": joined}}]
    return blocks + [{**section(piece), "block_id": ids.lines_block(len(blocks) + n)}
                     for n, piece in enumerate(split_text(entry.line))]


def _ids(blocks: list[dict]) -> set[str]:
    """block_id and action_id must be unique in a message."""
    found = set()
    for block in blocks:
        if "block_id" in block:
            found.add(f"block:{block['block_id']}")
        for element in block.get("elements", []):
            if "action_id" in element:
                found.add(f"action:{element['action_id']}")
    return found


async def send(api: WebApi, channel: str, packed: Packed, *, thread_ts: str | None = None) -> str:
    params: dict[str, Any] = {
        "channel": channel, "text": packed.text, "unfurl_links": False, "unfurl_media": False,
        "metadata": {"event_type": METADATA_TYPE,
                     "event_payload": {"outbox_ids": ",".join(packed.tags)}},
    }
    if packed.blocks:
        params["blocks"] = packed.blocks
    if thread_ts:
        params["thread_ts"] = thread_ts
    try:
        response = await api.call("chat.postMessage", **params)
    except SlackApiError as exc:
        if error_code(exc) != "not_in_channel":
            raise
        await api.call("conversations.join", channel=channel)
        response = await api.call("chat.postMessage", **params)
    return response["ts"]


async def find_tagged(api: WebApi, channel: str, since: datetime,
                      thread_ts: str | None = None) -> dict[str, str]:
    """Tag → ts of each of our messages posted since `since`: what an unknown outcome delivered."""
    oldest = f"{since.timestamp() - 60:.6f}"
    if thread_ts:
        page = await api.call("conversations.replies", channel=channel, ts=thread_ts,
                              oldest=oldest, limit=200, include_all_metadata=True)
    else:
        page = await api.call("conversations.history", channel=channel, oldest=oldest,
                              limit=200, include_all_metadata=True)
    found = {}
    for message in page.get("messages", []):
        metadata = message.get("metadata") or {}
        if metadata.get("event_type") == METADATA_TYPE:
            payload = metadata.get("event_payload") or {}
            # "outbox_id": one entry a message, as posts were tagged before entries shared them.
            tags = str(payload.get("outbox_ids") or payload.get("outbox_id") or "")
            for tag in tags.split(","):
                found[tag] = message["ts"]
    return found
