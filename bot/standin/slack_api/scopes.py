"""The bot token scope each method needs, and the `missing_scope` refusal."""

from bot.standin.slack_api.params import as_bool, list_types
from bot.standin.slack_api.records import Channel, SlackError

# As Slack's method pages list them; by the kind of conversation where that matters
# (public channel, private channel, DM).
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
    "users.lookupByEmail": "users:read.email",
    "usergroups.users.list": "usergroups:read",
    "usergroups.list": "usergroups:read",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
}


def check_scope(method: str, params: dict, *, granted: set[str] | None,
                channels: dict[str, Channel]) -> None:
    """Refuse `method` when the token's `granted` scopes (None: every scope) lack its own."""
    needed = SCOPES.get(method)
    if granted is None or needed is None:
        return
    if isinstance(needed, dict):
        kind = "public"
        if method == "conversations.create":
            kind = "private" if as_bool(params.get("is_private")) else "public"
        elif method == "conversations.list":
            # Each type asked for needs its own scope; one scope missing refuses the call.
            for wanted in list_types(params):
                if needed[wanted] not in granted:
                    raise SlackError("missing_scope", needed=needed[wanted],
                                     provided=",".join(sorted(granted)))
            return
        elif params.get("channel") in channels:
            channel = channels[params["channel"]]
            kind = "im" if channel.im_user else "private" if channel.is_private else "public"
        needed = needed[kind]
    if needed not in granted:
        raise SlackError("missing_scope", needed=needed, provided=",".join(sorted(granted)))
