"""A local stand-in of the Slack Web API that keeps Slack's rules.

Runs on 127.0.0.1 and answers the methods the bot uses with Slack's shapes and
error codes, validates Block Kit, and can be told to fail the way Slack does
(429 with Retry-After, 5xx, hanging). It records every call, so tests can ask
what Slack was asked and what it would show.
"""

import asyncio
import contextlib
import itertools
import json
import re
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.standin.block_kit import BlockError, validate_blocks, validate_modal

CHANNEL_NAME = re.compile(r"^[a-z0-9_-]+$")
# Slack refuses a message whose blocks, all told, pass about 13,200 characters.
MESSAGE_BLOCKS_LIMIT = 13_200
# Where the workspace's permalinks point (auth.test's url).
PERMALINK_BASE = "https://standin.slack.test"
PINGS = re.compile(r"<!(?:channel|here|everyone)(?:\|[^>]*)?>|<@[UW][A-Z0-9]+(?:\|[^>]*)?>")


# The bot token scope each method needs, as Slack's method pages list them; by the kind of
# conversation where that matters (public channel, private channel, DM).
SCOPES: dict[str, str | dict[str, str]] = {
    "conversations.create": {"public": "channels:manage", "private": "groups:write"},
    "conversations.invite": {"public": "channels:manage", "private": "groups:write"},
    "conversations.join": "channels:join",
    "conversations.list": {"public": "channels:read", "private": "groups:read"},
    "conversations.info": {"public": "channels:read", "private": "groups:read", "im": "im:read"},
    "conversations.history": {"public": "channels:history", "private": "groups:history",
                              "im": "im:history"},
    "conversations.replies": {"public": "channels:history", "private": "groups:history",
                              "im": "im:history"},
    "conversations.open": "im:write",
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "pins.add": "pins:write",
    "reactions.get": "reactions:read",
    "users.info": "users:read",
    "usergroups.users.list": "usergroups:read",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
}


class SlackError(Exception):
    def __init__(self, error: str, **extra: object) -> None:
        super().__init__(error)
        self.error, self.extra = error, extra


@dataclass
class Channel:
    id: str
    name: str
    creator: str
    created: int
    members: set[str] = field(default_factory=set)
    is_archived: bool = False
    is_private: bool = False
    topic: str = ""
    im_user: str | None = None  # a direct message channel with this person

    def as_json(self) -> dict:
        if self.im_user:
            return {"id": self.id, "is_im": True, "user": self.im_user, "created": self.created}
        return {"id": self.id, "name": self.name, "is_channel": True, "created": self.created,
                "creator": self.creator, "is_archived": self.is_archived,
                "is_private": self.is_private, "num_members": len(self.members),
                "topic": {"value": self.topic}}


@dataclass
class Message:
    ts: str
    channel: str
    user: str
    text: str
    blocks: list
    metadata: dict | None = None
    thread_ts: str | None = None
    edits: list = field(default_factory=list)
    files: list = field(default_factory=list)
    reactions: dict[str, list[str]] = field(default_factory=dict)  # name → who, in order

    @property
    def shown(self) -> str:
        """What a person sees: the blocks' text when there are blocks, else the text."""
        return "\n".join(_texts(self.blocks)) if self.blocks else self.text

    def as_json(self, with_metadata: bool = False) -> dict:
        out: dict[str, Any] = {"type": "message", "ts": self.ts, "user": self.user,
                               "text": self.text, "blocks": self.blocks}
        if self.thread_ts:
            out["thread_ts"] = self.thread_ts
        if self.files:
            out["files"] = self.files
        if self.reactions:
            out["reactions"] = [{"name": name, "users": users, "count": len(users)}
                                for name, users in self.reactions.items()]
        if with_metadata and self.metadata:
            out["metadata"] = self.metadata
        return out


@dataclass
class UploadedFile:
    id: str
    filename: str
    title: str = ""
    content: bytes = b""
    channels: list[str] = field(default_factory=list)
    initial_comment: str = ""


@dataclass
class Call:
    method: str
    params: dict
    status: int
    ok: bool | None
    error: str | None
    at: float


@dataclass
class _Fault:
    status: int | None = None
    retry_after: float = 1
    delay: float = 0
    error: str | None = None


class FakeSlackAPI:
    def __init__(self, *, bot_user_id: str = "UBOT", bot_token: str = "xoxb-standin",
                 app_token: str = "xapp-standin", team_id: str = "T0001",
                 latency: float = 0.0, scopes: Iterable[str] | None = None) -> None:
        self.bot_user_id, self.bot_token, self.team_id = bot_user_id, bot_token, team_id
        # The bot token's scopes (None: every scope): a method needing another is refused
        # with `missing_scope`, as Slack refuses an app whose manifest forgot it.
        self.scopes = None if scopes is None else set(scopes)
        # Every Web API answer takes this long, as real Slack's do (about 250 ms).
        self.latency = latency
        self.app_token = app_token
        self._sockets: list[web.WebSocketResponse] = []
        self._socket_acks: dict[str, asyncio.Future] = {}
        self._socket_open = asyncio.Event()
        self.users: dict[str, dict] = {}
        self.usergroups: dict[str, dict] = {}
        self.channels: dict[str, Channel] = {}
        self._messages: dict[str, list[Message]] = defaultdict(list)
        self.pins: dict[str, set[str]] = defaultdict(set)
        self.files: list[UploadedFile] = []
        self._pending_uploads: dict[str, UploadedFile] = {}
        self.ephemerals: list[dict] = []
        self.views: list[dict] = []
        # The App Home each user sees: what views.publish last put there.
        self.homes: dict[str, dict] = {}
        self.responses: list[dict] = []
        self.calls: list[Call] = []
        self._faults: dict[str, deque[_Fault]] = defaultdict(deque)
        self._outage: _Fault | None = None
        self._restored = asyncio.Event()
        self._ids = itertools.count(1)
        self._last_ts = 0.0
        self._sender = None
        self._tasks: set[asyncio.Task] = set()
        self._runner: web.AppRunner | None = None
        self.url = ""

    # lifecycle ---------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/response/{key}", self._response)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}"
        self.url = f"{self.base}/api/"
        return self.url

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for socket in list(self._sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> "FakeSlackAPI":
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    # the workspace -------------------------------------------------------------
    def add_user(self, user_id: str, name: str, real_name: str | None = None) -> None:
        self.users[user_id] = {"id": user_id, "name": name, "real_name": real_name or name,
                               "profile": {"display_name": name, "real_name": real_name or name}}

    def add_usergroup(self, group_id: str, handle: str, users: Iterable[str]) -> str:
        """A user group, e.g. `add_usergroup("S0DB", "db-oncall", [...])`: `<!subteam^S0DB>`."""
        self.usergroups[group_id] = {"id": group_id, "handle": handle, "users": list(users)}
        return group_id

    def add_channel(self, name: str, *, creator: str = "UOTHER", members: Iterable[str] = (),
                    is_private: bool = False) -> str:
        channel = Channel(self._new_id("C"), name, creator, int(time.time()),
                          set(members) | {creator}, is_private=is_private)
        self.channels[channel.id] = channel
        return channel.id

    def channel_by_name(self, name: str) -> Channel | None:
        return next((c for c in self.channels.values() if c.name == name and not c.im_user), None)

    def direct_messages(self, user_id: str) -> list[Message]:
        """What the bot said to this person in a DM."""
        channel = next((c for c in self.channels.values() if c.im_user == user_id), None)
        return self.messages(channel.id) if channel else []

    def messages(self, channel_id: str) -> list[Message]:
        return list(self._messages[channel_id])

    def response_url(self, key: str) -> str:
        return f"{self.base}/response/{key}"

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def pings(self, channel_id: str | None = None) -> list[tuple[str, str, str]]:
        """Every token in what the bot posted that would notify someone in real Slack."""
        found = []
        for channel, messages in self._messages.items():
            if channel_id and channel != channel_id:
                continue
            for message in messages:
                if message.user != self.bot_user_id:
                    continue  # people may type what they like
                for text in [message.text, *_texts(message.blocks)]:
                    found += [(channel, message.ts, t) for t in PINGS.findall(text or "")]
        return found

    async def join(self, channel_id: str, user_id: str) -> None:
        """A person joins a channel by themselves (no Web API call from the bot)."""
        self.channels[channel_id].members.add(user_id)
        self._joined(channel_id, [user_id])

    def say(self, channel_id: str, user: str, text: str, *, thread_ts: str | None = None,
            files: Iterable[str] = ()) -> str:
        """A person writes in a channel (a reply when `thread_ts`), attaching files by name.
        `text` as Slack stores it: & < > escaped, mentions as `<@U…>`. Returns the ts."""
        channel = self.channels[channel_id]
        if thread_ts:
            self._message(channel, thread_ts)
        attached = [{"id": (file_id := self._new_id("F")), "name": name,
                     "permalink": f"{PERMALINK_BASE}/files/{user}/{file_id}/{name}"}
                    for name in files]
        message = Message(self._new_ts(), channel_id, user, text, [], thread_ts=thread_ts,
                          files=attached)
        self._messages[channel_id].append(message)
        return message.ts

    def react(self, channel_id: str, ts: str, user: str, name: str) -> dict:
        """A person adds a reaction; returns the `reaction_added` event Slack sends for it."""
        message = self._message(self.channels[channel_id], ts)
        users = message.reactions.setdefault(name, [])
        if user not in users:
            users.append(user)
        return self._reaction_event("reaction_added", message, user, name)

    def unreact(self, channel_id: str, ts: str, user: str, name: str) -> dict:
        """A person takes their reaction off; returns the `reaction_removed` event."""
        message = self._message(self.channels[channel_id], ts)
        users = message.reactions.get(name, [])
        if user in users:
            users.remove(user)
        if not users:
            message.reactions.pop(name, None)
        return self._reaction_event("reaction_removed", message, user, name)

    @staticmethod
    def _reaction_event(kind: str, message: Message, user: str, name: str) -> dict:
        return {"type": kind, "user": user, "reaction": name, "item_user": message.user,
                "item": {"type": "message", "channel": message.channel, "ts": message.ts}}

    def deliver_events(self, sender: Any) -> None:
        """Send member_joined_channel to the bot through `sender`, as Slack would."""
        self._sender = sender

    def _joined(self, channel_id: str, users: list[str]) -> None:
        if self._sender is None:
            return
        for user in users:
            event = {"type": "member_joined_channel", "user": user, "channel": channel_id,
                     "channel_type": "C", "team": self.team_id}
            task = asyncio.get_running_loop().create_task(self._sender.event(event))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    # faults ---------------------------------------------------------------------
    def fault(self, method: str, *, status: int | None = None, retry_after: float = 1,
              delay: float = 0, error: str | None = None, times: int = 1) -> None:
        for _ in range(times):
            self._faults[method].append(_Fault(status, retry_after, delay, error))

    def outage(self, *, status: int | None = None, delay: float = 0) -> None:
        """Every call fails with `status`, or hangs for `delay` (or until restored) and then lands."""
        self._outage = _Fault(status=status, delay=delay)
        self._restored = asyncio.Event()

    def restore(self) -> None:
        self._outage = None
        self._restored.set()

    def _next_fault(self, method: str) -> _Fault | None:
        if self._outage is not None:
            return self._outage
        for key in (method, "*"):
            if self._faults[key]:
                return self._faults[key].popleft()
        return None

    # HTTP ---------------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await _params(request)
        fault = self._next_fault(method)
        if self.latency:
            await asyncio.sleep(self.latency)
        if fault is not None and fault is self._outage and fault.delay:
            # Slack catching up: what hung during the outage is handled when it ends.
            restored = self._restored
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(restored.wait(), fault.delay)
        elif fault and fault.delay:
            await asyncio.sleep(fault.delay)
        if fault and fault.status:
            self._log(method, params, fault.status, False, "ratelimited" if fault.status == 429 else None)
            if fault.status == 429:
                return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                         headers={"Retry-After": str(int(fault.retry_after))})
            return web.Response(status=fault.status, text="upstream error")
        try:
            if fault and fault.error:
                raise SlackError(fault.error)
            if method != "api.test":  # the one method that needs no token
                self._authorize(request, params,
                                self.app_token if method == "apps.connections.open" else self.bot_token)
            handler = getattr(self, "_" + method.replace(".", "_"), None)
            if handler is None:
                raise SlackError("unknown_method")
            self._check_scope(method, params)
            body = {"ok": True, **handler(params)}
        except SlackError as exc:
            body = {"ok": False, "error": exc.error, **exc.extra}
        self._log(method, params, 200, body["ok"], body.get("error"))
        return web.json_response(body)

    def _log(self, method: str, params: dict, status: int, ok: bool | None, error: str | None) -> None:
        self.calls.append(Call(method, params, status, ok, error, time.time()))

    def _check_scope(self, method: str, params: dict) -> None:
        needed = SCOPES.get(method)
        if self.scopes is None or needed is None:
            return
        if isinstance(needed, dict):
            kind = "public"
            if method == "conversations.create":
                kind = "private" if _bool(params.get("is_private")) else "public"
            elif method == "conversations.list":
                # Each type asked for needs its own scope; one scope missing refuses the call.
                for wanted in _list_types(params):
                    if needed[wanted] not in self.scopes:
                        raise SlackError("missing_scope", needed=needed[wanted],
                                         provided=",".join(sorted(self.scopes)))
                return
            elif params.get("channel") in self.channels:
                channel = self.channels[params["channel"]]
                kind = "im" if channel.im_user else "private" if channel.is_private else "public"
            needed = needed[kind]
        if needed not in self.scopes:
            raise SlackError("missing_scope", needed=needed, provided=",".join(sorted(self.scopes)))

    def _authorize(self, request: web.Request, params: dict, expected: str) -> None:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header else params.get("token", "")
        if not token:
            raise SlackError("not_authed")
        if token != expected:
            raise SlackError("invalid_auth")

    # Socket Mode -------------------------------------------------------------------------
    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"type": "hello", "num_connections": len(self._sockets) + 1,
                                "connection_info": {"app_id": "A0001"}, "debug_info": {}})
        self._sockets.append(socket)
        self._socket_open.set()
        try:
            async for message in socket:
                data = json.loads(message.data) if isinstance(message.data, str) else {}
                waiter = self._socket_acks.pop(data.get("envelope_id", ""), None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(data)
        finally:
            self._sockets.remove(socket)
        return socket

    async def socket_request(self, kind: str, payload: dict, timeout: float = 5.0) -> dict:
        """Send an envelope (e.g. "slash_commands") over Socket Mode; return the app's ack."""
        await asyncio.wait_for(self._socket_open.wait(), timeout)
        envelope_id = uuid.uuid4().hex
        waiter = asyncio.get_running_loop().create_future()
        self._socket_acks[envelope_id] = waiter
        await self._sockets[-1].send_json({"envelope_id": envelope_id, "type": kind,
                                           "payload": payload, "accepts_response_payload": True,
                                           "retry_attempt": 0, "retry_reason": ""})
        return await asyncio.wait_for(waiter, timeout)

    async def _upload(self, request: web.Request) -> web.Response:
        pending = self._pending_uploads.get(request.match_info["file_id"])
        if pending is None:
            return web.Response(status=404)
        if request.content_type.startswith("multipart/"):
            async for part in await request.multipart():
                pending.content = await part.read()  # type: ignore[union-attr]
        else:
            pending.content = await request.read()
        return web.Response(text=f"OK - {len(pending.content)}")

    async def _response(self, request: web.Request) -> web.Response:
        self.responses.append({"key": request.match_info["key"], **await request.json()})
        return web.Response(text="ok")

    # helpers -----------------------------------------------------------------------------
    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):07d}"

    def _new_ts(self) -> str:
        # Real time, as Slack's are (the bot looks messages up by time), never repeated.
        self._last_ts = max(time.time(), self._last_ts + 0.000001)
        return f"{self._last_ts:.6f}"

    def _channel(self, params: dict, key: str = "channel") -> Channel:
        ref = params.get(key, "")
        channel = self.channels.get(ref) or self.channel_by_name(ref.lstrip("#"))
        if channel is None:
            raise SlackError("channel_not_found")
        return channel

    def _member_channel(self, params: dict, key: str = "channel") -> Channel:
        channel = self._channel(params, key)
        if self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        if channel.is_archived:
            raise SlackError("is_archived")
        return channel

    def _message(self, channel: Channel, ts: str) -> Message:
        for message in self._messages[channel.id]:
            if message.ts == ts:
                return message
        raise SlackError("message_not_found")

    @staticmethod
    def _blocks(params: dict, limit: int = 50) -> list:
        blocks = _json(params.get("blocks"), [])
        try:
            validate_blocks(blocks, limit=limit)
        except BlockError as exc:
            raise SlackError("invalid_blocks", response_metadata={"messages": [str(exc)]}) from None
        if len(json.dumps(blocks, ensure_ascii=False)) > MESSAGE_BLOCKS_LIMIT:
            raise SlackError("msg_blocks_too_long")
        return blocks

    # methods -------------------------------------------------------------------------------
    def _apps_connections_open(self, params: dict) -> dict:
        return {"url": self.base.replace("http://", "ws://") + "/socket"}

    def _api_test(self, params: dict) -> dict:
        return {"args": {k: v for k, v in params.items() if k != "token"}}

    def _auth_test(self, params: dict) -> dict:
        return {"user_id": self.bot_user_id, "team_id": self.team_id, "bot_id": "B0001",
                "user": "incident-bot", "url": "https://standin.slack.test/"}

    def _conversations_create(self, params: dict) -> dict:
        name = params.get("name", "")
        if not name:
            raise SlackError("invalid_name_required")
        if len(name) > 80:
            raise SlackError("invalid_name_maxlength")
        if not CHANNEL_NAME.match(name):
            raise SlackError("invalid_name_specials")
        if not re.search(r"[a-z0-9]", name):
            raise SlackError("invalid_name_punctuation")
        if self.channel_by_name(name):
            raise SlackError("name_taken")
        channel_id = self.add_channel(name, creator=self.bot_user_id,
                                      is_private=_bool(params.get("is_private")))
        return {"channel": self.channels[channel_id].as_json()}

    def _conversations_invite(self, params: dict) -> dict:
        channel = self._member_channel(params)
        users = [u for u in str(params.get("users", "")).split(",") if u]
        if not users:
            raise SlackError("no_user")
        if len(users) > 1000:
            raise SlackError("too_many_users")
        if self.bot_user_id in users:
            raise SlackError("cant_invite_self")
        failed: list[dict[str, Any]] = [
            {"user": u, "ok": False,
             "error": "user_not_found" if u not in self.users else "already_in_channel"}
            for u in users if u not in self.users or u in channel.members]
        new = [u for u in users if u in self.users and u not in channel.members]
        # One that cannot be invited fails the call for all, unless `force` says: the others.
        if failed and (not new or not _bool(params.get("force"))):
            raise SlackError(str(failed[0]["error"]), errors=failed)
        channel.members.update(new)
        self._joined(channel.id, new)
        return {"channel": channel.as_json(), **({"errors": failed} if failed else {})}

    def _conversations_open(self, params: dict) -> dict:
        users = [u for u in str(params.get("users", "")).split(",") if u]
        if not users:
            raise SlackError("users_list_not_supplied")
        if len(users) > 1:
            raise SlackError("not_supported")  # a group DM; the bot never opens one
        if users[0] not in self.users:
            raise SlackError("user_not_found")
        channel = next((c for c in self.channels.values() if c.im_user == users[0]), None)
        if channel is None:
            channel = Channel(self._new_id("D"), "", self.bot_user_id, int(time.time()),
                              {users[0], self.bot_user_id}, im_user=users[0])
            self.channels[channel.id] = channel
        return {"channel": {"id": channel.id}}

    def _conversations_join(self, params: dict) -> dict:
        channel = self._channel(params)
        if channel.is_private:
            raise SlackError("method_not_supported_for_channel_type")
        channel.members.add(self.bot_user_id)
        return {"channel": channel.as_json()}

    def _conversations_info(self, params: dict) -> dict:
        return {"channel": self._channel(params).as_json()}

    def _conversations_list(self, params: dict) -> dict:
        kinds = _list_types(params)
        # Private channels are listed only to their members, as Slack lists them.
        channels = [c for c in self.channels.values() if not c.im_user
                    and ("private" if c.is_private else "public") in kinds
                    and not (c.is_private and self.bot_user_id not in c.members)
                    and not (_bool(params.get("exclude_archived")) and c.is_archived)]
        start = int(params.get("cursor") or 0)
        limit = int(params.get("limit") or 100)
        page = channels[start:start + limit]
        next_cursor = str(start + limit) if start + limit < len(channels) else ""
        return {"channels": [c.as_json() for c in page],
                "response_metadata": {"next_cursor": next_cursor}}

    def _conversations_history(self, params: dict) -> dict:
        channel = self._channel(params)
        if channel.is_private and self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        within = _between(params)
        with_metadata = _bool(params.get("include_all_metadata"))
        found = [m for m in reversed(self._messages[channel.id])
                 if within(m.ts) and m.thread_ts in (None, m.ts)]
        limit = int(params.get("limit") or 100)
        return {"messages": [m.as_json(with_metadata) for m in found[:limit]],
                "has_more": len(found) > limit}

    def _conversations_replies(self, params: dict) -> dict:
        channel = self._channel(params)
        try:
            named = self._message(channel, params.get("ts", ""))
        except SlackError:
            raise SlackError("thread_not_found") from None
        # A reply's ts answers with its whole thread, as the parent's does; the parent comes
        # first, whatever the time range.
        parent = self._message(channel, named.thread_ts) if named.thread_ts else named
        within = _between(params)
        with_metadata = _bool(params.get("include_all_metadata"))
        thread = [parent] + [m for m in self._messages[channel.id]
                             if m.thread_ts == parent.ts and m is not parent and within(m.ts)]
        limit = int(params.get("limit") or 1000)
        return {"messages": [m.as_json(with_metadata) for m in thread[:limit]],
                "has_more": len(thread) > limit}

    def _chat_getPermalink(self, params: dict) -> dict:  # noqa: N802 - Slack's method name
        # No scope: Slack's method page lists none.
        channel = self._channel(params)
        message = self._message(channel, params.get("message_ts", ""))
        link = f"{PERMALINK_BASE}/archives/{channel.id}/p{message.ts.replace('.', '')}"
        if message.thread_ts and message.thread_ts != message.ts:
            link += f"?thread_ts={message.thread_ts}&cid={channel.id}"
        return {"channel": channel.id, "permalink": link}

    def _reactions_get(self, params: dict) -> dict:
        if not params.get("channel") or not params.get("timestamp"):
            raise SlackError("no_item_specified")
        channel = self._channel(params)
        message = self._message(channel, params["timestamp"])
        return {"type": "message", "channel": channel.id, "message": message.as_json()}

    def _chat_postMessage(self, params: dict) -> dict:  # noqa: N802 - Slack's method name
        channel = self._member_channel(params)
        text, blocks = params.get("text") or "", self._blocks(params)
        if not text and not blocks:
            raise SlackError("no_text")
        if len(text) > 40000:
            raise SlackError("msg_too_long")
        thread_ts = params.get("thread_ts")
        if thread_ts:
            self._message(channel, thread_ts)
        message = Message(self._new_ts(), channel.id, self.bot_user_id, text, blocks,
                          _json(params.get("metadata"), None), thread_ts)
        self._messages[channel.id].append(message)
        return {"channel": channel.id, "ts": message.ts, "message": message.as_json()}

    def _chat_update(self, params: dict) -> dict:
        channel = self._channel(params)
        message = self._message(channel, params.get("ts", ""))
        if message.user != self.bot_user_id:
            raise SlackError("cant_update_message")
        blocks = self._blocks(params)
        message.edits.append((message.text, message.blocks))
        if params.get("text") is not None:
            message.text = params["text"]
        if "blocks" in params:
            message.blocks = blocks
        return {"channel": channel.id, "ts": message.ts, "text": message.text}

    def _chat_postEphemeral(self, params: dict) -> dict:  # noqa: N802
        channel = self._member_channel(params)
        if params.get("user") not in channel.members:
            raise SlackError("user_not_in_channel")
        self.ephemerals.append({"channel": channel.id, "user": params["user"],
                                "text": params.get("text", ""), "blocks": self._blocks(params)})
        return {"message_ts": self._new_ts()}

    def _pins_add(self, params: dict) -> dict:
        channel = self._channel(params)
        message = self._message(channel, params.get("timestamp", ""))
        if message.ts in self.pins[channel.id]:
            raise SlackError("already_pinned")
        self.pins[channel.id].add(message.ts)
        return {}

    def _usergroups_users_list(self, params: dict) -> dict:
        if not params.get("usergroup"):
            raise SlackError("invalid_arguments")
        group = self.usergroups.get(params["usergroup"])
        if group is None:
            raise SlackError("no_such_subteam")
        return {"users": list(group["users"])}

    def _users_info(self, params: dict) -> dict:
        user = self.users.get(params.get("user", ""))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": user}

    def _views_open(self, params: dict) -> dict:
        if not params.get("trigger_id"):
            raise SlackError("invalid_trigger_id")
        view = _json(params.get("view"), {})
        try:
            validate_modal(view)
        except BlockError as exc:
            raise SlackError("invalid_arguments", response_metadata={"messages": [str(exc)]}) from None
        self.views.append({"trigger_id": params["trigger_id"], "view": view})
        return {"view": {"id": self._new_id("V"), **view}}

    def _views_publish(self, params: dict) -> dict:
        # No scope: an app may always publish its own Home tab.
        if params.get("user_id", "") not in self.users:
            raise SlackError("user_not_found")
        view = _json(params.get("view"), {})
        if view.get("type") != "home":
            raise SlackError("invalid_arguments", response_metadata={
                "messages": ["[ERROR] must be a home view [json-pointer:/view/type]"]})
        try:
            validate_blocks(view.get("blocks", []), limit=100)
        except BlockError as exc:
            raise SlackError("invalid_arguments", response_metadata={"messages": [str(exc)]}) from None
        self.homes[params["user_id"]] = view
        return {"view": {"id": self._new_id("V"), **view}}

    def _files_getUploadURLExternal(self, params: dict) -> dict:  # noqa: N802
        upload = UploadedFile(self._new_id("F"), params.get("filename", "file"))
        self._pending_uploads[upload.id] = upload
        return {"upload_url": f"{self.base}/upload/{upload.id}", "file_id": upload.id}

    def _files_completeUploadExternal(self, params: dict) -> dict:  # noqa: N802
        channel = self._member_channel(params, "channel_id") if params.get("channel_id") else None
        done = []
        for entry in _json(params.get("files"), []):
            upload = self._pending_uploads.pop(entry["id"], None)
            if upload is None:
                raise SlackError("file_not_found")
            upload.title = entry.get("title") or upload.filename
            upload.initial_comment = params.get("initial_comment", "")
            if channel is not None:
                upload.channels.append(channel.id)
            self.files.append(upload)
            done.append({"id": upload.id, "name": upload.filename, "title": upload.title})
        return {"files": done}


async def _params(request: web.Request) -> dict:
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        params.update(await request.json())
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        params.update(dict(await request.post()))
    return params


def _json(value: Any, default: Any) -> Any:
    if value is None or value == "":
        return default
    return json.loads(value) if isinstance(value, str) else value


def _bool(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def _texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["text"]] if isinstance(node.get("text"), str) else []
        return own + [t for value in node.values() for t in _texts(value)]
    if isinstance(node, list):
        return [t for item in node for t in _texts(item)]
    return []


def _between(params: dict) -> Callable[[str], bool]:
    """`oldest` and `latest` as Slack reads them: left out only with `inclusive`."""
    oldest, latest = float(params.get("oldest") or 0), float(params.get("latest") or 1e12)
    if _bool(params.get("inclusive")):
        return lambda ts: oldest <= float(ts) <= latest
    return lambda ts: oldest < float(ts) < latest


def _list_types(params: dict) -> set[str]:
    """conversations.list's `types` as channel kinds (Slack's default: public channels)."""
    named = {"public_channel": "public", "private_channel": "private"}
    types = str(params.get("types") or "public_channel").split(",")
    return {named[t.strip()] for t in types if t.strip() in named}
