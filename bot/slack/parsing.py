"""`/incident …` text → typed requests, or a UsageError that shows the right usage. Pure."""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from bot.domain.channel_names import normalize_slug
from bot.domain.durations import parse_duration
from bot.domain.lifecycle import SETTABLE, Status, parse_status
from bot.domain.severity import parse_severity

USAGE = {
    "declare": "/incident declare <sev1-4|p1-4> <slug> [title…] [--private] [--drill]   "
               "(no arguments: opens a form)",
    "log": "/incident log <text>",
    "status": "/incident status <" + "|".join(SETTABLE) + "> [rationale]",
    "severity": "/incident severity <sev1-4|p1-4> <rationale>",
    "commander": "/incident commander @user",
    "role": "/incident role <role> @user   (commander, comms, scribe, ops, or one in ROLES)",
    "handoff": "/incident handoff @next-commander [notes]",
    "invite": "/incident invite @user… | @user-group…",
    "update": "/incident update <text for stakeholders>   (no text: opens a form)",
    "action": "/incident action <text> [@owner] | done <n> | due <n> <YYYY-MM-DD>",
    "rootcause": "/incident rootcause <text>   (sets or replaces it, also after resolve)",
    "resolve": "/incident resolve [root cause]",
    "page": "/incident page <service|@user> [message]   (services: PAGERDUTY_SERVICES)",
    "statuspage": "/incident statuspage <investigating|identified|monitoring|resolved> "
                  "<public text>",
    "runbook": "/incident runbook <RUN-id|name>   (no name: list the runbooks)",
    "access": "/incident access request <what> for <duration> [because <reason>]"
              " | deny <AR-n> [reason] | revoke <AR-n> | list",
    "approve": "/approve [AR-n] [for <duration>]",
    "timeline": "/incident timeline [n]   (the last n events, default 15)",
    "list": "/incident list [--drills]   (open incidents, from any channel)",
    "help": "/incident help",
}

_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|([^>]*))?>$")
_TRAILING_MENTION = re.compile(r"\s*<@([UW][A-Z0-9]+)(?:\|([^>]*))?>\s*$")
_LEADING_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|([^>]*))?>(?:\s+|$)")
# People and user groups as Slack writes them in command text (should_escape).
_INVITEE = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>|<!subteam\^([A-Z0-9]+)(?:\|([^>]*))?>")


class UsageError(ValueError):
    def __init__(self, problem: str, command: str | None = None) -> None:
        self.problem, self.command = problem, command
        super().__init__(problem)

    def message(self) -> str:
        usage = [USAGE[self.command]] if self.command else list(USAGE.values())
        return f"{self.problem}\nUsage:\n" + "\n".join(f"`{line}`" for line in usage)


@dataclass(frozen=True)
class Declare:
    severity: int | None = None  # None: open the declare form
    slug: str = ""
    title: str = ""
    private: bool = False
    drill: bool = False


@dataclass(frozen=True)
class Log:
    text: str


@dataclass(frozen=True)
class SetStatus:
    status: Status
    rationale: str


@dataclass(frozen=True)
class SetSeverity:
    severity: int
    rationale: str


@dataclass(frozen=True)
class Commander:
    user_id: str
    name: str


@dataclass(frozen=True)
class Role:
    role: str
    user_id: str
    name: str


@dataclass(frozen=True)
class Handoff:
    user_id: str
    name: str
    notes: str


@dataclass(frozen=True)
class Invite:
    people: tuple[tuple[str, str], ...]  # (user or user group id, name as Slack showed it)


@dataclass(frozen=True)
class Update:
    text: str


@dataclass(frozen=True)
class Action:
    text: str
    owner_id: str | None
    owner_name: str


@dataclass(frozen=True)
class Resolve:
    root_cause: str


@dataclass(frozen=True)
class Statuspage:
    """A public update: status and the words the public reads."""

    status: str
    text: str


@dataclass(frozen=True)
class Page:
    """A PagerDuty service by name, or a person (user_id and the name Slack showed)."""

    service: str | None
    user_id: str | None
    name: str
    message: str


@dataclass(frozen=True)
class AttachRunbook:
    query: str  # empty: list them


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class ActionDone:
    number: int


@dataclass(frozen=True)
class ActionDue:
    number: int
    due_on: date


@dataclass(frozen=True)
class RootCause:
    text: str


@dataclass(frozen=True)
class Timeline:
    count: int = 15


@dataclass(frozen=True)
class ListIncidents:
    drills: bool = False


@dataclass(frozen=True)
class RequestAccess:
    what: str
    duration: timedelta
    reason: str


@dataclass(frozen=True)
class DenyAccess:
    ref: str
    note: str


@dataclass(frozen=True)
class RevokeAccess:
    ref: str


@dataclass(frozen=True)
class ListAccess:
    pass


@dataclass(frozen=True)
class Approve:
    ref: str | None
    duration: timedelta | None


_ACCESS_REQUEST = re.compile(r"^(?P<what>.+)\s+for\s+(?P<duration>\S+)(?:\s+because\s+(?P<reason>.+))?$",
                             re.IGNORECASE | re.DOTALL)
_REF = re.compile(r"^AR-?\d+$", re.IGNORECASE)


def _sentence(error: ValueError) -> str:
    text = str(error)
    return f"{text[:1].upper()}{text[1:]}."


def _duration(text: str, command: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise UsageError(_sentence(exc), command) from None


def _ref(text: str, command: str) -> str:
    if not _REF.match(text):
        raise UsageError(f"`{text}` is not an access request id like AR-3.", command)
    return text.upper()


def _access(rest: str):  # noqa: ANN202
    words = _required(rest, "access", "request, deny, revoke or list").split(maxsplit=1)
    verb, tail = words[0].lower(), (words[1].strip() if len(words) > 1 else "")
    if verb == "list":
        return ListAccess()
    if verb == "request":
        match = _ACCESS_REQUEST.match(tail)
        if not match:
            raise UsageError("Say what access and for how long, e.g. "
                             "`prod DB write for 2h because killing sessions`.", "access")
        return RequestAccess(match["what"].strip(), _duration(match["duration"], "access"),
                             (match["reason"] or "").strip())
    if verb in ("deny", "revoke"):
        parts = _required(tail, "access", "which request (AR-<n>)").split(maxsplit=1)
        ref = _ref(parts[0], "access")
        return DenyAccess(ref, parts[1].strip() if len(parts) > 1 else "") if verb == "deny" \
            else RevokeAccess(ref)
    raise UsageError(f"Unknown access action `{words[0]}`.", "access")


def parse_approve(text: str) -> Approve:
    words = text.split()
    ref = _ref(words.pop(0), "approve") if words and not words[0].lower() == "for" else None
    duration = None
    if words:
        if words[0].lower() != "for" or len(words) != 2:
            raise UsageError("Say `for <duration>` after the id, e.g. `/approve AR-3 for 1h`.",
                             "approve")
        duration = _duration(words[1], "approve")
    return Approve(ref, duration)


def parse(text: str):  # noqa: ANN201 - one of the request types above
    words = text.strip().split(maxsplit=1)
    if not words:
        return Help()
    name, rest = words[0].lower(), (words[1].strip() if len(words) > 1 else "")
    parser = _PARSERS.get(name)
    if parser is None:
        raise UsageError(f"Unknown subcommand `{words[0]}`.")
    return parser(rest)


def _required(rest: str, command: str, what: str) -> str:
    if not rest:
        raise UsageError(f"Say {what}.", command)
    return rest


def _flag(name: str) -> re.Pattern[str]:
    return re.compile(rf"(?:^|\s)--{name}(?=\s|$)")


_PRIVATE_FLAG, _DRILL_FLAG, _DRILLS_FLAG = _flag("private"), _flag("drill"), _flag("drills?")


def _declare(rest: str) -> Declare:
    # Flags may stand anywhere after `declare`; the title keeps its own spacing.
    private, drill = bool(_PRIVATE_FLAG.search(rest)), bool(_DRILL_FLAG.search(rest))
    rest = _DRILL_FLAG.sub("", _PRIVATE_FLAG.sub("", rest)).strip()
    if not rest:
        return Declare(private=private, drill=drill)
    parts = rest.split(maxsplit=2)
    try:
        severity = parse_severity(parts[0])
    except ValueError as exc:
        raise UsageError(_sentence(exc), "declare") from None
    if len(parts) < 2:
        raise UsageError("Give the incident a short slug, e.g. `db-outage`.", "declare")
    slug = normalize_slug(parts[1])
    if not slug:
        raise UsageError(f"`{parts[1]}` has no letters or digits to make a slug from.", "declare")
    return Declare(severity, slug, parts[2].strip() if len(parts) > 2 else "", private, drill)


MAX_TIMELINE = 100


def _timeline(rest: str) -> Timeline:
    if not rest:
        return Timeline()
    if not rest.isdigit() or not 1 <= int(rest) <= MAX_TIMELINE:
        raise UsageError(f"`{rest}` is not a number of events from 1 to {MAX_TIMELINE}.",
                         "timeline")
    return Timeline(int(rest))


def _list(rest: str) -> ListIncidents:
    if _DRILLS_FLAG.sub("", rest).strip():
        raise UsageError(f"`{rest}` is not an option of list.", "list")
    return ListIncidents(bool(_DRILLS_FLAG.search(rest)))


def _status(rest: str) -> SetStatus:
    words = _required(rest, "status", "the new status").split(maxsplit=1)
    try:
        status = parse_status(words[0])
    except ValueError as exc:
        raise UsageError(_sentence(exc), "status") from None
    return SetStatus(status, words[1].strip() if len(words) > 1 else "")


def _severity(rest: str) -> SetSeverity:
    words = _required(rest, "severity", "the new severity and why").split(maxsplit=1)
    try:
        severity = parse_severity(words[0])
    except ValueError as exc:
        raise UsageError(_sentence(exc), "severity") from None
    if len(words) < 2:
        raise UsageError("A severity change needs a rationale.", "severity")
    return SetSeverity(severity, words[1].strip())


def _commander(rest: str) -> Commander:
    match = _MENTION.match(_required(rest, "commander", "who (as an @mention)"))
    if not match:
        raise UsageError(f"`{rest}` is not a person: @mention them so Slack links the name.",
                         "commander")
    return Commander(match.group(1), match.group(2) or "")


def _role(rest: str) -> Role:
    words = _required(rest, "role", "which role and who").split(maxsplit=1)
    match = _MENTION.match(words[1].strip()) if len(words) > 1 else None
    if not match:
        raise UsageError("Say the role, then @mention the person so Slack links the name.",
                         "role")
    return Role(words[0].lower(), match.group(1), match.group(2) or "")


def _handoff(rest: str) -> Handoff:
    match = _LEADING_MENTION.match(_required(rest, "handoff", "who takes over (as an @mention)"))
    if not match:
        raise UsageError("@mention the next commander first, then any notes.", "handoff")
    return Handoff(match.group(1), match.group(2) or "", rest[match.end():].strip())


def _invite(rest: str) -> Invite:
    text = _required(rest, "invite", "whom to invite (@people or @user-groups)")
    people = [(m.group(1) or m.group(3), m.group(2) or m.group(4) or "")
              for m in _INVITEE.finditer(text)]
    if not people or _INVITEE.sub("", text).strip():
        raise UsageError("Name people and user groups as @mentions so Slack links them.",
                         "invite")
    return Invite(tuple(dict.fromkeys(people)))


_ACTION_DONE = re.compile(r"^done\s+#?(\d+)$", re.IGNORECASE)
_ACTION_DUE = re.compile(r"^due\s+#?(\d+)(?:\s+(\S+))?$", re.IGNORECASE)


def _action(rest: str) -> Action | ActionDone | ActionDue:
    text = _required(rest, "action", "what needs doing")
    # `done 2` and `due 2 2026-12-01` act on item 2; any other text is a new item.
    if done := _ACTION_DONE.match(text):
        return ActionDone(int(done.group(1)))
    if due := _ACTION_DUE.match(text):
        if due.group(2) is None:
            raise UsageError("Say the due date, e.g. `/incident action due 2 2026-12-01`.",
                             "action")
        try:
            return ActionDue(int(due.group(1)), date.fromisoformat(due.group(2)))
        except ValueError:
            raise UsageError(f"`{due.group(2)}` is not a date: use YYYY-MM-DD.",
                             "action") from None
    owner = _TRAILING_MENTION.search(text)
    if owner:
        text = text[: owner.start()].strip()
        if not text:
            raise UsageError("Say what needs doing before the owner.", "action")
        return Action(text, owner.group(1), owner.group(2) or "")
    return Action(text, None, "")


STATUSPAGE_STATUSES = ("investigating", "identified", "monitoring", "resolved")


def _statuspage(rest: str) -> Statuspage:
    words = _required(rest, "statuspage", "the public status and what the public should read"
                      ).split(maxsplit=1)
    status = words[0].lower()
    if status not in STATUSPAGE_STATUSES:
        raise UsageError(f"`{words[0]}` is not a Statuspage status.", "statuspage")
    if len(words) < 2 or not words[1].strip():
        raise UsageError("Say what the public should read after the status.", "statuspage")
    return Statuspage(status, words[1].strip())


def _page(rest: str) -> Page:
    text = _required(rest, "page", "whom to page: a PagerDuty service or an @mention")
    person = _LEADING_MENTION.match(text)
    if person:
        return Page(None, person.group(1), person.group(2) or "", text[person.end():].strip())
    if text.startswith(("<@", "<!", "<#", "@")):
        raise UsageError("@mention the person so Slack links the name, or name a service.", "page")
    words = text.split(maxsplit=1)
    return Page(words[0], None, "", words[1].strip() if len(words) > 1 else "")


_PARSERS = {
    "declare": _declare,
    "log": lambda rest: Log(_required(rest, "log", "what to log")),
    "status": _status,
    "severity": _severity,
    "commander": _commander,
    "role": _role,
    "handoff": _handoff,
    "invite": _invite,
    "update": lambda rest: Update(rest),  # no text: the update form
    "action": _action,
    "resolve": lambda rest: Resolve(rest),
    "rootcause": lambda rest: RootCause(_required(rest, "rootcause", "the root cause")),
    "help": lambda rest: Help(),
    "access": _access,
    "runbook": lambda rest: AttachRunbook(rest),
    "page": _page,
    "statuspage": _statuspage,
    "timeline": _timeline,
    "list": _list,
}
