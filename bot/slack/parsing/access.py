"""`/incident access …` and `/approve …`."""

import re

from bot.slack.parsing.requests import Approve, DenyAccess, ListAccess, RequestAccess, RevokeAccess
from bot.slack.parsing.usage import UsageError
from bot.slack.parsing.words import access_ref, duration, required

_REQUEST = re.compile(r"^(?P<what>.+)\s+for\s+(?P<duration>\S+)(?:\s+because\s+(?P<reason>.+))?$",
                      re.IGNORECASE | re.DOTALL)


def parse_access(rest: str) -> RequestAccess | DenyAccess | RevokeAccess | ListAccess:
    words = required(rest, "access", "request, deny, revoke or list").split(maxsplit=1)
    verb, tail = words[0].lower(), (words[1].strip() if len(words) > 1 else "")
    if verb == "list":
        return ListAccess()
    if verb == "request":
        match = _REQUEST.match(tail)
        if not match:
            raise UsageError("Say what access and for how long, e.g. "
                             "`prod DB write for 2h because killing sessions`.", "access")
        return RequestAccess(match["what"].strip(), duration(match["duration"], "access"),
                             (match["reason"] or "").strip())
    if verb in ("deny", "revoke"):
        parts = required(tail, "access", "which request (AR-<n>)").split(maxsplit=1)
        ref = access_ref(parts[0], "access")
        if verb == "deny":
            return DenyAccess(ref, parts[1].strip() if len(parts) > 1 else "")
        return RevokeAccess(ref)
    raise UsageError(f"Unknown access action `{words[0]}`.", "access")


def parse_approve(text: str) -> Approve:
    words = text.split()
    ref = access_ref(words.pop(0), "approve") if words and not words[0].lower() == "for" else None
    granted_for = None
    if words:
        if words[0].lower() != "for" or len(words) != 2:
            raise UsageError("Say `for <duration>` after the id, e.g. `/approve AR-3 for 1h`.",
                             "approve")
        granted_for = duration(words[1], "approve")
    return Approve(ref, granted_for)
