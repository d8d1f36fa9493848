"""What people type and submit → typed requests, or an error that says how to put it. Pure:
no Slack import.

requests.py holds the request types; commands.py reads `/incident …` by its first word, with
incident.py, people.py and access.py for the commands' own words; forms.py reads forms."""

from bot.slack.parsing.access import parse_approve
from bot.slack.parsing.commands import parse
from bot.slack.parsing.forms import (
    FormErrors,
    abort_form,
    declare_form,
    step_failed_form,
    update_form,
)
from bot.slack.parsing.requests import (
    AbortForm,
    Action,
    ActionDone,
    ActionDue,
    AddService,
    Approve,
    AttachRunbook,
    Can,
    Commander,
    CommandRequest,
    Declare,
    DeclareForm,
    DenyAccess,
    FormRequest,
    Handoff,
    Help,
    IncidentCommand,
    Invite,
    ListAccess,
    ListIncidents,
    Log,
    OnCallNow,
    Page,
    Request,
    RequestAccess,
    Resolve,
    RevokeAccess,
    Role,
    RootCause,
    SetSeverity,
    SetStatus,
    Statuspage,
    StepFailedForm,
    Timeline,
    Update,
    UpdateForm,
)
from bot.slack.parsing.usage import USAGE, UsageError, help_text

__all__ = [
    "AddService", "OnCallNow",
    "USAGE", "AbortForm", "Action", "ActionDone", "ActionDue", "Approve", "AttachRunbook", "Can",
    "CommandRequest", "Commander", "Declare", "DeclareForm", "DenyAccess", "FormErrors",
    "FormRequest", "Handoff", "Help", "IncidentCommand", "Invite", "ListAccess", "ListIncidents",
    "Log", "Page", "Request", "RequestAccess", "Resolve", "RevokeAccess", "Role", "RootCause",
    "SetSeverity", "SetStatus", "Statuspage", "StepFailedForm", "Timeline", "Update",
    "UpdateForm", "UsageError", "abort_form", "declare_form", "help_text", "parse",
    "parse_approve", "step_failed_form", "update_form",
]
