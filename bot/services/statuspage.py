"""Statuspage: the incident's public face, by `/incident statuspage`; resolving the incident
offers to resolve it there too, and only a click does."""

from collections.abc import Mapping, Sequence

from bot.domain import notices
from bot.domain.authz import Action
from bot.domain.errors import IncidentError
from bot.domain.incident import Incident
from bot.domain.policy import Policy
from bot.domain.timeline import TimelineEvent
from bot.services.authz import permit
from bot.services.caller import Caller
from bot.services.context import event, incident_command, record_caller
from bot.storage.store import Store, Tx

STATUSES = ("investigating", "identified", "monitoring", "resolved")
NOT_SET_UP = ("Statuspage is not set up here (STATUSPAGE_PAGE_ID and STATUSPAGE_API_KEY); "
              "nothing was recorded.")
RESOLVED_TEXT = "This incident has been resolved."


def public_status(events: list[TimelineEvent]) -> str | None:
    """The public incident's status as last recorded; None when there is none."""
    status = None
    for e in events:
        if e.action == "statuspage_update":
            status = str(e.data.get("status"))
    return status


async def publish(store: Store, *, caller: Caller, status: str, text: str,
                  policy: Policy, components: Mapping[str, Sequence[str]] | None = None) -> bool:
    """Record a public update and owe it to Statuspage. True when it opens the public incident."""
    if not policy.statuspage:
        raise IncidentError(NOT_SET_UP)
    if status not in STATUSES:
        raise IncidentError(f"`{status}` is not a Statuspage status: " + ", ".join(STATUSES) + ".")
    async with incident_command(store, caller) as (tx, incident):
        await permit(tx, caller, Action.STATUSPAGE, incident, status=status)
        if incident.drill:
            raise IncidentError(f"{incident.ref} is a drill: nothing of it goes on the public "
                                "status page.")
        if not incident.statuspage:
            raise IncidentError(f"{incident.ref} is a {incident.kind} incident: its type keeps "
                                "it off the public status page.")
        first = public_status(await tx.events(incident.id)) is None
        await _owe(tx, incident, caller.user_id, status, text, components or {})
        return first


async def offer_resolve(tx: Tx, incident: Incident) -> None:
    """The incident is resolved: if its public incident is not, the channel is asked whether
    to resolve it too. Public words are the operator's, so nothing goes out without a click."""
    status = public_status(await tx.events(incident.id))
    if status is None or status == "resolved":
        return
    tx.notify(notices.StatuspageResolveOffer(incident_id=incident.id, status=status))


async def resolve_public(store: Store, *, caller: Caller, incident_id: int,
                         policy: Policy, components: Mapping[str, Sequence[str]] | None = None
                         ) -> Incident:
    """**Resolve on Statuspage**: a `resolved` public update with the usual words."""
    if not policy.statuspage:
        raise IncidentError(NOT_SET_UP)
    async with store.transaction() as tx:
        incident = await tx.incident(incident_id, lock=True)
        if incident is None:
            raise IncidentError(f"INC-{incident_id} does not exist.")
        await record_caller(tx, caller, incident.id)
        await permit(tx, caller, Action.STATUSPAGE, incident, status="resolved")
        status = public_status(await tx.events(incident.id))
        if status is None:
            raise IncidentError(f"{incident.ref} has no public incident on Statuspage.")
        if status == "resolved":
            raise IncidentError(f"{incident.ref} is already resolved on Statuspage.")
        await _owe(tx, incident, caller.user_id, "resolved", RESOLVED_TEXT, components or {})
        return incident


# How hard each severity hits a service's components on the public page.
COMPONENT_STATUS = {1: "major_outage", 2: "partial_outage", 3: "degraded_performance",
                    4: "degraded_performance"}


def component_statuses(incident: Incident, status: str,
                       components: Mapping[str, Sequence[str]]) -> tuple[tuple[str, str], ...]:
    """The components of the incident's services (`components`: service → component ids, from
    the catalog), shown as hit by its severity, and operational again once it is resolved."""
    shown = "operational" if status == "resolved" else COMPONENT_STATUS[incident.severity]
    ids = dict.fromkeys(c for name in incident.services for c in components.get(name, ()))
    return tuple((component, shown) for component in ids)


async def _owe(tx: Tx, incident: Incident, user_id: str, status: str, text: str,
               components: Mapping[str, Sequence[str]]) -> None:
    marked = component_statuses(incident, status, components)
    entry = event(tx, incident, user_id, "statuspage_update", f"{status}: {text}", status=status)
    if marked:
        entry.data["components"] = dict(marked)
    await tx.append(entry)
    tx.notify(notices.StatuspagePublish(incident_id=incident.id, status=status, text=text,
                                        components=marked),
              notices.StatuspageUpdated(incident_id=incident.id, user=user_id, status=status,
                                        text=text))
