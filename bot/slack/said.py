"""Slack's messages as the timeline keeps them: from a shortcut's payload, or fetched by ts,
with any secret taken out of their text before anything keeps them (an owed capture too)."""

import html
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

from bot import redaction
from bot.domain.captures import Said
from bot.slack.webapi import WebApi, error_code


@dataclass(frozen=True)
class Heard:
    """A message as the timeline may keep it, and the kinds of secret taken out of it."""

    said: Said
    redacted: tuple[str, ...] = ()


def said_of(message: dict) -> Heard:
    """A message object as Slack hands it over (shortcut payload, history, replies)."""
    ts = message["ts"]
    thread_ts = message.get("thread_ts")
    profile = message.get("bot_profile") or {}
    # Slack escapes & < > in message text; keep what the person typed.
    text = redaction.redact(html.unescape(message.get("text") or ""))
    return Heard(Said(
        # An integration's post has no user: its bot stands for the author.
        author=message.get("user") or message.get("bot_id") or "unknown",
        ts=ts,
        text=text.text,
        thread_ts=thread_ts if thread_ts and thread_ts != ts else None,
        # A file past the workspace's visible history has no permalink: nothing to point at.
        files=[f["permalink"] for f in message.get("files") or [] if f.get("permalink")],
        author_name="" if message.get("user") else message.get("username") or profile.get("name", ""),
    ), text.kinds)


async def fetch(api: WebApi, channel: str, ts: str) -> Heard | None:
    """The message `ts` names, a thread reply too; None when Slack no longer has it.

    conversations.replies answers for any message: the thread it starts or belongs to,
    its parent first, then the replies from `oldest` on; history would miss a reply."""
    try:
        page = await api.call("conversations.replies", channel=channel, ts=ts, oldest=ts,
                              inclusive=True, limit=2)
    except SlackApiError as exc:
        if error_code(exc) == "thread_not_found":
            return None
        raise
    found = next((m for m in page.get("messages", []) if m.get("ts") == ts), None)
    return said_of(found) if found else None
