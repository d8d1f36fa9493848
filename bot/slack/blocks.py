"""Domain state → Slack text and Block Kit. Pure; user text is always escaped here."""

from datetime import datetime

from bot.domain.incident import IncidentRecord

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


def summary(record: IncidentRecord) -> tuple[str, list[dict]]:
    """The pinned summary, rendered whole from state after every change."""
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


def message(kind: str, facts: dict, names: dict[str, str]) -> str:
    """One line in the incident channel for something recorded."""
    who = escape(names.get(facts.get("user", ""), facts.get("user", "someone")))
    text = escape(str(facts.get("text", "")))
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
        + (f" Root cause: {escape(facts['root_cause'])}" if facts.get("root_cause") else ""),
    }
    return cut(lines[kind](), SECTION_TEXT_LIMIT)


def announcement(kind: str, facts: dict, record: IncidentRecord) -> str:
    incident = record.incident
    where = f"<#{incident.channel_id}>" if incident.channel_id else f"#{incident.channel_name}"
    if kind == "declared":
        return (f":rotating_light: *{incident.ref}* ({incident.severity_label}) "
                f"{escape(incident.title)} declared by {mention(facts['user'])}. Join {where}.")
    return cut(f":mega: *{incident.ref}* ({incident.severity_label}) update: "
               f"{escape(str(facts.get('text', '')))} ({where})", SECTION_TEXT_LIMIT)


DECLARE_CALLBACK = "declare_incident"


def declare_modal(origin_channel: str) -> dict:
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
        ],
    }
