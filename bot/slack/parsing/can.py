"""`/incident can <action> [args]`: the question put to the policy, as people write it."""

import re

from bot.domain.authz import Action, Arg
from bot.domain.lifecycle import SETTABLE
from bot.slack.parsing.requests import Can
from bot.slack.parsing.usage import UsageError

_ARG = re.compile(r"^([a-z_]+)=(.*)$")
_SEVERITY = re.compile(r"^(?:sev|p)([1-4])$", re.IGNORECASE)
_REQUEST = re.compile(r"^AR-?(\d+)$", re.IGNORECASE)


def parse_can(rest: str) -> Can:
    words = rest.split()
    if not words:
        raise UsageError("Say which action to ask about.", "can")
    try:
        action = Action(words[0].lower())
    except ValueError:
        raise UsageError(f"`{words[0]}` is not an action the policy decides. Actions: "
                         + ", ".join(a.value for a in Action) + ".", "can") from None
    args: dict[str, Arg] = {}
    for word in words[1:]:
        key, value = _argument(action, word)
        args[key] = value
    return Can(action, tuple(args.items()))


def _argument(action: Action, word: str) -> tuple[str, Arg]:
    """`key=value`, or the argument the action takes written as in its own command:
    `severity sev3`, `status closed`, `role comms`, `approve AR-3`."""
    explicit = _ARG.match(word)
    if explicit:
        key, value = explicit.groups()
        if value.isdigit():
            return key, int(value)
        return key, {"true": True, "false": False}.get(value.lower(), value)
    if severity := _SEVERITY.match(word):
        return "severity", int(severity.group(1))
    if request := _REQUEST.match(word):
        return "request", f"AR-{request.group(1)}"
    if action in (Action.STATUS, Action.RESOLVE, Action.CLOSE) and word.lower() in SETTABLE:
        return "status", word.lower()
    if action in (Action.ROLE, Action.COMMANDER):
        return "role", word.lower()
    if action is Action.PAGE:
        return "service", word
    if action is Action.RUNBOOK:
        return "runbook", word.upper()
    raise UsageError(f"`{word}`: write arguments as key=value (e.g. severity=3, "
                     "status=closed, role=comms, risk=high).", "can")
