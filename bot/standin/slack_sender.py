"""Requests to the bot as Slack sends them: real payload shapes, signed with the signing secret."""

import hashlib
import hmac
import itertools
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

FORM = "application/x-www-form-urlencoded"


@dataclass
class SlackResponse:
    status: int
    body: str
    json: Any
    elapsed: float


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class SlackSender:
    def __init__(self, *, events_url: str, signing_secret: str, api: Any = None,
                 team_id: str = "T0001", app_id: str = "A0001") -> None:
        self.events_url, self.secret, self.api = events_url, signing_secret, api
        self.team_id, self.app_id = team_id, app_id
        self._counter = itertools.count(1)

    def _user_name(self, user: str) -> str:
        known = getattr(self.api, "users", {}).get(user)
        return known["name"] if known else user.lower()

    def _channel_name(self, channel: str) -> str:
        known = getattr(self.api, "channels", {}).get(channel)
        return known.name if known else "unknown"

    def _response_url(self) -> str:
        key = f"r{next(self._counter)}"
        return self.api.response_url(key) if self.api else f"http://127.0.0.1:9/{key}"

    def _trigger(self) -> str:
        return f"{int(time.time())}.{next(self._counter)}.{uuid.uuid4().hex[:16]}"

    async def slash(self, command: str, text: str, *, user: str, channel: str,
                    trigger_id: str | None = None) -> SlackResponse:
        body = urlencode({
            "token": "deprecated-verification-token", "team_id": self.team_id,
            "team_domain": "standin", "channel_id": channel,
            "channel_name": self._channel_name(channel), "user_id": user,
            "user_name": self._user_name(user), "command": command, "text": text,
            "api_app_id": self.app_id, "is_enterprise_install": "false",
            "response_url": self._response_url(), "trigger_id": trigger_id or self._trigger(),
        }).encode()
        return await self.post(body, FORM)

    async def event(self, event: dict, *, event_id: str | None = None,
                    retry_num: int | None = None) -> SlackResponse:
        payload = {
            "token": "deprecated-verification-token", "team_id": self.team_id,
            "api_app_id": self.app_id, "event": {**event, "event_ts": f"{time.time():.6f}"},
            "type": "event_callback", "event_id": event_id or f"Ev{uuid.uuid4().hex[:12].upper()}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": self.team_id, "is_bot": True,
                                "user_id": getattr(self.api, "bot_user_id", "UBOT")}],
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return await self.post(json.dumps(payload).encode(), "application/json", headers=headers)

    def _user(self, user: str) -> dict:
        return {"id": user, "username": self._user_name(user), "name": self._user_name(user),
                "team_id": self.team_id}

    async def block_action(self, *, user: str, channel: str, message_ts: str, action_id: str,
                           value: str = "", block_id: str = "", text: str = "button",
                           action_ts: str | None = None) -> SlackResponse:
        message = None
        if self.api is not None:
            message = next((m.as_json() for m in self.api.messages(channel) if m.ts == message_ts),
                           None)
        payload = {
            "type": "block_actions", "user": self._user(user), "api_app_id": self.app_id,
            "token": "deprecated-verification-token",
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel,
                          "is_ephemeral": False},
            "trigger_id": self._trigger(), "team": {"id": self.team_id, "domain": "standin"},
            "channel": {"id": channel, "name": self._channel_name(channel)},
            "message": message or {"ts": message_ts, "type": "message"},
            "response_url": self._response_url(),
            "actions": [{"type": "button", "action_id": action_id, "block_id": block_id,
                         "value": value, "text": {"type": "plain_text", "text": text},
                         "action_ts": action_ts or f"{time.time():.6f}"}],
        }
        return await self.post(urlencode({"payload": json.dumps(payload)}).encode(), FORM)

    async def home_action(self, *, user: str, action_id: str, value: str = "",
                          block_id: str = "", text: str = "button") -> SlackResponse:
        """A button on the user's App Home: no channel, no response_url, the view instead."""
        view = getattr(self.api, "homes", {}).get(user, {"type": "home", "blocks": []})
        view_id = f"V{next(self._counter):08d}"
        payload = {
            "type": "block_actions", "user": self._user(user), "api_app_id": self.app_id,
            "token": "deprecated-verification-token",
            "container": {"type": "view", "view_id": view_id},
            "trigger_id": self._trigger(), "team": {"id": self.team_id, "domain": "standin"},
            "view": {"id": view_id, "team_id": self.team_id, "app_id": self.app_id,
                     "hash": uuid.uuid4().hex, **view},
            "actions": [{"type": "button", "action_id": action_id, "block_id": block_id,
                         "value": value, "text": {"type": "plain_text", "text": text},
                         "action_ts": f"{time.time():.6f}"}],
        }
        return await self.post(urlencode({"payload": json.dumps(payload)}).encode(), FORM)

    async def message_shortcut(self, *, user: str, channel: str, message_ts: str,
                               callback_id: str = "add_to_timeline",
                               trigger_id: str | None = None) -> SlackResponse:
        """A message shortcut used on a message: the payload carries the message itself."""
        message = None
        if self.api is not None:
            message = next((m.as_json() for m in self.api.messages(channel) if m.ts == message_ts),
                           None)
        payload = {
            "type": "message_action", "token": "deprecated-verification-token",
            "action_ts": f"{time.time():.6f}", "team": {"id": self.team_id, "domain": "standin"},
            "user": self._user(user), "channel": {"id": channel, "name": self._channel_name(channel)},
            "is_enterprise_install": False, "enterprise": None, "callback_id": callback_id,
            "trigger_id": trigger_id or self._trigger(), "response_url": self._response_url(),
            "message_ts": message_ts,
            "message": message or {"type": "message", "ts": message_ts, "text": ""},
        }
        return await self.post(urlencode({"payload": json.dumps(payload)}).encode(), FORM)

    async def view_submission(self, *, user: str, view: dict) -> SlackResponse:
        payload = {"type": "view_submission", "team": {"id": self.team_id, "domain": "standin"},
                   "user": self._user(user), "api_app_id": self.app_id,
                   "token": "deprecated-verification-token", "trigger_id": self._trigger(),
                   "view": {"id": f"V{next(self._counter):08d}", "type": "modal",
                            "hash": uuid.uuid4().hex, **view}}
        return await self.post(urlencode({"payload": json.dumps(payload)}).encode(), FORM)

    async def post(self, body: bytes, content_type: str, *, timestamp: int | None = None,
                   signature_value: str | None = None, sign: bool = True,
                   headers: dict | None = None, **legacy: Any) -> SlackResponse:
        """Low level, for forged, missing or stale signatures."""
        signature_value = legacy.pop("signature", signature_value)
        stamp = int(time.time()) if timestamp is None else timestamp
        sent = {"Content-Type": content_type, **(headers or {})}
        if sign:
            sent["X-Slack-Request-Timestamp"] = str(stamp)
            sent["X-Slack-Signature"] = signature_value or signature(self.secret, stamp, body)
        started = time.monotonic()
        status, text = await self.deliver(body, sent)
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        return SlackResponse(status, text, parsed, time.monotonic() - started)

    async def deliver(self, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        """The signed request to the bot, as Slack sends it: its answer's status and body."""
        async with aiohttp.ClientSession() as session, session.post(
            self.events_url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=30)
        ) as response:
            return response.status, await response.text()
