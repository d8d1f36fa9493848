"""Lines said in the incident channel as the incident goes on."""

from bot.domain import notices as n
from bot.domain.alerts import web_link
from bot.domain.notices.lines import AlertLine
from bot.domain.roles import COMMANDER
from bot.slack import ids
from bot.slack.render.said import Names, buttons, line
from bot.slack.render.summary import STATUS_EMOJI
from bot.slack.render.text import button, escape, hhmm, mention, name


def _why(rationale: str | None) -> str:
    return f" Reason: {escape(rationale)}" if rationale else ""


@line(n.Logged)
def _logged(said: n.Logged, names: Names) -> str:
    return f":memo: `{hhmm(said.at)}` *{name(names, said.user)}*: {escape(said.text)}"


@line(n.Captured)
def _captured(said: n.Captured, names: Names) -> str:
    # Named, never mentioned: capturing a message pings nobody.
    return (f":pushpin: *{name(names, said.user)}* added <{said.link}|a message> by "
            f"{name(names, said.author)} to the timeline.")


@line(n.CaptureRetracted)
def _retracted(said: n.CaptureRetracted, names: Names) -> str:
    return (f":pushpin: *{name(names, said.user)}* took the last pin off "
            f"<{said.link}|a message>: the timeline marks its capture retracted.")


def _alert(said: AlertLine) -> str:
    """The alert as told from the others of its group: its name, its labels not common to
    the group, its summary and description, and its links. Only a web address becomes a
    link, percent-encoded where `|` or `>` would end it: a link never pings."""
    apart = ", ".join(f"{name}={value}" for name, value in said.apart.items())
    links = " · ".join(f"<{escape(safe)}|{escape(label)}>" for label, url in said.links.items()
                       if (safe := web_link(url)))
    description = " ".join(said.description.split())
    return (f"*{escape(said.alertname)}*" + (f" ({escape(apart)})" if apart else "")
            + (f": {escape(said.summary)}" if said.summary else "")
            + (f" — {escape(description)}" if description else "")
            + (f" · {links}" if links else ""))


@line(n.AlertFiring)
def _firing(said: n.AlertFiring, names: Names) -> str:
    return (f":fire: Alert firing: {_alert(said)}"
            + (f" ({escape(said.note)})" if said.note else ""))


@line(n.AlertResolved)
def _alert_resolved(said: n.AlertResolved, names: Names) -> str:
    return f":white_check_mark: Alert resolved: {_alert(said)}"


@line(n.StatusChanged)
def _status(said: n.StatusChanged, names: Names) -> str:
    return (f"{STATUS_EMOJI[said.new]} *{name(names, said.user)}* moved the incident "
            f"from {said.old} to *{said.new}*.{_why(said.rationale)}")


@line(n.SeverityChanged)
def _severity(said: n.SeverityChanged, names: Names) -> str:
    return (f":rotating_light: *{name(names, said.user)}* changed severity "
            f"{said.old} → *{said.new}*.{_why(said.rationale)}")


@line(n.CommanderAssigned)
def _commander(said: n.CommanderAssigned, names: Names) -> str:
    return (f":bust_in_silhouette: {mention(said.commander)} is now the incident commander "
            f"(set by {name(names, said.user)}).")


@line(n.RoleAssigned)
def _role(said: n.RoleAssigned, names: Names) -> str:
    role = "the incident commander" if said.role == COMMANDER else f"*{escape(said.role)}*"
    return (f":bust_in_silhouette: {mention(said.assignee)} is now {role} "
            f"(set by {name(names, said.user)}).")


@line(n.StatusUpdate)
def _update(said: n.StatusUpdate, names: Names) -> str:
    return f":mega: *Status update* from {name(names, said.user)}: {escape(said.text)}"


@line(n.RootCause)
def _root_cause(said: n.RootCause, names: Names) -> str:
    return (f":mag: *{name(names, said.user)}* {'replaced' if said.replaced else 'set'} "
            f"the root cause: {escape(said.text)}")


@line(n.Resolved)
def _resolved(said: n.Resolved, names: Names) -> str:
    return (f":large_green_circle: *{name(names, said.user)}* resolved the incident."
            + (f" Root cause: {escape(said.root_cause)}" if said.root_cause else "")
            + (" Access still to revoke: " + ", ".join(f"AR-{r}" for r in said.unrevoked)
               + " (`/incident access revoke AR-<n>`)." if said.unrevoked else "")
            + (f"\nTimeline chain head: `{said.head}` (`incident-bot verify` checks an export "
               "against it)" if said.head else ""))


@line(n.Paged)
def _paged(said: n.Paged, names: Names) -> str:
    whom = (f"*{escape(said.service)}* on PagerDuty" if said.service
            else f"{mention(said.paged)} by DM")
    return (f":pager: *{name(names, said.user)}* paged {whom}"
            + (f": {escape(said.text)}" if said.text else "."))


@line(n.WouldPage)
def _would_page(said: n.WouldPage, names: Names) -> str:
    return (f":performing_arts: Drill: *{name(names, said.user)}* would have paged "
            f"{escape(said.text)}; nobody was paged.")


@line(n.AckOverdue)
def _ack_overdue(said: n.AckOverdue, names: Names) -> str:
    reached = (["paged on PagerDuty"] if said.paged else []) + (
        ["DM to " + " ".join(mention(u) for u in said.users)] if said.users else [])
    if said.would:
        reached = ["drill: would page " + ", ".join(said.would)]
    return (f":alarm_clock: *Not acknowledged* within {said.deadline}: escalated"
            + (f" ({', '.join(reached)})" if reached else "")
            + ". Acknowledge with `/incident status acknowledged`.")


@line(n.StatusNudge)
def _nudge(said: n.StatusNudge, names: Names) -> str:
    return (f":alarm_clock: {mention(said.comms or said.commander)}, time for a status "
            "update: `/incident update <what stakeholders should know>`"
            + (f" (last one at {hhmm(said.last_update)})." if said.last_update else "."))


@line(n.StatuspageUpdated)
def _statuspage(said: n.StatuspageUpdated, names: Names) -> str:
    return (f":globe_with_meridians: *{name(names, said.user)}* posted on Statuspage "
            f"(*{said.status}*): {escape(said.text)}")


@line(n.StatuspageResolveOffer)
def _resolve_offer(said: n.StatuspageResolveOffer, names: Names) -> str:
    return (":globe_with_meridians: The public incident on Statuspage is still "
            f"*{said.status}*. Resolve it there too?")


@line(n.StatuspageFailed)
def _statuspage_failed(said: n.StatuspageFailed, names: Names) -> str:
    return (f":warning: Statuspage refused the *{said.status}* update; it was not published: "
            f"{escape(said.reason)}")


@buttons(n.StatuspageResolveOffer)
def _resolve_offer_buttons(said: n.StatuspageResolveOffer) -> tuple[str, list[dict]]:
    value = str(said.incident_id)
    return "", [button("Resolve on Statuspage", ids.STATUSPAGE_RESOLVE, value, "primary"),
                button("Keep it open", ids.STATUSPAGE_KEEP_OPEN, value)]


@line(n.ServiceAdded)
def _service_added(said: n.ServiceAdded, names: Names) -> str:
    team = f" Its team <!subteam^{said.owner_group}> is invited." if said.owner_group else ""
    runbooks = f" Its runbooks: {', '.join(said.runbooks)}." if said.runbooks else ""
    return f":jigsaw: *{name(names, said.user)}* tied the incident to *{said.service}*.{team}{runbooks}"


@line(n.OnCallFound)
def _oncall_found(said: n.OnCallFound, names: Names) -> str:
    # Mentioned on purpose: the person on call is the one who must see it.
    people = ", ".join(mention(user) for user in said.users)
    found = f":telephone_receiver: On call for *{said.service}*: {people}, invited." \
        if people else f":telephone_receiver: Nobody on call for *{said.service}* is in Slack."
    missing = f" Not found in Slack by email: {escape(', '.join(said.missing))}." \
        if said.missing else ""
    return found + missing


@line(n.OnCallUnknown)
def _oncall_unknown(said: n.OnCallUnknown, names: Names) -> str:
    then = " Asking again; nothing else waits for it." if said.again else ""
    return (f":warning: Could not find who is on call for *{said.service}*: "
            f"{escape(said.reason)}.{then}")
