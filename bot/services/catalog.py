"""Incidents tied to the catalog's services: the owning team invited, the person on call
looked up and invited, the service's runbooks attached, the service named in the summary and
the export."""

from collections.abc import Mapping, Sequence

from bot.catalog.library import Catalog
from bot.catalog.model import IncidentType, Service
from bot.domain import notices
from bot.domain.authz import Action
from bot.domain.errors import IncidentError
from bot.domain.incident import Incident
from bot.runbooks.library import Library
from bot.services import people
from bot.services.authz import permit
from bot.services.caller import Caller
from bot.services.context import event, incident_command
from bot.services.runbooks import attach
from bot.storage.store import Store, Tx

# Who records what PagerDuty said.
ONCALL_ACTOR = "pagerduty"


def services_named(catalog: Catalog, names: Sequence[str]) -> list[Service]:
    """The services by name or alias, each once; IncidentError names one the catalog lacks."""
    found: list[Service] = []
    for name in names:
        service = catalog.find(name)
        if service is None:
            close = catalog.suggest(name)
            hint = (" Did you mean: " + ", ".join(f"`{s.name}`" for s in close) + "?") if close \
                else (" The catalog has: " + ", ".join(f"`{s.name}`" for s in catalog.services[:10])
                      + "." if catalog.services else " The catalog (CATALOG_DIR) has none.")
            raise IncidentError(f"No service called '{name}'.{hint}")
        if service not in found:
            found.append(service)
    return found


def type_named(catalog: Catalog, name: str) -> IncidentType:
    kind = catalog.find_type(name)
    if kind is None:
        close = catalog.suggest_type(name) or catalog.types[:10]
        hint = (" Types: " + ", ".join(f"`{t.name}`" for t in close) + ".") if close \
            else " The catalog (CATALOG_DIR) defines none."
        raise IncidentError(f"No incident type called '{name}'.{hint}")
    return kind


async def tie(tx: Tx, incident: Incident, services: Sequence[Service], actor: str,
              library: Library, *, find_oncall: bool, refresh: bool = True) -> list[Service]:
    """Tie the incident to each service not tied yet: recorded, said in the channel, the
    owning group invited, its runbooks attached and, with `find_oncall`, PagerDuty asked who
    is on call. The services newly tied."""
    added = [service for service in services if service.name not in incident.services]
    for service in added:
        incident.services = [*incident.services, service.name]
        await tx.save_incident(incident)
        await tx.append(event(tx, incident, actor, "service_added", service.name,
                              service=service.name, owner_group=service.owner_group,
                              escalation_policy=service.escalation_policy))
        runbooks = [r for r in (library.find(ref) for ref in service.runbooks) if r is not None]
        tx.notify(notices.ServiceAdded(incident_id=incident.id, user=actor, service=service.name,
                                       owner_group=service.owner_group,
                                       runbooks=tuple(r.id for r in runbooks)))
        if service.owner_group:
            await people.invite_people(tx, incident, actor, [people.Person(service.owner_group)])
        for runbook in runbooks:
            await attach(tx, incident, runbook, actor, refresh=False)
        if find_oncall and service.escalation_policy:
            tx.notify(notices.FindOnCall(incident_id=incident.id, service=service.name,
                                         escalation_policy=service.escalation_policy))
    if added and refresh:
        tx.notify(notices.RefreshSummary(incident_id=incident.id))
    return added


async def add_service(store: Store, *, caller: Caller, catalog: Catalog, library: Library,
                      name: str, find_oncall: bool) -> Service:
    """`/incident service <name>`: one more service the incident hits."""
    service = services_named(catalog, [name])[0]
    async with incident_command(store, caller) as (tx, incident):
        await permit(tx, caller, Action.SERVICE, incident, service=service.name)
        if not await tie(tx, incident, [service], caller.user_id, library,
                         find_oncall=find_oncall):
            raise IncidentError(f"{incident.ref} is already tied to {service.name}.")
    return service


async def owe_invite(store: Store, *, incident_id: int, service: str, names: Sequence[str],
                     emails: Sequence[str]) -> None:
    """PagerDuty named them: Slack is asked who they are there, and they are invited."""
    async with store.transaction() as tx:
        tx.notify(notices.InviteOnCall(incident_id=incident_id, service=service,
                                       names=tuple(names), emails=tuple(emails)))


async def oncall_found(store: Store, *, incident_id: int, service: str,
                       users: Mapping[str, str], missing: Sequence[str]) -> None:
    """Who PagerDuty says is on call, found in Slack (`users`: id → name): recorded,
    invited, named."""
    async with store.transaction() as tx:
        incident = await tx.incident(incident_id, lock=True)
        if incident is None:
            return
        # A service is tied once, so it is looked up once: a second answer is a delivery
        # run again after its first had landed.
        if any(e.action == "oncall_found" and e.data.get("service") == service
               for e in await tx.events(incident_id)):
            return
        shown = " ".join(f"@{name}" for name in users.values()) or "nobody in Slack"
        await tx.append(event(tx, incident, ONCALL_ACTOR, "oncall_found",
                              f"on call for {service}: {shown}"
                              + (f" (not in Slack: {', '.join(missing)})" if missing else ""),
                              service=service, users=list(users), missing=list(missing)))
        if users:
            tx.notify(notices.InvitePeople(incident_id=incident.id, users=list(users), groups=[]))
        tx.notify(notices.OnCallFound(incident_id=incident.id, service=service,
                                      users=tuple(users), missing=tuple(missing)))
        tx.notify(notices.RefreshSummary(incident_id=incident.id))


async def oncall_unknown(store: Store, *, incident_id: int, service: str, reason: str,
                         again: bool) -> None:
    """PagerDuty did not say: the channel hears it, and whether it is asked again."""
    async with store.transaction() as tx:
        tx.notify(notices.OnCallUnknown(incident_id=incident_id, service=service, reason=reason,
                                        again=again))


async def services_here(store: Store, catalog: Catalog, channel_id: str) -> list[Service]:
    """The services the incident of this channel is tied to, as the catalog has them now."""
    async with store.reading() as tx:
        incident = await tx.incident_by_channel(channel_id)
    if incident is None:
        raise IncidentError("Name a service (`/incident oncall checkout`), or ask in an "
                            "incident's channel.")
    if not incident.services:
        raise IncidentError(f"{incident.ref} is tied to no service: `/incident service <name>` "
                            "ties one.")
    return [s for s in (catalog.find(name) for name in incident.services) if s is not None]
