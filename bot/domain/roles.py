"""Incident roles. Who holds which is read from the timeline (the last assignment of a role
wins), so the record needs no table of its own for them; the commander is also kept on the
incident, where everything that predates roles reads it."""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain.errors import IncidentError
from bot.domain.timeline import TimelineEvent

COMMANDER = "commander"
COMMS = "comms"
BUILT_IN = (COMMANDER, COMMS, "scribe", "ops")
# The timeline events that give someone a role.
ASSIGNED = ("commander_assigned", "role_assigned")
ROLE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


@dataclass(frozen=True)
class Assignment:
    role: str
    user_id: str
    at: datetime


def check_role_name(name: str) -> str:
    if not ROLE_NAME.match(name):
        raise ValueError(f"`{name}` is not a role name: lowercase letters, digits, - and _, "
                         "starting with a letter, at most 40 characters")
    return name


def all_roles(extra: Iterable[str]) -> tuple[str, ...]:
    """The built-in roles, then the operator's own, each once."""
    return tuple(dict.fromkeys([*BUILT_IN, *extra]))


def check_role(role: str, roles: Sequence[str]) -> None:
    if role not in roles:
        raise IncidentError(f"There is no role `{role}`. Roles: " + ", ".join(roles) + ".\n"
                            "Usage: `/incident role <role> @user`")


def assignments(events: Iterable[TimelineEvent]) -> list[Assignment]:
    """Every assignment, in the order it was made."""
    found = []
    for event in events:
        if event.action == "commander_assigned" and event.data.get("commander"):
            found.append(Assignment(COMMANDER, str(event.data["commander"]), event.at))
        elif event.action == "role_assigned" and event.data.get("role") and event.data.get("user"):
            found.append(Assignment(str(event.data["role"]), str(event.data["user"]), event.at))
    return found


def holders(events: Iterable[TimelineEvent]) -> dict[str, str]:
    """Role → user now; the built-in roles first, in their order, then the others as first given."""
    current: dict[str, str] = {}
    for assignment in assignments(events):
        current[assignment.role] = assignment.user_id
    order = [role for role in BUILT_IN if role in current]
    order += [role for role in current if role not in BUILT_IN]
    return {role: current[role] for role in order}


def holder(events: Iterable[TimelineEvent], role: str) -> str | None:
    return holders(events).get(role)


def label(role: str) -> str:
    return role[:1].upper() + role[1:]
