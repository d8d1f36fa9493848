"""Paging: a PagerDuty service or a person, by `/incident page`; the incident's PagerDuty
alerts follow it (acknowledged when it is, resolved when it is); joining from a page."""

from bot.domain import notices
from bot.domain.authz import Action
from bot.domain.errors import IncidentError
from bot.domain.incident import Incident
from bot.domain.lifecycle import Status
from bot.domain.policy import Policy
from bot.domain.timeline import TimelineEvent
from bot.services import escalation
from bot.services.authz import permit
from bot.services.caller import Caller
from bot.services.context import event, incident_command, record_caller
from bot.storage.store import Store, Tx


def unknown_service(name: str, policy: Policy) -> str:
    if not policy.paging_services:
        return "No PagerDuty services are configured (PAGERDUTY_SERVICES)."
    return (f"`{name}` is not a PagerDuty service here. Services: "
            + ", ".join(f"`{s}`" for s in policy.paging_services) + ".")


async def page_service(store: Store, *, caller: Caller, service: str, message: str,
                       policy: Policy) -> str:
    """Trigger the incident's alert on a PagerDuty service. Returns the service's name."""
    name = policy.paging_service(service)
    if name is None:
        raise IncidentError(unknown_service(service, policy))
    async with incident_command(store, caller) as (tx, incident):
        await permit(tx, caller, Action.PAGE, incident, service=name)
        _require_open(incident)
        said = f": {message}" if message else ""
        if incident.drill:
            await _would_page(tx, incident, caller, f"{name} (PagerDuty){said}", service=name)
            return name
        await tx.append(event(tx, incident, caller.user_id, "paged",
                              f"{name} (PagerDuty){said}", service=name))
        tx.notify(notices.PagerDutyEvent(incident_id=incident.id, action="trigger", service=name,
                                         message=message, by=caller.user_id),
                  notices.Paged(incident_id=incident.id, user=caller.user_id, service=name,
                                text=message))
        return name


async def page_person(store: Store, *, caller: Caller, user_id: str, name: str,
                      message: str) -> None:
    """A DM to the person with the incident, the message and a Join button."""
    async with incident_command(store, caller) as (tx, incident):
        await permit(tx, caller, Action.PAGE, incident, user=user_id)
        _require_open(incident)
        await tx.remember_user(user_id, name)
        said = (name or user_id) + (f": {message}" if message else "")
        if incident.drill:
            await _would_page(tx, incident, caller, said, user=user_id)
            return
        await tx.append(event(tx, incident, caller.user_id, "paged", said, user=user_id))
        tx.notify(notices.PageDM(user=user_id, by=caller.user_id, text=message,
                                 **escalation.about(incident)),
                  notices.Paged(incident_id=incident.id, user=caller.user_id, paged=user_id,
                                text=message))


async def _would_page(tx: Tx, incident: Incident, caller: Caller, details: str,
                      **target: str) -> None:
    """A drill practises the page without waking anyone: recorded as what it would have done.
    The event is not `paged`, so nothing follows it to PagerDuty later."""
    await tx.append(event(tx, incident, caller.user_id, "would_page", details, **target))
    tx.notify(notices.WouldPage(incident_id=incident.id, user=caller.user_id, text=details))


async def join(store: Store, *, caller: Caller, incident_id: int) -> Incident:
    """Someone paged (or escalated to) asks to be let into the incident's channel."""
    async with store.transaction() as tx:
        incident = await tx.incident(incident_id, lock=True)
        if incident is None:
            raise IncidentError(f"INC-{incident_id} does not exist.")
        await record_caller(tx, caller, incident.id)
        await permit(tx, caller, Action.INVITE, incident, users=caller.user_id)
        tx.notify(notices.Invite(incident_id=incident.id, user=caller.user_id))
        return incident


async def status_moved(tx: Tx, incident: Incident, previous: Status, policy: Policy) -> None:
    """After a status change: the deadlines follow it, and so do the PagerDuty alerts this
    incident triggered (acknowledged once it is, resolved when it is)."""
    target = incident.status
    if previous is Status.NEW or previous.is_open != target.is_open:
        await escalation.plan(tx, incident, policy)
    if previous.is_open and not target.is_open:
        action = "resolve"
    elif previous is Status.NEW:
        action = "acknowledge"
    else:
        return
    for service in triggered(await tx.events(incident.id)):
        tx.notify(notices.PagerDutyEvent(incident_id=incident.id, action=action, service=service))


def triggered(events: list[TimelineEvent]) -> list[str]:
    """The PagerDuty services the incident's alert was triggered on ("" for the escalation
    routing key), in the order first triggered."""
    services: list[str] = []
    for e in events:
        if e.action == "paged" and e.data.get("service"):
            service = str(e.data["service"])
        elif e.action == "escalated" and e.data.get("pagerduty"):
            service = ""
        else:
            continue
        if service not in services:
            services.append(service)
    return services


def _require_open(incident: Incident) -> None:
    if not incident.status.is_open:
        raise IncidentError(f"{incident.ref} is {incident.status}; reopen it before paging: "
                            "`/incident status mitigating <why>`.")
