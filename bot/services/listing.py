"""Where things stand, as one person may see it: the open incidents (a private incident only
to its channel's members, drills only when asked), an incident's latest events, and what
waits on the person (the App Home)."""

from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.access import AccessRequest, AccessState
from bot.domain.authz import Action
from bot.domain.errors import IncidentError
from bot.domain.incident import ActionItem, Incident
from bot.domain.policy import Policy
from bot.domain.timeline import TimelineEvent
from bot.services.authz import permit
from bot.services.caller import Caller
from bot.services.context import NOT_AN_INCIDENT_CHANNEL
from bot.storage.store import Store, Tx


@dataclass
class Listing:
    incidents: list[Incident]
    names: dict[str, str]
    now: datetime


@dataclass
class Home(Listing):
    """The viewer's page: open incidents, their own open action items, and the access
    requests waiting for them to decide (only when they are an approver)."""

    action_items: list[tuple[Incident, ActionItem]] = field(default_factory=list)
    approvals: list[tuple[Incident, AccessRequest]] = field(default_factory=list)


@dataclass
class Recent:
    incident: Incident
    events: list[TimelineEvent]
    total: int
    names: dict[str, str]


async def _visible(tx: Tx, user_id: str, *, open_only: bool, drills: bool) -> list[Incident]:
    shown = []
    for incident in await tx.incidents():
        if open_only and not incident.status.is_open or incident.drill and not drills:
            continue
        # Only a private incident needs its record read to know who is in it.
        if not incident.private or (await tx.record(incident.id)).may_be_listed_to(user_id):
            shown.append(incident)
    return shown


async def listed_to(store: Store, *, caller: Caller, open_only: bool = True,
                    drills: bool = False) -> Listing:
    """`/incident list`: newest first."""
    async with store.reading() as tx:
        await permit(tx, caller, Action.LIST, drills=drills)
        incidents = await _visible(tx, caller.user_id, open_only=open_only, drills=drills)
        return Listing(sorted(incidents, key=lambda i: (i.declared_at, i.id), reverse=True),
                       await tx.names(), tx.now)


async def home(store: Store, *, user_id: str, policy: Policy) -> Home:
    async with store.reading() as tx:
        seen = await _visible(tx, user_id, open_only=False, drills=True)
        incidents = sorted((i for i in seen if i.status.is_open),
                           key=lambda i: (i.declared_at, i.id), reverse=True)
        page = Home(incidents, await tx.names(), tx.now)
        # Follow-ups outlive the response: an item stays until it is ticked done.
        by_id = {i.id: i for i in seen}
        page.action_items = [(by_id[item.incident_id], item)
                             for item in await tx.open_action_items(user_id)
                             if item.incident_id in by_id]
        if user_id in policy.approvers:
            open_ids = {i.id for i in incidents}
            page.approvals = [(by_id[r.incident_id], r) for r in await tx.access_requests()
                              if r.state is AccessState.PENDING and r.incident_id in open_ids
                              and r.requester_id != user_id]
        return page


async def recent(store: Store, *, caller: Caller, count: int) -> Recent:
    """`/incident timeline [n]`: the incident's last `count` events, oldest first."""
    async with store.reading() as tx:
        incident = await tx.incident_by_channel(caller.channel_id)
        if incident is None:
            raise IncidentError(NOT_AN_INCIDENT_CHANNEL)
        await permit(tx, caller, Action.TIMELINE, incident, count=count)
        events = await tx.events(incident.id)
        return Recent(incident, events[-count:], len(events), await tx.names())


async def in_channel(store: Store, *, channel_id: str) -> Incident:
    """The incident whose channel this is (for a form about to open), or IncidentError."""
    async with store.reading() as tx:
        incident = await tx.incident_by_channel(channel_id)
        if incident is None:
            raise IncidentError(NOT_AN_INCIDENT_CHANNEL)
        return incident
