"""What the workspace holds, in Slack's JSON shapes, and the error a method answers with."""

from dataclasses import dataclass, field
from typing import Any


class SlackError(Exception):
    """A method's `{"ok": false, "error": …}` answer; `extra` goes beside the error."""

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
        return "\n".join(texts(self.blocks)) if self.blocks else self.text

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
    """One Web API call as it arrived, with how it was answered."""

    method: str
    params: dict
    status: int
    ok: bool | None
    error: str | None
    at: float


def texts(node: Any) -> list[str]:
    """Every `text` string in a Block Kit tree, in order."""
    if isinstance(node, dict):
        own = [node["text"]] if isinstance(node.get("text"), str) else []
        return own + [t for value in node.values() for t in texts(value)]
    if isinstance(node, list):
        return [t for item in node for t in texts(item)]
    return []
