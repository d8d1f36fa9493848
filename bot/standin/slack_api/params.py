"""A method's arguments as Slack reads them: query, JSON or form, with its own truths."""

import json
from collections.abc import Callable
from typing import Any

from aiohttp import web


async def read(request: web.Request) -> dict:
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        params.update(await request.json())
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        params.update(dict(await request.post()))
    return params


def as_json(value: Any, default: Any) -> Any:
    """A JSON argument, sent either encoded (form) or as is (JSON body)."""
    if value is None or value == "":
        return default
    return json.loads(value) if isinstance(value, str) else value


def as_bool(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def between(params: dict) -> Callable[[str], bool]:
    """`oldest` and `latest` as Slack reads them: left out only with `inclusive`."""
    oldest, latest = float(params.get("oldest") or 0), float(params.get("latest") or 1e12)
    if as_bool(params.get("inclusive")):
        return lambda ts: oldest <= float(ts) <= latest
    return lambda ts: oldest < float(ts) < latest


def list_types(params: dict) -> set[str]:
    """conversations.list's `types` as channel kinds (Slack's default: public channels)."""
    named = {"public_channel": "public", "private_channel": "private"}
    types = str(params.get("types") or "public_channel").split(",")
    return {named[t.strip()] for t in types if t.strip() in named}
