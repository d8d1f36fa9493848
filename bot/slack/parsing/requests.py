"""What a person asks of the bot, one frozen dataclass per request, whether typed as a command
or submitted in a form. `Request` is every one of them; the listeners look up what answers
each by its type."""

from dataclasses import dataclass
from datetime import date, timedelta

from bot.domain import authz
from bot.domain.lifecycle import Status


@dataclass(frozen=True)
class Declare:
    severity: int | None = None  # None: the type's, or the form when there is no slug either
    slug: str = ""
    title: str = ""
    private: bool = False
    drill: bool = False
    services: tuple[str, ...] = ()  # names or aliases, as typed
    kind: str | None = None  # an incident type's name, as typed

    @property
    def opens_form(self) -> bool:
        return not self.slug


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
    text: str  # empty: open the update form


@dataclass(frozen=True)
class Action:
    text: str
    owner_id: str | None
    owner_name: str


@dataclass(frozen=True)
class ActionDone:
    number: int


@dataclass(frozen=True)
class ActionDue:
    number: int
    due_on: date


@dataclass(frozen=True)
class Resolve:
    root_cause: str


@dataclass(frozen=True)
class RootCause:
    text: str


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
class Timeline:
    count: int = 15


@dataclass(frozen=True)
class AddService:
    """Tie the incident to one more of the catalog's services."""

    name: str


@dataclass(frozen=True)
class OnCallNow:
    """Who is on call now: for a service, or for the services of the incident here."""

    service: str = ""


@dataclass(frozen=True)
class Can:
    """Would the policy let me do this here?"""

    action: authz.Action
    args: tuple[tuple[str, authz.Arg], ...] = ()


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


@dataclass(frozen=True)
class DeclareForm:
    severity: int
    slug: str
    title: str
    runbook: str  # the one picked, or empty: those matching the slug attach anyway
    private: bool
    drill: bool
    service: str = ""  # the catalog's service picked, or empty
    kind: str = ""  # the incident type picked, or empty


@dataclass(frozen=True)
class UpdateForm:
    impact: str
    doing: str
    next_in: timedelta
    next_text: str  # as typed, for the record of what was submitted


@dataclass(frozen=True)
class StepFailedForm:
    attached_id: int
    number: int
    reason: str


@dataclass(frozen=True)
class AbortForm:
    attached_id: int
    reason: str


IncidentCommand = (
    Declare | Log | SetStatus | SetSeverity | Commander | Role | Handoff | Invite | Update
    | Action | ActionDone | ActionDue | Resolve | RootCause | Statuspage | Page | AttachRunbook
    | Help | Timeline | ListIncidents | Can | RequestAccess | DenyAccess | RevokeAccess | ListAccess
    | AddService | OnCallNow
)
"""What `/incident …` can ask."""

CommandRequest = IncidentCommand | Approve
"""What a slash command can ask: `/incident …` or `/approve …`."""

FormRequest = DeclareForm | UpdateForm | StepFailedForm | AbortForm
"""What a submitted form asks."""

Request = CommandRequest | FormRequest
