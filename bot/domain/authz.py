"""Who may do what: the question every action asks the incident policy before it changes
anything, and the answer. The policy itself is Rego (bot/authz/); here is only what it is
asked and what a refusal means to the rest of the bot."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from bot.domain.errors import IncidentError
from bot.domain.incident import Incident


class Action(StrEnum):
    DECLARE = "declare"
    LOG = "log"
    STATUS = "status"
    RESOLVE = "resolve"
    CLOSE = "close"
    SEVERITY = "severity"
    COMMANDER = "commander"
    ROLE = "role"
    HANDOFF = "handoff"
    INVITE = "invite"
    PAGE = "page"
    UPDATE = "update"
    STATUSPAGE = "statuspage"
    ROOTCAUSE = "rootcause"
    ACTION_ITEM = "action_item"
    RUNBOOK = "runbook"
    STEP = "step"
    ACCESS_REQUEST = "access_request"
    APPROVE = "approve"
    DENY = "deny"
    REVOKE = "revoke"
    EXTEND = "extend"
    CAPTURE = "capture"
    TIMELINE = "timeline"
    LIST = "list"
    EXPORT = "export"
    SERVICE = "service"


# Alerts that open incidents ask as this user.
ALERTMANAGER = "alertmanager"

Arg = str | int | bool | None


@dataclass(frozen=True)
class Asker:
    """The person asking, as the record knows them in this incident. Their Slack user groups
    and whether they are an approver are the judge's to add: they come from Slack and the
    settings, not from the record."""

    id: str
    roles: tuple[str, ...] = ()
    member: bool = False


@dataclass(frozen=True)
class Question:
    action: Action
    user: Asker
    incident: Incident | None = None
    args: Mapping[str, Arg] = field(default_factory=dict)

    def document(self, groups: list[str], *, approver: bool) -> dict[str, Any]:
        """The policy's `input`, as SPEC § Policy gives it."""
        user = {"id": self.user.id, "groups": groups, "roles": list(self.user.roles),
                "approver": approver, "member": self.user.member}
        doc: dict[str, Any] = {"action": str(self.action), "user": user,
                     "args": {k: v for k, v in self.args.items() if v is not None}}
        if self.incident is not None:
            i = self.incident
            doc["incident"] = {"id": i.ref, "severity": i.severity, "status": str(i.status),
                               "private": i.private, "drill": i.drill,
                               "commander": i.commander_id, "declared_by": i.declared_by}
        return doc


@dataclass(frozen=True)
class Decision:
    allow: bool
    reason: str = ""


def default_reason(action: Action) -> str:
    return f"The incident policy does not let you `{action}` here."


class Judge(Protocol):
    """Answers a question by the policy in force; an answer it cannot get is a refusal that
    says why (fail closed), never an exception."""

    # The parts of the input the policy reads ("roles", "member", "groups"): the record is
    # asked only for those.
    reads: frozenset[str]

    async def decide(self, question: Question) -> Decision: ...


class Denied(IncidentError):
    """The policy refused: the person reads the reason, nothing the action would have
    changed is kept, and the refusal itself is (storage keeps it, once per delivery)."""

    def __init__(self, question: Question, reason: str, delivery: str) -> None:
        super().__init__(reason)
        self.question = question
        self.reason = reason
        self.delivery = delivery


@dataclass(frozen=True)
class Denial:
    """A refusal as kept: who, what, on which incident, why, when."""

    at: datetime
    user_id: str
    action: str
    incident_id: int | None
    reason: str
    args: dict[str, Any]

    @classmethod
    def of(cls, denied: Denied, at: datetime) -> "Denial":
        q = denied.question
        return cls(at=at, user_id=q.user.id, action=str(q.action),
                   incident_id=q.incident.id if q.incident else None, reason=denied.reason,
                   args={k: v for k, v in q.args.items() if v is not None})
