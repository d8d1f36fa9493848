"""Where things stand, as Slack shows it: `/incident list`, `/incident timeline`, the App Home."""

from datetime import timedelta

from bot.domain.durations import format_duration
from bot.domain.incident import Incident
from bot.services.listing import Home, Listing, Recent
from bot.slack import ids
from bot.slack.render.follow_up import ticket_link
from bot.slack.render.text import button, cut, escape, hhmm, section

# A home view holds at most 100 blocks; each list keeps room for the others.
HOME_LIST_LIMIT = 25
DETAILS_SHOWN = 200


def age(elapsed: timedelta) -> str:
    minutes = max(1, int(elapsed.total_seconds() // 60))
    return format_duration(timedelta(minutes=minutes))


def _where(incident: Incident) -> str:
    return f"<#{incident.channel_id}>" if incident.channel_id else "(channel opening)"


def incident_line(incident: Incident, listing: Listing) -> str:
    commander = listing.names.get(incident.commander_id or "", incident.commander_id or "")
    marks = "".join(f" · _{mark}_" for mark, on in (("private", incident.private),
                                                   ("drill", incident.drill)) if on)
    return (f"*{incident.ref}* {incident.severity_label} · {incident.status} · "
            f"{age(listing.now - incident.declared_at)} · "
            f"commander {escape(commander) if commander else '_none_'} · {_where(incident)}"
            f"{marks}\n{escape(cut(incident.title, DETAILS_SHOWN))}")


def incident_list(listing: Listing, *, drills: bool) -> str:
    if not listing.incidents:
        return "No open incidents." + ("" if drills else " (Drills: `/incident list --drills`.)")
    return (f"Open incidents ({len(listing.incidents)}):\n"
            + "\n".join(incident_line(i, listing) for i in listing.incidents))


def timeline(recent: Recent) -> str:
    shown = len(recent.events)
    head = (f"{recent.incident.ref}: the last {shown} of {recent.total} events"
            if shown < recent.total else f"{recent.incident.ref}: all {shown} events")
    lines = []
    for entry in recent.events:
        who = recent.names.get(entry.actor_id, entry.actor_id)
        step = f" [{escape(entry.step)}]" if entry.step else ""
        details = f" {escape(cut(entry.details, DETAILS_SHOWN))}" if entry.details else ""
        lines.append(f"`{hhmm(entry.at)}` *{entry.action}*{step}{details} — {escape(who)}")
    return head + " (UTC):\n" + "\n".join(lines)


def home_view(page: Home, *, note: str = "") -> dict:
    """`note`: what the person's last click from this page came to, when it was refused."""
    blocks: list[dict] = [section(f":warning: {escape(note)}")] if note else []
    blocks.append(_header("Open incidents"))
    blocks += [section(incident_line(i, page)) for i in page.incidents[:HOME_LIST_LIMIT]]
    blocks += _more(len(page.incidents)) or ([] if page.incidents else [section("_None._")])
    blocks.append(_header("Your action items"))
    for incident, item in page.action_items[:HOME_LIST_LIMIT]:
        due = f" · due {item.due_on.isoformat()}" if item.due_on else ""
        ticket = f" · {ticket_link(item.ticket_key, item.ticket_url)}" if item.ticket_key else ""
        blocks.append(section(f"*#{item.number}* {escape(cut(item.text, DETAILS_SHOWN))} "
                              f"· {incident.ref} {_where(incident)}{due}{ticket}"))
    blocks += _more(len(page.action_items)) or ([] if page.action_items else [section("_None._")])
    if page.approvals:
        blocks.append(_header("Waiting for your approval"))
        for incident, request in page.approvals[:HOME_LIST_LIMIT]:
            requester = page.names.get(request.requester_id, request.requester_id)
            blocks.append(section(
                f"*{request.ref}* {escape(cut(request.what, DETAILS_SHOWN))} for "
                f"{format_duration(request.duration)}, asked by {escape(requester)} "
                f"· {incident.ref} {_where(incident)}"))
            value = str(request.id)
            blocks.append({"type": "actions", "block_id": ids.home_access_block(value), "elements": [
                button("Approve", ids.ACCESS_APPROVE, value, "primary"),
                button("Deny", ids.ACCESS_DENY, value, "danger")]})
        blocks += _more(len(page.approvals))
    return {"type": "home", "blocks": blocks}


def _header(text: str) -> dict:
    return {"type": "header", "text": {"type": "plain_text", "text": text}}


def _more(count: int) -> list[dict]:
    if count <= HOME_LIST_LIMIT:
        return []
    return [{"type": "context", "elements": [{"type": "mrkdwn", "text":
             f"and {count - HOME_LIST_LIMIT} more: `/incident list` shows them all."}]}]
