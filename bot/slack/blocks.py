"""Domain state → Slack text and Block Kit. Pure; user text is always escaped here."""

import json
import re
from datetime import UTC, date, datetime, timedelta

from bot.domain.durations import format_duration
from bot.domain.incident import Incident, IncidentRecord
from bot.domain.roles import COMMANDER, holders, label
from bot.domain.runbook_progress import ABORT_REASON_LIMIT, FAILURE_REASON_LIMIT, Abort, StepState
from bot.runbooks.copies import StepView
from bot.runbooks.format import Runbook, Step

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
    """For summaries only (headers, fields, notification text): what people typed is shown
    whole by `sections`. Half an escape or mention would show as garbage: it goes too."""
    if len(text) <= limit:
        return text
    return _HALF_TOKEN.sub("", text[: limit - 1]) + "…"


_HALF_TOKEN = re.compile(r"&[#A-Za-z0-9]{0,7}$|<(?:[@#!]|https?:|mailto:)[^<>]*$")


FENCE = "```"
# A piece never ends inside these: an escape (`&amp;`), a mention, channel or link (`<…>`),
# or a code fence marker.
_UNBREAKABLE = re.compile(r"<[^<>]*>|&(?:#\d+|[A-Za-z]+);|```")


def split_text(text: str, limit: int = SECTION_TEXT_LIMIT) -> list[str]:
    """`text` (mrkdwn) in pieces of at most `limit` characters that read as it does.

    A piece ends after a newline, else after a space or other blank, preferably in the latter
    half of its room so that pieces stay few; only with no blank in reach does it end where
    the room ends. It never ends inside an escape, a `<…>` or a fence marker. A break outside
    a code block wins over one inside; one inside closes the block, and the next piece opens
    it again. Joined, the pieces give the text back, but for those fences and for pieces of
    nothing but blanks (Slack refuses a blank section).
    """
    if len(text) <= limit:
        return [text]
    size = len(text)
    unbreakable = bytearray(size + 1)
    for match in _UNBREAKABLE.finditer(text):
        unbreakable[match.start() + 1:match.end()] = b"\1" * (len(match[0]) - 1)
    in_code = bytearray(size + 1)
    fences = [match.start() for match in re.finditer(FENCE, text)]
    # An odd fence out shows as backticks in Slack: only pairs make code blocks.
    for opening, closing in zip(fences[::2], fences[1::2], strict=False):
        in_code[opening + 3:closing + 1] = b"\1" * (closing - opening - 2)
        # A piece that closes a block right after it opens, or opens one only to close it,
        # would show an empty block.
        unbreakable[opening + 3] = unbreakable[closing] = 1
    pieces: list[str] = []
    start, reopen = 0, ""
    while len(reopen) + size - start > limit:
        end = _break(text, start, limit - len(reopen), unbreakable, in_code)
        close = FENCE if in_code[end] else ""
        pieces.append(reopen + text[start:end] + close)
        start, reopen = end, close
    pieces.append(reopen + text[start:])
    return [piece for piece in pieces if piece.strip()] or pieces[:1]


def _break(text: str, start: int, room: int, unbreakable: bytearray, in_code: bytearray) -> int:
    """Where the piece from `start` ends: the best place within `room` characters."""
    best, best_rank = 0, None
    for end in range(start + 1, start + room + 1):
        if unbreakable[end] or (in_code[end] and end - start + len(FENCE) > room):
            continue
        blank = text[end - 1].isspace()
        rank = (blank, blank and end - start >= room // 2, not in_code[end],
                text[end - 1] == "\n", end)
        if best_rank is None or rank > best_rank:
            best, best_rank = end, rank
    if best_rank is None:  # one stretch that must not break fills the room: break it anyway
        best = start + room
        if in_code[best]:
            best -= len(FENCE)
    return best


def sections(text: str) -> list[dict]:
    """As many sections as `text` needs: shown whole, never cut."""
    return [section(piece) for piece in split_text(text)]


def hhmm(value: datetime | str) -> str:
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return f"{at:%H:%M} UTC"


_SLACK_USER = re.compile(r"^[UW][A-Z0-9]+$")


def mention(user_id: str | None) -> str:
    if not user_id:
        return "_not assigned_"
    # A declarer that is no Slack user (an alert source) is named, not mentioned.
    return f"<@{user_id}>" if _SLACK_USER.match(user_id) else escape(user_id)


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
        ("Roles", roles_line(record)),
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
        blocks[2:2] = sections(f"*Root cause*\n{escape(incident.root_cause)}")
    return cut(head, SECTION_TEXT_LIMIT), blocks


def roles_line(record: IncidentRecord) -> str:
    """Who holds each role; the commander always, from the incident itself."""
    roles = {COMMANDER: record.incident.commander_id,
             **{r: u for r, u in holders(record.events).items() if r != COMMANDER}}
    return " · ".join(f"{label(role)}: {mention(user)}" for role, user in roles.items())


def handoff(facts: dict, names: dict[str, str]) -> str:
    """Where things stand, for the commander taking over. Only the two commanders are
    mentioned: everyone else named here is shown by name, so a handoff pings no crowd."""
    def name(user: str | None) -> str:
        return escape(names.get(user, user)) if user else "-"

    previous = f" from {mention(facts['previous'])}" if facts.get("previous") else ""
    lines = [f":handshake: *Handoff*: {mention(facts['commander'])} takes over as incident "
             f"commander{previous} (handed over by {name(facts['user'])}).",
             f"*Status* {facts['status']} · *Severity* {facts['severity']}",
             "*Roles* " + " · ".join(f"{label(role)}: {name(user)}" for role, user in facts["roles"])]

    def listing(title: str, items: list[str]) -> None:
        lines.append(f"*{title}*" + ("".join(f"\n• {item}" for item in items) if items
                                     else " _none_"))

    listing("Open runbook steps", [f"{s['runbook']} step {s['number']}: {escape(s['title'])} "
                                   f"({s['state']})" for s in facts["steps"]])
    listing("Live access", [f"{a['ref']} {escape(a['what'])} for {name(a['requester'])}, until "
                            f"{hhmm(a['expires'])}" for a in facts["access"]])
    listing("Open action items", [f"#{a['number']} {escape(a['text'])}"
                                  + (f" (owner {name(a['owner'])})" if a.get("owner") else "")
                                  for a in facts["actions"]])
    last = facts.get("last_update")
    lines.append("*Last update* " + (f"{hhmm(last['at'])}: {escape(last['text'])}" if last
                                     else "_none yet_"))
    lines.append("*Notes* " + (escape(facts["notes"]) if facts.get("notes") else "_none_"))
    return "\n".join(lines)


def section(text: str) -> dict:
    """One section: for text of ours known to fit; anything people typed goes through `sections`."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


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

    # A DM's `user` is whom it is sent to: who acted is `by`, and the DM names its incident.
    def by() -> str:
        return escape(names.get(facts["by"], facts["by"]))

    def where() -> str:
        return str(facts["incident"]) + (f" (<#{facts['channel']}>)" if facts.get("channel") else "")

    lines = {
        "log": lambda: f":memo: `{hhmm(facts['at'])}` *{who}*: {text}",
        # Named, never mentioned: capturing a message pings nobody.
        "captured": lambda: f":pushpin: *{who}* added <{facts['link']}|a message> by "
        f"{escape(names.get(facts['author'], facts['author']))} to the timeline.",
        "capture_retracted": lambda: f":pushpin: *{who}* took the last pin off "
        f"<{facts['link']}|a message>: the timeline marks its capture retracted.",
        "alert_firing": lambda: f":fire: Alert firing: *{escape(str(facts.get('alertname', '')))}*"
        + (f": {escape(str(facts['summary']))}" if facts.get("summary") else "")
        + (f" ({escape(str(facts['note']))})" if facts.get("note") else ""),
        "alert_resolved": lambda: f":white_check_mark: Alert resolved: "
        f"*{escape(str(facts.get('alertname', '')))}*"
        + (f": {escape(str(facts['summary']))}" if facts.get("summary") else ""),
        "status_changed": lambda: f"{STATUS_EMOJI[facts['new']]} *{who}* moved the incident "
        f"from {facts['old']} to *{facts['new']}*.{why}",
        "severity_changed": lambda: f":rotating_light: *{who}* changed severity "
        f"{facts['old']} → *{facts['new']}*.{why}",
        "commander_assigned": lambda: f":bust_in_silhouette: {mention(facts['commander'])} "
        f"is now the incident commander (set by {who}).",
        "status_update": lambda: f":mega: *Status update* from {who}: {text}",
        "action_item": lambda: f":white_check_mark: Action item #{facts['number']} by {who}: "
        f"{text}" + (f" (owner {mention(facts['owner'])})" if facts.get("owner") else ""),
        "action_done": lambda: f":ballot_box_with_check: *{who}* ticked action item "
        f"#{facts['number']}: {text}",
        "action_due": lambda: f":date: *{who}* set action item #{facts['number']} due "
        f"{facts['due']}: {text}",
        "action_overdue": lambda: f":date: Your action item #{facts['number']} from {where()} "
        f"was due {facts['due']}: {text}\nTick it with `/incident action done "
        f"{facts['number']}` in the incident channel, or give it a new date with "
        f"`/incident action due {facts['number']} <YYYY-MM-DD>`.",
        "action_overdue_unowned": lambda: f":date: {mention(facts['commander'])}, action item "
        f"#{facts['number']} was due {facts['due']} and has no owner: {text}",
        "root_cause": lambda: f":mag: *{who}* {'replaced' if facts.get('replaced') else 'set'} "
        f"the root cause: {text}",
        "resolved": lambda: f":large_green_circle: *{who}* resolved the incident."
        + (f" Root cause: {escape(facts['root_cause'])}" if facts.get("root_cause") else "")
        + (" Access still to revoke: " + ", ".join(f"AR-{n}" for n in facts["unrevoked"])
           + " (`/incident access revoke AR-<n>`)." if facts.get("unrevoked") else "")
        + (f"\nTimeline chain head: `{facts['head']}` (`incident-bot verify` checks an export "
           "against it)" if facts.get("head") else ""),
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
        "your_access_approved": lambda: f":unlock: Your request {ref} *{what}* in {where()} was "
        f"approved by {by()}, until {hhmm(facts['expires'])}.",
        "your_access_denied": lambda: f":no_entry: Your request {ref} *{what}* in {where()} was "
        f"denied by {by()}." + (f" Note: {escape(facts['note'])}" if facts.get("note") else ""),
        "your_access_expiring": lambda: f":warning: Your access {ref} *{what}* in {where()} "
        f"expires at {hhmm(facts['expires'])}. Revoke it when you are done; to keep it longer, "
        f"ask an approver ({mention(facts.get('approver'))}) to extend it.",
        "role_assigned": lambda: f":bust_in_silhouette: {mention(facts['assignee'])} is now "
        + ("the incident commander" if facts["role"] == COMMANDER else f"*{escape(facts['role'])}*")
        + f" (set by {who}).",
        "handoff": lambda: handoff(facts, names),
        "step_failed": lambda: step_failed(facts, who),
        "runbook_aborted": lambda: f":octagonal_sign: *{who}* aborted {facts['runbook']} "
        f"{escape(str(facts['title']))}: {escape(str(facts['reason']))}. Its steps are closed.",
        "paged": lambda: f":pager: *{who}* paged "
        + (f"*{escape(facts['service'])}* on PagerDuty" if facts.get("service")
           else f"{mention(facts.get('paged'))} by DM") + (f": {text}" if text else "."),
        "page": lambda: f":pager: *{by()}* is paging you about {where()} · {facts['severity']} · "
        f"{escape(str(facts['title']))}" + (f": {text}" if text else ".")
        + "\n*Join* brings you into the incident channel.",
        "would_page": lambda: f":performing_arts: Drill: *{who}* would have paged {text}; "
        "nobody was paged.",
        "ack_overdue": lambda: ack_overdue(facts),
        "statuspage_update": lambda: f":globe_with_meridians: *{who}* posted on Statuspage "
        f"(*{facts['status']}*): {text}",
        "statuspage_resolve_offer": lambda: ":globe_with_meridians: The public incident on "
        f"Statuspage is still *{facts['status']}*. Resolve it there too?",
        "statuspage_failed": lambda: f":warning: Statuspage refused the *{facts['status']}* "
        f"update; it was not published: {escape(str(facts['reason']))}",
        "postmortem_due": lambda: f":memo: {mention(facts['commander'])}, the incident was "
        f"resolved {facts['after']} ago and is not closed yet: review the postmortem draft, "
        "then `/incident status closed`.",
        "export_git_failed": lambda: f":warning: The postmortem draft `{escape(facts['file'])}` "
        f"could not be committed to git ({escape(str(facts['reason']))}). The file is written; "
        "the commit is retried.",
        "escalation": lambda: f":rotating_light: {where()} · {facts['severity']} · "
        f"{escape(str(facts['title']))} has not been acknowledged within {facts['deadline']}; "
        "you are on its escalation list.\n*Join* brings you into the incident channel.",
        "status_nudge": lambda: f":alarm_clock: {mention(facts.get('comms') or facts['commander'])}, "
        "time for a status "
        "update: `/incident update <what stakeholders should know>`"
        + (f" (last one at {hhmm(facts['last_update'])})." if facts.get("last_update") else "."),
    }
    line = lines[kind]()
    value = str(facts.get("request", facts.get("join", "")))
    buttons = {
        "page": [button("Join", "incident_join", value, "primary")],
        "escalation": [button("Join", "incident_join", value, "primary")],
        "access_warning": [button("Extend", "access_extend", value),
                           button("Revoke", "access_revoke", value, "danger")],
        "access_expired": [button("Mark revoked", "access_revoke", value, "primary")],
        # The requester may revoke, never extend, their own access.
        "your_access_expiring": [button("Revoke", "access_revoke", value, "danger")],
        "statuspage_resolve_offer": [
            button("Resolve on Statuspage", "statuspage_resolve", str(facts.get("incident")),
                   "primary"),
            button("Keep it open", "statuspage_keep_open", str(facts.get("incident")))],
    }.get(kind)
    if buttons is None:
        return line, None
    return line, [*sections(line), {"type": "actions", "block_id": f"{kind}:{value}",
                                    "elements": buttons}]


def step_failed(facts: dict, who: str) -> str:
    """A failed step, said in the channel with what to do when it does not recover."""
    reason = f": {escape(str(facts['reason']))}" if facts.get("reason") else " (no reason given)"
    escalation = (f"Escalation: {escape(str(facts['escalation']))}" if facts.get("escalation")
                  else f"{facts['runbook']} states no escalation path.")
    return (f":x: *{who}* marked {facts['runbook']} step {facts['number']} "
            f"({escape(str(facts['title']))}) *failed*{reason}\n:rotating_light: {escalation}")


def ack_overdue(facts: dict) -> str:
    reached = (["paged on PagerDuty"] if facts.get("paged") else []) + (
        ["DM to " + " ".join(mention(u) for u in facts["users"])] if facts.get("users") else [])
    if facts.get("would"):
        reached = ["drill: would page " + ", ".join(facts["would"])]
    return (f":alarm_clock: *Not acknowledged* within {facts['deadline']}: escalated"
            + (f" ({', '.join(reached)})" if reached else "")
            + ". Acknowledge with `/incident status acknowledged`.")


ACCESS_BADGE = {"pending": ":hourglass: pending", "approved": ":unlock: approved",
                "denied": ":no_entry: denied", "expired": ":alarm_clock: expired — not yet revoked",
                "revoked": ":lock: revoked"}


def access_request(request, names: dict[str, str], approvers: list[str],
                   incident: Incident | None = None) -> tuple[str, list[dict]]:
    """The request message, re-rendered from state: buttons only while it is pending. With
    `incident`, the copy sent to an approver's DM, which says where the request comes from."""
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
    blocks = [*sections(head), {"type": "context", "elements": [{"type": "mrkdwn", "text": state}]}]
    if incident is not None:
        where = f"<#{incident.channel_id}>" if incident.channel_id else f"#{incident.channel_name}"
        blocks.insert(0, {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(
            f"{incident.ref} · {incident.severity_label} · {escape(incident.title)} · {where}",
            FIELD_LIMIT)}]})
    if request.state == "pending":
        who = " ".join(mention(a) for a in approvers) or "_no approvers configured (APPROVERS)_"
        blocks.insert(-1, section(f"Approvers: {who}"))
        value = str(request.id)
        blocks.append({"type": "actions", "block_id": f"access:{request.id}", "elements": [
            button("Approve", "access_approve", value, "primary"),
            button("Deny", "access_deny", value, "danger")]})
    return cut(f"{request.ref} {escape(request.what)}: {request.state}", SECTION_TEXT_LIMIT), blocks


def announcement(kind: str, facts: dict, record: IncidentRecord) -> str:
    incident = record.incident
    where = f"<#{incident.channel_id}>" if incident.channel_id else f"#{incident.channel_name}"
    if kind == "declared":
        return (f":rotating_light: *{incident.ref}* ({incident.severity_label}) "
                f"{escape(incident.title)} declared by {mention(facts['user'])}. Join {where}.")
    if kind == "still_open":
        return (f":rotating_light: *{incident.ref}* ({incident.severity_label}) "
                f"{escape(incident.title)} is still *{incident.status}* {facts['after']} after it "
                f"was declared. Commander: {mention(incident.commander_id)}. Follow it in {where}.")
    # Who did it is named, not mentioned: a line in a busy channel should ping no one.
    by = escape(record.name(facts.get("user")))
    if kind == "severity_changed":
        return (f":arrow_up_down: *{incident.ref}* {escape(incident.title)}: severity "
                f"{facts['old']} → {facts['new']} ({escape(str(facts.get('rationale', '')))}), "
                f"by {by}. {where}")
    if kind in ("resolved", "closed"):
        return (f":white_check_mark: *{incident.ref}* ({incident.severity_label}) "
                f"{escape(incident.title)} is {kind}, by {by}. {where}")
    return (f":mega: *{incident.ref}* ({incident.severity_label}) update: "
            f"{escape(str(facts.get('text', '')))} ({where})")


DECLARE_CALLBACK = "declare_incident"


PRIVATE_OPTION = {"text": {"type": "plain_text", "text": "Private channel"}, "value": "private",
                  "description": {"type": "plain_text",
                                  "text": "Nothing announced; listed only to its members"}}
DRILL_OPTION = {"text": {"type": "plain_text", "text": "Drill"}, "value": "drill",
                "description": {"type": "plain_text",
                                "text": "Practice: nothing announced or paged, left out of stats"}}


def _text_input(block_id: str, label: str, placeholder: str, *, optional: bool = False,
                max_length: int | None = None) -> dict:
    element: dict[str, object] = {"type": "plain_text_input", "action_id": "value",
               "placeholder": {"type": "plain_text", "text": placeholder}}
    if max_length:
        element["max_length"] = max_length
    return {"type": "input", "block_id": block_id, "optional": optional,
            "label": {"type": "plain_text", "text": label}, "element": element}


def _modal(*, callback_id: str, channel: str, title: str, submit: str, blocks: list[dict]) -> dict:
    """A form; the channel travels in private_metadata, since a submission comes without
    the channel the form was opened in."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": channel,
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": submit},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def declare_modal(origin_channel: str, runbooks: list | None = None, *,
                  private: bool = False, drill: bool = False) -> dict:
    chosen = [option for option, on in ((PRIVATE_OPTION, private), (DRILL_OPTION, drill)) if on]
    severities = [
        {"text": {"type": "plain_text", "text": f"SEV{n}"}, "value": f"sev{n}"} for n in range(1, 5)
    ]
    return _modal(
        callback_id=DECLARE_CALLBACK, channel=origin_channel, title="Declare an incident",
        submit="Declare", blocks=[
            {
                "type": "input", "block_id": "severity",
                "label": {"type": "plain_text", "text": "Severity"},
                "element": {"type": "static_select", "action_id": "value",
                            "options": severities, "initial_option": severities[1]},
            },
            _text_input("slug", "Slug", "db-outage"),
            _text_input("title", "Title", "Primary database refuses connections", optional=True),
        ] + ([{
            "type": "input", "block_id": "runbook", "optional": True,
            "label": {"type": "plain_text", "text": "Runbook (those matching the slug attach anyway)"},
            "element": {"type": "static_select", "action_id": "value", "options": [
                {"text": {"type": "plain_text", "text": cut(f"{r.id} {r.title}", 75)}, "value": r.id}
                for r in runbooks[:100]]},
        }] if runbooks else []) + [{
            "type": "input", "block_id": "private", "optional": True,
            "label": {"type": "plain_text", "text": "Options"},
            "element": {"type": "checkboxes", "action_id": "value",
                        "options": [PRIVATE_OPTION, DRILL_OPTION],
                        **({"initial_options": chosen} if chosen else {})},
        }],
    )


UPDATE_CALLBACK = "status_update_form"


def update_modal(incident_channel: str, last_update: str = "") -> dict:
    """The update form: the incident is the one of the channel it travels with."""
    blocks = [
        _text_input("impact", "Impact", "Checkout fails for about 10% of EU customers",
                    max_length=1000),
        _text_input("doing", "What we are doing", "Rolling back the 14:05 deploy", max_length=1000),
        _text_input("next", "Next update in", "30m", max_length=1000),
    ]
    if last_update:
        blocks.insert(0, {"type": "context", "elements": [
            {"type": "mrkdwn", "text": cut(f"Last update: {escape(last_update)}", 2000)}]})
    return _modal(callback_id=UPDATE_CALLBACK, channel=incident_channel, title="Status update",
                  submit="Post update", blocks=blocks)


STEP_BADGE = {"pending": ":white_circle: pending", "started": ":arrow_forward: started",
              "done": ":white_check_mark: done", "failed": ":x: failed",
              "skipped": ":fast_forward: skipped"}
STEP_TEXT_LIMIT = 1800


RUNBOOK_MESSAGE_BLOCKS = 50
# Characters of blocks in one runbook message; Slack refuses a message past about 13,200.
RUNBOOK_MESSAGE_BUDGET = 12_000
# Scope, prerequisites and escalation are shown up to this, like a step's text: the file
# has the rest.
CONTEXT_TEXT_LIMIT = 1800
_WORST_BY = "U" * 11
_WORST_AT = datetime(2000, 1, 1, tzinfo=UTC)
_WORST_STATE = StepState("skipped", _WORST_BY, _WORST_AT)
_WORST_NAMES = {_WORST_BY: "w" * 80}
_WORST_ABORT = Abort(_WORST_BY, _WORST_AT, "&" * ABORT_REASON_LIMIT)


_PARTS: dict[tuple[int, str], list[list[int]]] = {}


def runbook_parts(view) -> list[list[int]]:  # noqa: ANN001
    """The step numbers each message of a runbook shows: as many as fit one message whatever
    state the steps and the runbook reach (running or aborted, fresh or stale). The copy
    alone decides, so a step always stays in its message, and each copy is measured once."""
    key = (view.attached.id, view.attached.sha256)
    if key not in _PARTS:
        _PARTS[key] = _measure_parts(view)
    return _PARTS[key]


def _cost(blocks: list[dict]) -> tuple[int, int]:
    """Blocks, and characters they take in the message's JSON."""
    return len(blocks), sum(len(json.dumps(block)) + 2 for block in blocks)


def _frame(view, part: int) -> list[tuple[int, int]]:  # noqa: ANN001
    """What a message takes besides its steps, at worst: running, and aborted."""
    def head(aborted: Abort | None) -> list[dict]:
        return _runbook_head(view, part, title=_runbook_title(view.runbook, 98, 99),
                             progress="99/99 steps done", names=_WORST_NAMES,
                             tested=_tested(_WORST_AT.date(), timedelta.max), aborted=aborted)

    return [_cost(head(None) + [_abort_row(view.attached.id)]), _cost(head(_WORST_ABORT))]


def _plus(costs: list[tuple[int, int]], more: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return [(blocks + b, size + s) for (blocks, size), (b, s) in zip(costs, more, strict=True)]


def _measure_parts(view) -> list[list[int]]:  # noqa: ANN001
    parts: list[list[int]] = [[]]
    taken = _frame(view, 0)
    for item in view.steps:
        worst = StepView(item.step, _WORST_STATE)
        # Running, a step shows its buttons; aborted, it does not.
        costs = [_cost(_step_blocks(view.attached.id, worst, view.runbook.path, _WORST_NAMES,
                                    live=live)) for live in (True, False)]
        if parts[-1] and any(blocks > RUNBOOK_MESSAGE_BLOCKS or size > RUNBOOK_MESSAGE_BUDGET
                             for blocks, size in _plus(taken, costs)):
            parts.append([])
            taken = _frame(view, len(parts) - 1)
        parts[-1].append(item.step.number)
        taken = _plus(taken, costs)
    return parts


def part_of_step(view, number: int) -> int:  # noqa: ANN001
    return next(n for n, numbers in enumerate(runbook_parts(view)) if number in numbers)


def runbook_message(view, part: int, names: dict[str, str], *, today: date,  # noqa: ANN001
                    stale_after: timedelta, aborted: Abort | None = None
                    ) -> tuple[str, list[dict]]:
    """One message of a runbook's steps: a section, buttons and a status line per step. The
    first message also says what the runbook is for, what it needs, whose it is, when it was
    last tested (flagged when that is longer ago than `stale_after` on `today`) and how to
    escalate. Aborted, a runbook shows who stopped it and why, and no buttons."""
    runbook, attached = view.runbook, view.attached
    parts = runbook_parts(view)
    shown = [item for item in view.steps if item.step.number in parts[part]]
    done = sum(1 for item in shown if item.state.status in ("done", "skipped"))
    title = _runbook_title(runbook, part, len(parts))
    tested = _tested(runbook.last_tested,
                     stale_after if runbook.stale(today, stale_after) else None)
    blocks = _runbook_head(view, part, title=title, progress=f"{done}/{len(shown)} steps done",
                           names=names, tested=tested, aborted=aborted)
    for item in shown:
        blocks += _step_blocks(attached.id, item, runbook.path, names, live=aborted is None)
    if aborted is None:
        blocks.append(_abort_row(attached.id))
    return cut(title, SECTION_TEXT_LIMIT), blocks


def _runbook_title(runbook: Runbook, part: int, parts: int) -> str:
    return f"{runbook.id} · {runbook.title}" + (f" ({part + 1}/{parts})" if parts > 1 else "")


def _tested(last: date | None, stale_after: timedelta | None) -> str:
    """When the runbook was last tested; `stale_after` is given when that is too long ago."""
    if last is None:
        return ":warning: never tested"
    if stale_after is None:
        return f"Last tested {last.isoformat()}"
    days = stale_after.days
    age = f"{days} day{'s' if days != 1 else ''}" if stale_after == timedelta(days=days) \
        else format_duration(stale_after)
    return f":warning: last tested {last.isoformat()}, over {age} ago"


def _runbook_head(view, part: int, *, title: str, progress: str,  # noqa: ANN001
                  names: dict[str, str], tested: str, aborted: Abort | None) -> list[dict]:
    runbook = view.runbook
    facts = [progress]
    if part == 0:
        facts += [f"Owner: {escape(runbook.owner)}" if runbook.owner else ":warning: no owner",
                  tested]
        if not runbook.escalation:
            facts.append(":warning: no escalation path")
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": cut(title, HEADER_LIMIT)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(fact, FIELD_LIMIT)}
                                         for fact in facts]},
    ]
    if aborted is not None:
        who = escape(names.get(aborted.by, aborted.by))
        blocks += sections(f":octagonal_sign: *Aborted* by {who} at {hhmm(aborted.at)}: "
                           f"{escape(aborted.reason)}")
    if part == 0:
        for heading, text in (("Scope", runbook.scope), ("Prerequisites", runbook.prerequisites),
                              ("Escalation", runbook.escalation)):
            if text:
                blocks.append(section(_runbook_text(heading, text, runbook.path)))
    return blocks


def _runbook_text(heading: str, text: str, path: str) -> str:
    shown = split_text(escape(text), CONTEXT_TEXT_LIMIT)
    more = f"…\n_Full {heading.lower()} in `{escape(path)}`_" if len(shown) > 1 else ""
    return f"*{heading}*\n{shown[0]}{more}"


def _abort_row(attached_id: int) -> dict:
    return {"type": "actions", "block_id": f"runbook:{attached_id}:controls", "elements": [
        button("Abort runbook", f"runbook:{attached_id}:abort", str(attached_id), "danger")]}


def _step_blocks(attached_id: int, item, path: str, names: dict[str, str], *,  # noqa: ANN001
                 live: bool) -> list[dict]:
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
        *([{"type": "actions", "block_id": f"{key}:buttons", "elements": buttons}] if live else []),
        {"type": "context", "block_id": f"{key}:status",
         "elements": [{"type": "mrkdwn", "text": status}]},
        {"type": "divider"},
    ]


# The forms asking why name what they are about in their callback_id.
STEP_FAILED_CALLBACK = re.compile(r"^step_failed:(\d+):(\d+)$")
ABORT_CALLBACK = re.compile(r"^runbook_abort:(\d+)$")


def _reason_form(*, callback_id: str, channel: str, title: str, submit: str, about: str,
                 label: str, placeholder: str, limit: int) -> dict:
    """A form that asks why, about the runbook of the channel it travels with."""
    reason = _text_input("reason", label, placeholder, max_length=limit)
    reason["element"]["multiline"] = True
    return _modal(callback_id=callback_id, channel=channel, title=title, submit=submit, blocks=[
        {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(about, FIELD_LIMIT)}]},
        reason])


def step_failed_modal(channel: str, attached_id: int, runbook: Runbook, step: Step) -> dict:
    return _reason_form(
        callback_id=f"step_failed:{attached_id}:{step.number}", channel=channel,
        title="Step failed", submit="Mark failed",
        about=f"*{runbook.id}* step {step.number}: {escape(step.title)}. The channel hears "
              "of the failure with the reason and the runbook's escalation path.",
        label="What went wrong?", placeholder="pg_terminate_backend refused: permission denied",
        limit=FAILURE_REASON_LIMIT)


def abort_modal(channel: str, attached_id: int, runbook: Runbook) -> dict:
    return _reason_form(
        callback_id=f"runbook_abort:{attached_id}", channel=channel, title="Abort runbook",
        submit="Abort runbook",
        about=f"*{runbook.id}* {escape(runbook.title)}: its steps can no longer be marked "
              "once it is aborted.",
        label="Why abort it?", placeholder="Not a pool problem: the primary is out of disk",
        limit=ABORT_REASON_LIMIT)


def check_output(facts: dict, names: dict[str, str]) -> str:
    who = escape(names.get(facts["user"], facts["user"]))
    kind = ":camera: *Snapshot*" if facts["snapshot"] else ":satellite: *Live check*"
    outcome = "ok" if facts["ok"] else "failed"
    note = f" ({escape(facts['note'])})" if facts.get("note") else ""
    output = escape(facts["output"]) or "(no output)"
    return cut(f"{kind} `{escape(facts['check'])}` for step {facts['step']}, run by {who}, "
               f"captured {hhmm(facts['at'])}: {outcome}{note}\n```{output}```", SECTION_TEXT_LIMIT)
