"""`/incident …` text → the request it makes, by its first word."""

from collections.abc import Callable

from bot.slack.parsing.access import parse_access
from bot.slack.parsing.can import parse_can
from bot.slack.parsing.incident import (
    parse_action,
    parse_declare,
    parse_list,
    parse_severity_change,
    parse_status_change,
    parse_statuspage,
    parse_timeline,
)
from bot.slack.parsing.people import (
    parse_commander,
    parse_handoff,
    parse_invite,
    parse_page,
    parse_role,
)
from bot.slack.parsing.requests import (
    AddService,
    AttachRunbook,
    Help,
    IncidentCommand,
    Log,
    OnCallNow,
    Resolve,
    RootCause,
    Update,
)
from bot.slack.parsing.usage import UsageError
from bot.slack.parsing.words import required


def parse(text: str) -> IncidentCommand:
    """The request `/incident <text>` makes; UsageError says what is wrong and how to write it."""
    words = text.strip().split(maxsplit=1)
    if not words:
        return Help()
    name, rest = words[0].lower(), (words[1].strip() if len(words) > 1 else "")
    parser = PARSERS.get(name)
    if parser is None:
        raise UsageError(f"Unknown subcommand `{words[0]}`.")
    return parser(rest)


PARSERS: dict[str, Callable[[str], IncidentCommand]] = {
    "declare": parse_declare,
    "log": lambda rest: Log(required(rest, "log", "what to log")),
    "status": parse_status_change,
    "severity": parse_severity_change,
    "commander": parse_commander,
    "role": parse_role,
    "handoff": parse_handoff,
    "invite": parse_invite,
    "update": lambda rest: Update(rest),  # no text: the update form
    "action": parse_action,
    "resolve": lambda rest: Resolve(rest),
    "rootcause": lambda rest: RootCause(required(rest, "rootcause", "the root cause")),
    "help": lambda rest: Help(),
    "access": parse_access,
    "runbook": lambda rest: AttachRunbook(rest),
    "page": parse_page,
    "statuspage": parse_statuspage,
    "timeline": parse_timeline,
    "list": parse_list,
    "can": parse_can,
    "service": lambda rest: AddService(required(rest, "service", "which service, e.g. `checkout`")),
    "oncall": lambda rest: OnCallNow(rest.lower()),
}
