"""The workspace the stand-in keeps: people, groups, channels, messages, pins and files.

Tests shape it directly (a person joins, says something, reacts) and read back what
Slack would show; the Web API methods read and change it through the same lookups.
"""

import asyncio
import itertools
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from bot.standin.slack_api.records import Channel, Message, SlackError, UploadedFile, texts

# Where the workspace's permalinks point (auth.test's url).
PERMALINK_BASE = "https://standin.slack.test"
PINGS = re.compile(r"<!(?:channel|here|everyone)(?:\|[^>]*)?>|<@[UW][A-Z0-9]+(?:\|[^>]*)?>")


class Workspace:
    def __init__(self, *, bot_user_id: str, team_id: str) -> None:
        self.bot_user_id, self.team_id = bot_user_id, team_id
        self.users: dict[str, dict] = {}
        self.usergroups: dict[str, dict] = {}
        self.channels: dict[str, Channel] = {}
        # Each channel's messages and replies, oldest first.
        self.history: dict[str, list[Message]] = defaultdict(list)
        self.pins: dict[str, set[str]] = defaultdict(set)
        self.files: list[UploadedFile] = []
        self.pending_uploads: dict[str, UploadedFile] = {}
        self.ephemerals: list[dict] = []
        self.views: list[dict] = []
        # The App Home each user sees: what views.publish last put there.
        self.homes: dict[str, dict] = {}
        self.responses: list[dict] = []
        # Where the stand-in is served; set when it starts.
        self.base = ""
        self._ids = itertools.count(1)
        self._last_ts = 0.0
        self._sender: Any = None
        self._tasks: set[asyncio.Task] = set()

    # shaping it ----------------------------------------------------------------
    def add_user(self, user_id: str, name: str, real_name: str | None = None,
                 email: str | None = None) -> None:
        """`email`: what users.lookupByEmail finds them by (Slack shows it in the profile)."""
        profile = {"display_name": name, "real_name": real_name or name}
        if email:
            profile["email"] = email
        self.users[user_id] = {"id": user_id, "name": name, "real_name": real_name or name,
                               "profile": profile}

    def add_usergroup(self, group_id: str, handle: str, users: Iterable[str]) -> str:
        """A user group, e.g. `add_usergroup("S0DB", "db-oncall", [...])`: `<!subteam^S0DB>`."""
        self.usergroups[group_id] = {"id": group_id, "handle": handle, "users": list(users)}
        return group_id

    def add_channel(self, name: str, *, creator: str = "UOTHER", members: Iterable[str] = (),
                    is_private: bool = False) -> str:
        channel = Channel(self.new_id("C"), name, creator, int(time.time()),
                          set(members) | {creator}, is_private=is_private)
        self.channels[channel.id] = channel
        return channel.id

    async def join(self, channel_id: str, user_id: str) -> None:
        """A person joins a channel by themselves (no Web API call from the bot)."""
        self.channels[channel_id].members.add(user_id)
        self.joined(channel_id, [user_id])

    def say(self, channel_id: str, user: str, text: str, *, thread_ts: str | None = None,
            files: Iterable[str] = ()) -> str:
        """A person writes in a channel (a reply when `thread_ts`), attaching files by name.
        `text` as Slack stores it: & < > escaped, mentions as `<@U…>`. Returns the ts."""
        channel = self.channels[channel_id]
        if thread_ts:
            self.find_message(channel, thread_ts)
        attached = [{"id": (file_id := self.new_id("F")), "name": name,
                     "permalink": f"{PERMALINK_BASE}/files/{user}/{file_id}/{name}"}
                    for name in files]
        message = Message(self.new_ts(), channel_id, user, text, [], thread_ts=thread_ts,
                          files=attached)
        self.history[channel_id].append(message)
        return message.ts

    def react(self, channel_id: str, ts: str, user: str, name: str) -> dict:
        """A person adds a reaction; returns the `reaction_added` event Slack sends for it."""
        message = self.find_message(self.channels[channel_id], ts)
        users = message.reactions.setdefault(name, [])
        if user not in users:
            users.append(user)
        return _reaction_event("reaction_added", message, user, name)

    def unreact(self, channel_id: str, ts: str, user: str, name: str) -> dict:
        """A person takes their reaction off; returns the `reaction_removed` event."""
        message = self.find_message(self.channels[channel_id], ts)
        users = message.reactions.get(name, [])
        if user in users:
            users.remove(user)
        if not users:
            message.reactions.pop(name, None)
        return _reaction_event("reaction_removed", message, user, name)

    # events to the bot ---------------------------------------------------------
    def deliver_events(self, sender: Any) -> None:
        """Send member_joined_channel to the bot through `sender`, as Slack would."""
        self._sender = sender

    def joined(self, channel_id: str, users: list[str]) -> None:
        if self._sender is None:
            return
        for user in users:
            event = {"type": "member_joined_channel", "user": user, "channel": channel_id,
                     "channel_type": "C", "team": self.team_id}
            task = asyncio.get_running_loop().create_task(self._sender.event(event))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    # reading it ------------------------------------------------------------------
    def channel_by_name(self, name: str) -> Channel | None:
        return next((c for c in self.channels.values() if c.name == name and not c.im_user), None)

    def direct_messages(self, user_id: str) -> list[Message]:
        """What the bot said to this person in a DM."""
        channel = next((c for c in self.channels.values() if c.im_user == user_id), None)
        return self.messages(channel.id) if channel else []

    def messages(self, channel_id: str) -> list[Message]:
        return list(self.history[channel_id])

    def response_url(self, key: str) -> str:
        return f"{self.base}/response/{key}"

    def pings(self, channel_id: str | None = None) -> list[tuple[str, str, str]]:
        """Every token in what the bot posted that would notify someone in real Slack."""
        found = []
        for channel, messages in self.history.items():
            if channel_id and channel != channel_id:
                continue
            for message in messages:
                if message.user != self.bot_user_id:
                    continue  # people may type what they like
                for text in [message.text, *texts(message.blocks)]:
                    found += [(channel, message.ts, t) for t in PINGS.findall(text or "")]
        return found

    # what the methods share --------------------------------------------------------
    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):07d}"

    def new_ts(self) -> str:
        # Real time, as Slack's are (the bot looks messages up by time), never repeated.
        self._last_ts = max(time.time(), self._last_ts + 0.000001)
        return f"{self._last_ts:.6f}"

    def find_channel(self, params: dict, key: str = "channel") -> Channel:
        ref = params.get(key, "")
        channel = self.channels.get(ref) or self.channel_by_name(ref.lstrip("#"))
        if channel is None:
            raise SlackError("channel_not_found")
        return channel

    def member_channel(self, params: dict, key: str = "channel") -> Channel:
        """The channel named in `params`, where the bot may post."""
        channel = self.find_channel(params, key)
        if self.bot_user_id not in channel.members:
            raise SlackError("not_in_channel")
        if channel.is_archived:
            raise SlackError("is_archived")
        return channel

    def find_message(self, channel: Channel, ts: str) -> Message:
        for message in self.history[channel.id]:
            if message.ts == ts:
                return message
        raise SlackError("message_not_found")


# A Web API method: the workspace and the call's arguments in, the answer's fields out.
Method = Callable[[Workspace, dict], dict]


def _reaction_event(kind: str, message: Message, user: str, name: str) -> dict:
    return {"type": kind, "user": user, "reaction": name, "item_user": message.user,
            "item": {"type": "message", "channel": message.channel, "ts": message.ts}}
