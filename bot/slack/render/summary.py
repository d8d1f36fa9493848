"""The pinned summary, rendered whole from state after every change."""

from bot.domain.incident import IncidentRecord
from bot.domain.roles import COMMANDER, holders, label
from bot.domain.runbook_progress import Completion, completions
from bot.domain.services import oncall_of
from bot.runbooks.copies import RunbookView
from bot.slack.render.follow_up import ticket_link
from bot.slack.render.text import (
    FIELD_LIMIT,
    HEADER_LIMIT,
    SECTION_TEXT_LIMIT,
    cut,
    escape,
    hhmm,
    mention,
    sections,
)

STATUS_EMOJI = {
    "new": ":red_circle:",
    "acknowledged": ":large_orange_circle:",
    "mitigating": ":large_yellow_circle:",
    "monitoring": ":large_blue_circle:",
    "resolved": ":large_green_circle:",
    "closed": ":white_circle:",
}


def summary(record: IncidentRecord, runbooks: list[RunbookView] | None = None,
            call: str | None = None) -> tuple[str, list[dict]]:
    """The pinned summary, rendered whole from state after every change. Step progress is
    shown in each runbook's own message, which a click updates anyway: a click costs one
    Web API call, not a second one on this message."""
    incident = record.incident
    head = f"{incident.ref} · {incident.severity_label} · {incident.title}"
    declared = f"{hhmm(incident.declared_at)} by {escape(record.name(incident.declared_by))}"
    last = "_none yet_"
    if incident.last_update_at:
        last = f"{hhmm(incident.last_update_at)}: {escape(incident.last_update_text)}"
    fields = [
        ("Status", f"{STATUS_EMOJI[incident.status]} {incident.status}"),
        ("Severity", incident.severity_label),
        ("Roles", roles_line(record)),
        ("Declared", declared),
        ("Last update", last),
    ]
    if incident.services:
        fields.append(("Services", services_line(record)))
    if call:
        fields.append(("Call", f"<{escape(call)}|Join the call>"))
    if runbooks:
        ended = completions(record.events)
        fields.append(("Runbooks", "\n".join(
            f"{view.runbook.id} {escape(view.runbook.title)} "
            f"{run_state(len(view.steps), ended.get(view.runbook.id))}" for view in runbooks)))
    if record.action_items:
        fields.append(("Action items", action_items(record)))
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": cut(head, HEADER_LIMIT)}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": cut(f"*{name}*\n{value}", FIELD_LIMIT)}
                for name, value in fields
            ],
        },
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": cut(
                f"{len(record.events)} timeline entries · {len(record.participants)} "
                f"participants · `/incident help` for commands", FIELD_LIMIT)}],
        },
    ]
    if incident.root_cause:
        blocks[2:2] = sections(f"*Root cause*\n{escape(incident.root_cause)}")
    return cut(head, SECTION_TEXT_LIMIT), blocks


def run_state(steps: int, completion: Completion | None) -> str:
    """Said only where it changes: the summary is refreshed when a run completes or reopens,
    never for the clicks between."""
    if completion is not None and completion.completed:
        return f":white_check_mark: completed at {hhmm(completion.at)} (all {steps} steps done or skipped)"
    return f"({steps} steps, below)"


# Open items first, the newest last: beyond these the export and App Home have them all.
ACTION_ITEMS_SHOWN = 6


def action_items(record: IncidentRecord) -> str:
    """Each item ticked or not, its owner and its ticket, open ones first."""
    items = sorted(record.action_items, key=lambda a: (a.done, a.number))
    lines = []
    for item in items[:ACTION_ITEMS_SHOWN]:
        owner = f" {mention(item.owner_id)}" if item.owner_id else ""
        ticket = f" · {ticket_link(item.ticket_key, item.ticket_url)}" if item.ticket_key else ""
        box = ":ballot_box_with_check:" if item.done else ":white_square:"
        lines.append(f"{box} #{item.number} {escape(cut(item.text, 80))}{owner}{ticket}")
    if len(items) > ACTION_ITEMS_SHOWN:
        lines.append(f"_and {len(items) - ACTION_ITEMS_SHOWN} more_")
    return "\n".join(lines)


def roles_line(record: IncidentRecord) -> str:
    """Who holds each role; the commander always, from the incident itself."""
    roles = {COMMANDER: record.incident.commander_id,
             **{r: u for r, u in holders(record.events).items() if r != COMMANDER}}
    return " · ".join(f"{label(role)}: {mention(user)}" for role, user in roles.items())


def services_line(record: IncidentRecord) -> str:
    """Each service, with who is on call for it once PagerDuty has said."""
    oncall = oncall_of(record.events)
    return "\n".join(
        name + (f" · on call: {', '.join(mention(u) for u in oncall[name])}"
                if oncall.get(name) else "") for name in record.incident.services)
