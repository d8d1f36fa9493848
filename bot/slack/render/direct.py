"""DMs about an incident, which say where they come from: the person may not be in its
channel."""

from bot.domain import notices as n
from bot.slack import ids
from bot.slack.render.said import Names, buttons, line
from bot.slack.render.text import button, escape, hhmm, mention, name


def _where(said: n.ToRequester | n.AboutIncident) -> str:
    return said.incident + (f" (<#{said.channel}>)" if said.channel else "")


@line(n.YourAccessApproved)
def _approved(said: n.YourAccessApproved, names: Names) -> str:
    return (f":unlock: Your request AR-{said.request} *{escape(said.what)}* in {_where(said)} "
            f"was approved by {name(names, said.by)}, until {hhmm(said.expires)}.")


@line(n.YourAccessDenied)
def _denied(said: n.YourAccessDenied, names: Names) -> str:
    return (f":no_entry: Your request AR-{said.request} *{escape(said.what)}* in {_where(said)} "
            f"was denied by {name(names, said.by)}."
            + (f" Note: {escape(said.note)}" if said.note else ""))


@line(n.YourAccessExpiring)
def _expiring(said: n.YourAccessExpiring, names: Names) -> str:
    return (f":warning: Your access AR-{said.request} *{escape(said.what)}* in {_where(said)} "
            f"expires at {hhmm(said.expires)}. Revoke it when you are done; to keep it longer, "
            f"ask an approver ({mention(said.approver)}) to extend it.")


@buttons(n.YourAccessExpiring)
def _expiring_buttons(said: n.YourAccessExpiring) -> tuple[str, list[dict]]:
    # The requester may revoke, never extend, their own access.
    value = str(said.request)
    return value, [button("Revoke", ids.ACCESS_REVOKE, value, "danger")]


@line(n.ActionOverdue)
def _overdue(said: n.ActionOverdue, names: Names) -> str:
    return (f":date: Your action item #{said.number} from {_where(said)} was due {said.due}: "
            f"{escape(said.text)}\nTick it with `/incident action done {said.number}` in the "
            f"incident channel, or give it a new date with `/incident action due {said.number} "
            "<YYYY-MM-DD>`.")


@line(n.PageDM)
def _page(said: n.PageDM, names: Names) -> str:
    return (f":pager: *{name(names, said.by)}* is paging you about {_where(said)} · "
            f"{said.severity} · {escape(said.title)}"
            + (f": {escape(said.text)}" if said.text else ".")
            + "\n*Join* brings you into the incident channel.")


@line(n.EscalationDM)
def _escalation(said: n.EscalationDM, names: Names) -> str:
    return (f":rotating_light: {_where(said)} · {said.severity} · {escape(said.title)} has not "
            f"been acknowledged within {said.deadline}; you are on its escalation list.\n"
            "*Join* brings you into the incident channel.")


def _join(said: n.AboutIncident) -> tuple[str, list[dict]]:
    value = str(said.incident_id)
    return value, [button("Join", ids.JOIN, value, "primary")]


buttons(n.PageDM)(_join)
buttons(n.EscalationDM)(_join)
