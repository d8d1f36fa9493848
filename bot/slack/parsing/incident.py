"""Commands about the incident itself: declare, status, severity, action items, Statuspage,
timeline and list."""

import re
from datetime import date

from bot.domain.channel_names import normalize_slug
from bot.domain.lifecycle import parse_status
from bot.domain.severity import parse_severity
from bot.slack.parsing.requests import (
    Action,
    ActionDone,
    ActionDue,
    Declare,
    ListIncidents,
    SetSeverity,
    SetStatus,
    Statuspage,
    Timeline,
)
from bot.slack.parsing.usage import UsageError
from bot.slack.parsing.words import TRAILING_MENTION, flag, required, sentence

_PRIVATE_FLAG, _DRILL_FLAG, _DRILLS_FLAG = flag("private"), flag("drill"), flag("drills?")
_SERVICE_OPTION = re.compile(r"(?:^|\s)--service(?:=|\s+)([^\s-][^\s]*)")
_TYPE_OPTION = re.compile(r"(?:^|\s)--type(?:=|\s+)([^\s-][^\s]*)")
_BARE_OPTION = re.compile(r"(?:^|\s)(--(?:service|type))(?=\s|=|$)")
MAX_TIMELINE = 100
STATUSPAGE_STATUSES = ("investigating", "identified", "monitoring", "resolved")
_ACTION_DONE = re.compile(r"^done\s+#?(\d+)$", re.IGNORECASE)
_ACTION_DUE = re.compile(r"^due\s+#?(\d+)(?:\s+(\S+))?$", re.IGNORECASE)


def parse_declare(rest: str) -> Declare:
    # Flags may stand anywhere after `declare`; the title keeps its own spacing.
    private, drill = bool(_PRIVATE_FLAG.search(rest)), bool(_DRILL_FLAG.search(rest))
    rest = _DRILL_FLAG.sub("", _PRIVATE_FLAG.sub("", rest))
    services = tuple(match.group(1) for match in _SERVICE_OPTION.finditer(rest))
    kinds = [match.group(1) for match in _TYPE_OPTION.finditer(rest)]
    if len(kinds) > 1:
        raise UsageError("Give one `--type`.", "declare")
    rest = _TYPE_OPTION.sub(" ", _SERVICE_OPTION.sub(" ", rest)).strip()
    if bare := _BARE_OPTION.search(rest):
        raise UsageError(f"`{bare.group(1)}` needs a name after it.", "declare")
    kind = kinds[0].lower() if kinds else None
    if not rest:
        if services or kind:
            raise UsageError("Give the incident a short slug, e.g. `db-outage`.", "declare")
        return Declare(private=private, drill=drill)
    parts = rest.split(maxsplit=2)
    try:
        severity: int | None = parse_severity(parts[0])
    except ValueError as exc:
        if kind is None:  # without a type, nothing else says how severe it is
            raise UsageError(sentence(exc), "declare") from None
        severity, parts = None, rest.split(maxsplit=1)
    if severity is not None and len(parts) < 2:
        raise UsageError("Give the incident a short slug, e.g. `db-outage`.", "declare")
    word, title = (parts[1], parts[2:]) if severity is not None else (parts[0], parts[1:])
    slug = normalize_slug(word)
    if not slug:
        raise UsageError(f"`{word}` has no letters or digits to make a slug from.", "declare")
    return Declare(severity, slug, title[0].strip() if title else "", private, drill,
                   tuple(name.lower() for name in services), kind)


def parse_timeline(rest: str) -> Timeline:
    if not rest:
        return Timeline()
    if not rest.isdigit() or not 1 <= int(rest) <= MAX_TIMELINE:
        raise UsageError(f"`{rest}` is not a number of events from 1 to {MAX_TIMELINE}.",
                         "timeline")
    return Timeline(int(rest))


def parse_list(rest: str) -> ListIncidents:
    if _DRILLS_FLAG.sub("", rest).strip():
        raise UsageError(f"`{rest}` is not an option of list.", "list")
    return ListIncidents(bool(_DRILLS_FLAG.search(rest)))


def parse_status_change(rest: str) -> SetStatus:
    words = required(rest, "status", "the new status").split(maxsplit=1)
    try:
        status = parse_status(words[0])
    except ValueError as exc:
        raise UsageError(sentence(exc), "status") from None
    return SetStatus(status, words[1].strip() if len(words) > 1 else "")


def parse_severity_change(rest: str) -> SetSeverity:
    words = required(rest, "severity", "the new severity and why").split(maxsplit=1)
    try:
        severity = parse_severity(words[0])
    except ValueError as exc:
        raise UsageError(sentence(exc), "severity") from None
    if len(words) < 2:
        raise UsageError("A severity change needs a rationale.", "severity")
    return SetSeverity(severity, words[1].strip())


def parse_action(rest: str) -> Action | ActionDone | ActionDue:
    text = required(rest, "action", "what needs doing")
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
    owner = TRAILING_MENTION.search(text)
    if owner:
        text = text[: owner.start()].strip()
        if not text:
            raise UsageError("Say what needs doing before the owner.", "action")
        return Action(text, owner.group(1), owner.group(2) or "")
    return Action(text, None, "")


def parse_statuspage(rest: str) -> Statuspage:
    words = required(rest, "statuspage", "the public status and what the public should read"
                     ).split(maxsplit=1)
    status = words[0].lower()
    if status not in STATUSPAGE_STATUSES:
        raise UsageError(f"`{words[0]}` is not a Statuspage status.", "statuspage")
    if len(words) < 2 or not words[1].strip():
        raise UsageError("Say what the public should read after the status.", "statuspage")
    return Statuspage(status, words[1].strip())
