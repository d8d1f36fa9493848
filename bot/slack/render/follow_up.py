"""Lines about access, runbooks, action items and the postmortem, with their buttons."""

from bot.domain import notices as n
from bot.domain.alerts import web_link
from bot.domain.notices.outside import TicketClosedThere, TicketFailed, TicketOpened
from bot.slack import ids
from bot.slack.render.said import Names, buttons, line
from bot.slack.render.text import button, escape, hhmm, mention, name
from bot.tickets.model import ticket_label

TRACKERS = {"github": "GitHub", "jira": "Jira"}


def _ref(said: n.AccessLine | n.ToRequester) -> str:
    return f"AR-{said.request}"


@line(n.AccessApproved)
def _approved(said: n.AccessApproved, names: Names) -> str:
    return (f":unlock: {_ref(said)} *{escape(said.what)}* approved by {name(names, said.user)} "
            f"for {mention(said.requester)}, until {hhmm(said.expires)}.")


@line(n.AccessDenied)
def _denied(said: n.AccessDenied, names: Names) -> str:
    return (f":no_entry: {_ref(said)} *{escape(said.what)}* denied by {name(names, said.user)}."
            + (f" {escape(said.note)}" if said.note else ""))


@line(n.AccessExtended)
def _extended(said: n.AccessExtended, names: Names) -> str:
    return (f":hourglass_flowing_sand: {_ref(said)} *{escape(said.what)}* extended by "
            f"{name(names, said.user)} until {hhmm(said.expires)}.")


@line(n.AccessRevoked)
def _revoked(said: n.AccessRevoked, names: Names) -> str:
    return (f":lock: {_ref(said)} *{escape(said.what)}* revoked (confirmed by "
            f"{name(names, said.user)}).")


@line(n.AccessWarning)
def _warning(said: n.AccessWarning, names: Names) -> str:
    return (f":warning: {_ref(said)} *{escape(said.what)}* expires at {hhmm(said.expires)}. "
            f"{mention(said.requester)} {mention(said.approver)}: extend it, or revoke it "
            "when done.")


@buttons(n.AccessWarning)
def _warning_buttons(said: n.AccessWarning) -> tuple[str, list[dict]]:
    value = str(said.request)
    return value, [button("Extend", ids.ACCESS_EXTEND, value),
                   button("Revoke", ids.ACCESS_REVOKE, value, "danger")]


@line(n.AccessExpired)
def _expired(said: n.AccessExpired, names: Names) -> str:
    return (f":alarm_clock: {_ref(said)} *{escape(said.what)}* has *expired*. "
            f"{mention(said.requester)}: make sure it is taken away, then mark it revoked.")


@buttons(n.AccessExpired)
def _expired_buttons(said: n.AccessExpired) -> tuple[str, list[dict]]:
    value = str(said.request)
    return value, [button("Mark revoked", ids.ACCESS_REVOKE, value, "primary")]


@line(n.StepFailed)
def _step_failed(said: n.StepFailed, names: Names) -> str:
    """Said with what to do when the step does not recover."""
    reason = f": {escape(said.reason)}" if said.reason else " (no reason given)"
    escalation = (f"Escalation: {escape(said.escalation)}" if said.escalation
                  else f"{said.runbook} states no escalation path.")
    return (f":x: *{name(names, said.user)}* marked {said.runbook} step {said.number} "
            f"({escape(said.title)}) *failed*{reason}\n:rotating_light: {escalation}")


@line(n.RunbookAborted)
def _aborted(said: n.RunbookAborted, names: Names) -> str:
    return (f":octagonal_sign: *{name(names, said.user)}* aborted {said.runbook} "
            f"{escape(said.title)}: {escape(said.reason)}. Its steps are closed.")


@line(n.ActionItemAdded)
def _action(said: n.ActionItemAdded, names: Names) -> str:
    return (f":white_check_mark: Action item #{said.number} by {name(names, said.user)}: "
            f"{escape(said.text)}" + (f" (owner {mention(said.owner)})" if said.owner else ""))


@line(n.ActionDone)
def _action_done(said: n.ActionDone, names: Names) -> str:
    return (f":ballot_box_with_check: *{name(names, said.user)}* ticked action item "
            f"#{said.number}: {escape(said.text)}")


@line(n.ActionDue)
def _action_due(said: n.ActionDue, names: Names) -> str:
    return (f":date: *{name(names, said.user)}* set action item #{said.number} due "
            f"{said.due}: {escape(said.text)}")


def ticket_link(key: str | None, url: str | None) -> str:
    """`#123` (GitHub) or `OPS-7` (Jira), a link when the tracker gave a web address."""
    if not key:
        return ""
    label = escape(ticket_label(key))
    address = web_link(url or "")
    return f"<{address}|{label}>" if address else label


def tracker_title(tracker: str) -> str:
    return TRACKERS.get(tracker, tracker)


@line(TicketOpened)
def _ticket_opened(said: TicketOpened, names: Names) -> str:
    kind = "issue" if said.tracker in TRACKERS else "ticket"
    return (f":ticket: Action item #{said.number} is {tracker_title(said.tracker)} {kind} "
            f"{ticket_link(said.key, said.url)}: {escape(said.text)}")


@line(TicketFailed)
def _ticket_failed(said: TicketFailed, names: Names) -> str:
    what = {"open": f"could not become a {tracker_title(said.tracker)} issue",
            "close": f"is ticked, but its {tracker_title(said.tracker)} issue could not be closed",
            "due": f"is dated, but its {tracker_title(said.tracker)} issue could not be"}
    return (f":warning: Action item #{said.number} {what.get(said.call, 'reached no tracker')}: "
            f"{escape(said.reason)}. The item stays here; once that is fixed, "
            "`incident-bot db outbox retry <id>` sends it again.")


@line(TicketClosedThere)
def _ticket_closed_there(said: TicketClosedThere, names: Names) -> str:
    by = f" by {escape(said.by)}" if said.by else ""
    return (f":ballot_box_with_check: {tracker_title(said.tracker)} issue "
            f"{ticket_link(said.key, said.url)} was closed{by}: action item #{said.number} "
            f"is ticked: {escape(said.text)}")


@line(n.ActionOverdueUnowned)
def _overdue_unowned(said: n.ActionOverdueUnowned, names: Names) -> str:
    return (f":date: {mention(said.commander)}, action item #{said.number} was due "
            f"{said.due} and has no owner: {escape(said.text)}")


@line(n.PostmortemDue)
def _postmortem_due(said: n.PostmortemDue, names: Names) -> str:
    return (f":memo: {mention(said.commander)}, the incident was resolved {said.after} ago "
            "and is not closed yet: review the postmortem draft, then `/incident status closed`.")


@line(n.ExportGitFailed)
def _git_failed(said: n.ExportGitFailed, names: Names) -> str:
    return (f":warning: The postmortem draft `{escape(said.file)}` could not be committed to "
            f"git ({escape(said.reason)}). The file is written; the commit is retried.")
