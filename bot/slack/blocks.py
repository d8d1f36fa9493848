"""Domain state → Slack text and Block Kit. Pure; user text is always escaped here."""

import json
from datetime import UTC, datetime

from bot.domain.durations import format_duration
from bot.domain.incident import IncidentRecord
from bot.domain.runbook_progress import StepState
from bot.runbooks.copies import StepView

SECTION_TEXT_LIMIT = 3000
FIELD_LIMIT = 2000
HEADER_LIMIT = 150

STATUS_EMOJI = {
    "new": ":red_circle:",
    "acknowledged": ":large_orange_circle:",
    "mitigating": ":large_yellow_circle:",
    "monitoring": ":large_blue_circle:",
    "resolved": ":large_green_circle:",
    "closed": ":white_circle:",
}


def escape(text: str) -> str:
    """Show text literally: `<!channel>` or `<@U1>` typed by a user never pings anyone."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def hhmm(value: datetime | str) -> str:
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return f"{at:%H:%M} UTC"


def mention(user_id: str | None) -> str:
    return f"<@{user_id}>" if user_id else "_not assigned_"


def summary(record: IncidentRecord, runbooks: list | None = None) -> tuple[str, list[dict]]:
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
        ("Commander", mention(incident.commander_id)),
        ("Declared", declared),
        ("Last update", last),
    ]
    if runbooks:
        fields.append(("Runbooks", "\n".join(
            f"{view.runbook.id} {escape(view.runbook.title)} ({len(view.steps)} steps, below)"
            for view in runbooks)))
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
        blocks.insert(2, section(f"*Root cause*\n{escape(incident.root_cause)}"))
    return cut(head, SECTION_TEXT_LIMIT), blocks


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, SECTION_TEXT_LIMIT)}}


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict:
    element = {"type": "button", "text": {"type": "plain_text", "text": text},
               "action_id": action_id, "value": value}
    if style:
        element["style"] = style
    return element


def message(kind: str, facts: dict, names: dict[str, str]) -> tuple[str, list[dict] | None]:
    """A message in the incident channel for something recorded: text, and buttons if any."""
    who = escape(names.get(facts.get("user", ""), facts.get("user", "someone")))
    text = escape(str(facts.get("text", "")))
    what = escape(str(facts.get("what", "")))
    ref = f"AR-{facts.get('request')}"
    why = f" Reason: {escape(facts['rationale'])}" if facts.get("rationale") else ""
    lines = {
        "log": lambda: f":memo: `{hhmm(facts['at'])}` *{who}*: {text}",
        "status_changed": lambda: f"{STATUS_EMOJI[facts['new']]} *{who}* moved the incident "
        f"from {facts['old']} to *{facts['new']}*.{why}",
        "severity_changed": lambda: f":rotating_light: *{who}* changed severity "
        f"{facts['old']} → *{facts['new']}*.{why}",
        "commander_assigned": lambda: f":bust_in_silhouette: {mention(facts['commander'])} "
        f"is now the incident commander (set by {who}).",
        "status_update": lambda: f":mega: *Status update* from {who}: {text}",
        "action_item": lambda: f":white_check_mark: Action item #{facts['number']} by {who}: "
        f"{text}" + (f" (owner {mention(facts['owner'])})" if facts.get("owner") else ""),
        "resolved": lambda: f":large_green_circle: *{who}* resolved the incident."
        + (f" Root cause: {escape(facts['root_cause'])}" if facts.get("root_cause") else "")
        + (" Access still to revoke: " + ", ".join(f"AR-{n}" for n in facts["unrevoked"])
           + " (`/incident access revoke AR-<n>`)." if facts.get("unrevoked") else ""),
        "access_approved": lambda: f":unlock: {ref} *{what}* approved by {who} for "
        f"{mention(facts['requester'])}, until {hhmm(facts['expires'])}.",
        "access_denied": lambda: f":no_entry: {ref} *{what}* denied by {who}."
        + (f" {escape(facts['note'])}" if facts.get("note") else ""),
        "access_extended": lambda: f":hourglass_flowing_sand: {ref} *{what}* extended by {who} "
        f"until {hhmm(facts['expires'])}.",
        "access_revoked": lambda: f":lock: {ref} *{what}* revoked (confirmed by {who}).",
        "access_warning": lambda: f":warning: {ref} *{what}* expires at {hhmm(facts['expires'])}. "
        f"{mention(facts['requester'])} {mention(facts['approver'])}: extend it, or revoke it "
        "when done.",
        "access_expired": lambda: f":alarm_clock: {ref} *{what}* has *expired*. "
        f"{mention(facts['requester'])}: make sure it is taken away, then mark it revoked.",
        "status_nudge": lambda: f":alarm_clock: {mention(facts['commander'])}, time for a status "
        "update: `/incident update <what stakeholders should know>`"
        + (f" (last one at {hhmm(facts['last_update'])})." if facts.get("last_update") else "."),
    }
    line = cut(lines[kind](), SECTION_TEXT_LIMIT)
    value = str(facts.get("request", ""))
    buttons = {
        "access_warning": [button("Extend", "access_extend", value),
                           button("Revoke", "access_revoke", value, "danger")],
        "access_expired": [button("Mark revoked", "access_revoke", value, "primary")],
    }.get(kind)
    if buttons is None:
        return line, None
    return line, [section(line), {"type": "actions", "block_id": f"{kind}:{value}",
                                  "elements": buttons}]


ACCESS_BADGE = {"pending": ":hourglass: pending", "approved": ":unlock: approved",
                "denied": ":no_entry: denied", "expired": ":alarm_clock: expired — not yet revoked",
                "revoked": ":lock: revoked"}


def access_request(request, names: dict[str, str], approvers: list[str]) -> tuple[str, list[dict]]:
    """The request message, re-rendered from state: buttons only while it is pending."""
    requester = mention(request.requester_id)
    head = (f":closed_lock_with_key: *{request.ref}* {requester} requests *{escape(request.what)}* "
            f"for {format_duration(request.duration)}")
    if request.step:
        head += f" (runbook step {escape(request.step)})"
    if request.reason:
        head += f"\nBecause: {escape(request.reason)}"
    state = ACCESS_BADGE[request.state]
    if request.approver_id:
        verb = "denied" if request.state == "denied" else "approved"
        state += f" · {verb} by {escape(names.get(request.approver_id, request.approver_id))}"
    if request.expires_at and request.state != "denied":
        state += f" · expires {hhmm(request.expires_at)}"
    blocks = [section(head), {"type": "context", "elements": [{"type": "mrkdwn", "text": state}]}]
    if request.state == "pending":
        who = " ".join(mention(a) for a in approvers) or "_no approvers configured (APPROVERS)_"
        blocks.insert(1, section(f"Approvers: {who}"))
        value = str(request.id)
        blocks.append({"type": "actions", "block_id": f"access:{request.id}", "elements": [
            button("Approve", "access_approve", value, "primary"),
            button("Deny", "access_deny", value, "danger")]})
    return cut(f"{request.ref} {request.what}: {request.state}", SECTION_TEXT_LIMIT), blocks


def announcement(kind: str, facts: dict, record: IncidentRecord) -> str:
    incident = record.incident
    where = f"<#{incident.channel_id}>" if incident.channel_id else f"#{incident.channel_name}"
    if kind == "declared":
        return (f":rotating_light: *{incident.ref}* ({incident.severity_label}) "
                f"{escape(incident.title)} declared by {mention(facts['user'])}. Join {where}.")
    return cut(f":mega: *{incident.ref}* ({incident.severity_label}) update: "
               f"{escape(str(facts.get('text', '')))} ({where})", SECTION_TEXT_LIMIT)


DECLARE_CALLBACK = "declare_incident"


def declare_modal(origin_channel: str, runbooks: list | None = None) -> dict:
    def text_input(block_id: str, label: str, placeholder: str, optional: bool) -> dict:
        return {
            "type": "input", "block_id": block_id, "optional": optional,
            "label": {"type": "plain_text", "text": label},
            "element": {"type": "plain_text_input", "action_id": "value",
                        "placeholder": {"type": "plain_text", "text": placeholder}},
        }

    severities = [
        {"text": {"type": "plain_text", "text": f"SEV{n}"}, "value": f"sev{n}"} for n in range(1, 5)
    ]
    return {
        "type": "modal",
        "callback_id": DECLARE_CALLBACK,
        "private_metadata": origin_channel,
        "title": {"type": "plain_text", "text": "Declare an incident"},
        "submit": {"type": "plain_text", "text": "Declare"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input", "block_id": "severity",
                "label": {"type": "plain_text", "text": "Severity"},
                "element": {"type": "static_select", "action_id": "value",
                            "options": severities, "initial_option": severities[1]},
            },
            text_input("slug", "Slug", "db-outage", optional=False),
            text_input("title", "Title", "Primary database refuses connections", optional=True),
        ] + ([{
            "type": "input", "block_id": "runbook", "optional": True,
            "label": {"type": "plain_text", "text": "Runbook (those matching the slug attach anyway)"},
            "element": {"type": "static_select", "action_id": "value", "options": [
                {"text": {"type": "plain_text", "text": cut(f"{r.id} {r.title}", 75)}, "value": r.id}
                for r in runbooks[:100]]},
        }] if runbooks else []),
    }


STEP_BADGE = {"pending": ":white_circle: pending", "started": ":arrow_forward: started",
              "done": ":white_check_mark: done", "failed": ":x: failed",
              "skipped": ":fast_forward: skipped"}
STEP_TEXT_LIMIT = 1800


STEPS_PER_MESSAGE = 12  # 4 blocks a step and 2 above them: Slack's 50 blocks per message
# Characters of blocks in one runbook message; Slack refuses a message past about 13,200.
RUNBOOK_MESSAGE_BUDGET = 12_000
_WORST_STATE = StepState("skipped", "U" * 11, datetime(2000, 1, 1, tzinfo=UTC))
_WORST_NAMES = {_WORST_STATE.by: "w" * 80}


_PARTS: dict[tuple[int, str], list[list[int]]] = {}


def runbook_parts(view) -> list[list[int]]:  # noqa: ANN001
    """The step numbers each message of a runbook shows: as many as fit one message whatever
    state the steps reach. The copy alone decides, so a step always stays in its message,
    and each copy is measured once."""
    key = (view.attached.id, view.attached.sha256)
    if key not in _PARTS:
        _PARTS[key] = _measure_parts(view)
    return _PARTS[key]


def _measure_parts(view) -> list[list[int]]:  # noqa: ANN001
    header = 400  # the header and the progress line
    parts: list[list[int]] = [[]]
    size = header
    for item in view.steps:
        worst = _step_blocks(view.attached.id, StepView(item.step, _WORST_STATE),
                             view.runbook.path, _WORST_NAMES)
        cost = len(json.dumps(worst))
        if parts[-1] and (len(parts[-1]) == STEPS_PER_MESSAGE
                          or size + cost > RUNBOOK_MESSAGE_BUDGET):
            parts.append([])
            size = header
        parts[-1].append(item.step.number)
        size += cost
    return parts


def part_of_step(view, number: int) -> int:  # noqa: ANN001
    return next(n for n, numbers in enumerate(runbook_parts(view)) if number in numbers)


def runbook_message(view, part: int, names: dict[str, str]) -> tuple[str, list[dict]]:  # noqa: ANN001
    """One message of a runbook's steps: a section, buttons and a status line per step."""
    runbook, attached = view.runbook, view.attached
    parts = runbook_parts(view)
    shown = [item for item in view.steps if item.step.number in parts[part]]
    done = sum(1 for item in shown if item.state.status in ("done", "skipped"))
    title = f"{runbook.id} · {runbook.title}" + (f" ({part + 1}/{len(parts)})" if len(parts) > 1 else "")
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": cut(title, HEADER_LIMIT)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"{done}/{len(shown)} steps done"}]},
    ]
    for item in shown:
        blocks += _step_blocks(attached.id, item, runbook.path, names)
    return cut(title, SECTION_TEXT_LIMIT), blocks


def _step_blocks(attached_id: int, item, path: str, names: dict[str, str]) -> list[dict]:
    step, state = item.step, item.state
    risk = {"high": " :warning: *HIGH RISK*", "medium": " · medium risk"}.get(step.risk, "")
    body = [f"*Step {step.number}: {escape(step.title)}*{risk}"]
    if step.text:
        body.append(escape(step.text))
    body += [f"```{escape(command)}```" for command in step.commands]
    body += [f":ballot_box_with_check: {escape(item)}" for item in step.verification]
    text = "\n".join(body)
    if len(text) > STEP_TEXT_LIMIT:
        text = text[:STEP_TEXT_LIMIT] + f"…\n_Full step in `{escape(path)}`_"
    key = f"step:{attached_id}:{step.number}"
    buttons = [button("Start", f"{key}:started", "started"),
               button("Done", f"{key}:done", "done", "primary"),
               button("Failed", f"{key}:failed", "failed", "danger"),
               button("Skip", f"{key}:skipped", "skipped")]
    if step.check:
        buttons += [button("Run check", f"{key}:check", step.check),
                    button("Capture snapshot", f"{key}:snapshot", step.check)]
    if step.risk == "high":
        buttons.append(button("Request access", f"{key}:access", "access"))
    status = STEP_BADGE[state.status]
    if state.by:
        status += f" by {escape(names.get(state.by, state.by))} at {hhmm(state.at)}"
    return [
        {"type": "section", "block_id": f"{key}:text", "text": {"type": "mrkdwn", "text": text}},
        {"type": "actions", "block_id": f"{key}:buttons", "elements": buttons},
        {"type": "context", "block_id": f"{key}:status",
         "elements": [{"type": "mrkdwn", "text": status}]},
        {"type": "divider"},
    ]


def check_output(facts: dict, names: dict[str, str]) -> str:
    who = escape(names.get(facts["user"], facts["user"]))
    kind = ":camera: *Snapshot*" if facts["snapshot"] else ":satellite: *Live check*"
    outcome = "ok" if facts["ok"] else "failed"
    note = f" ({escape(facts['note'])})" if facts.get("note") else ""
    output = escape(facts["output"]) or "(no output)"
    return cut(f"{kind} `{escape(facts['check'])}` for step {facts['step']}, run by {who}, "
               f"captured {hhmm(facts['at'])}: {outcome}{note}\n```{output}```", SECTION_TEXT_LIMIT)
