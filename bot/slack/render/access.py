"""An access request's message, in the channel and in approvers' DMs, re-rendered from state."""

from collections.abc import Mapping

from bot.domain.access import AccessRequest
from bot.domain.durations import format_duration
from bot.domain.incident import Incident
from bot.slack import ids
from bot.slack.render.text import (
    FIELD_LIMIT,
    SECTION_TEXT_LIMIT,
    button,
    cut,
    escape,
    hhmm,
    mention,
    name,
    section,
    sections,
)

ACCESS_BADGE = {"pending": ":hourglass: pending", "approved": ":unlock: approved",
                "denied": ":no_entry: denied", "expired": ":alarm_clock: expired — not yet revoked",
                "revoked": ":lock: revoked"}


def access_request(request: AccessRequest, names: Mapping[str, str], approvers: list[str],
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
        state += f" · {verb} by {name(names, request.approver_id)}"
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
        blocks.append({"type": "actions", "block_id": ids.access_block(request.id), "elements": [
            button("Approve", ids.ACCESS_APPROVE, value, "primary"),
            button("Deny", ids.ACCESS_DENY, value, "danger")]})
    return cut(f"{request.ref} {escape(request.what)}: {request.state}", SECTION_TEXT_LIMIT), blocks

