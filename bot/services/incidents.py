"""Incident use cases: declare, log, status, severity, commander, update, action, resolve."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

from bot.catalog.model import IncidentType, Service
from bot.domain import notices, updates
from bot.domain.access import AccessRequest
from bot.domain.alerts import ALERT_ACTOR
from bot.domain.authz import Action
from bot.domain.errors import IncidentError
from bot.domain.incident import ActionItem, Incident, Participant
from bot.domain.lifecycle import Status, check_transition
from bot.domain.notices.outside import TicketOpen
from bot.domain.policy import Policy
from bot.domain.roles import COMMANDER
from bot.domain.severity import severity_label
from bot.runbooks.format import Runbook
from bot.runbooks.library import Library
from bot.services import catalog, escalation, paging, people, statuspage
from bot.services.access import unrevoked
from bot.services.authz import permit
from bot.services.caller import Caller
from bot.services.context import event, incident_command, locked_incident, record_caller
from bot.services.exporter import Exporter, ExportResult
from bot.services.reminders import plan_nudge, plan_postmortem
from bot.services.runbooks import attach
from bot.storage.store import Store, Tx


class Source(StrEnum):
    """Where a declare came from: `/incident declare`, the declare form, or an alert."""

    COMMAND = "command"
    FORM = "form"
    ALERT = "alert"


# The command a declare form's submission is recorded as (bot/slack/listeners/views.py).
DECLARE_FORM = "declare form"


def declared_source(declared_by: str, data: Mapping[str, object]) -> Source:
    """The `declared` event's source; events from before sources were kept have none, and
    then only an alert's declarer tells it apart from a command."""
    kept = data.get("source")
    if kept:
        return Source(str(kept))
    return Source.ALERT if declared_by == ALERT_ACTOR else Source.COMMAND


@dataclass
class Resolution:
    """What resolving produced, and what is still owed: access nobody confirmed revoked."""

    export: ExportResult
    unrevoked: list[AccessRequest] = field(default_factory=list)


@dataclass(frozen=True)
class Ties:
    """What the catalog adds to a declare: the services hit, the incident's type, the runbook
    library their runbooks come from, and whether PagerDuty is asked who is on call."""

    services: Sequence[Service] = ()
    kind: IncidentType | None = None
    library: Library | None = None
    find_oncall: bool = False


async def declare(store: Store, *, caller: Caller, severity: int | None, slug: str, title: str,
                  policy: Policy, runbooks: Sequence[Runbook] = (),
                  private: bool = False, drill: bool = False, ties: Ties = Ties()) -> Incident:
    """Open an incident; `runbooks` (those whose patterns match the slug) are attached.
    `private`: a private channel, and nothing said outside it. `drill`: practice, the whole
    flow in its own channel, but nobody outside it hears of it or is paged. `severity` None:
    the type's."""
    if severity is None:
        severity = ties.kind.severity if ties.kind else None
        if severity is None:
            raise IncidentError("Say how severe it is (sev1…sev4): "
                                + (f"the type {ties.kind.name} has no default severity."
                                   if ties.kind else "no type gives one."))
    private = private or bool(ties.kind and ties.kind.private)
    async with store.transaction() as tx:
        await record_caller(tx, caller, None)
        await permit(tx, caller, Action.DECLARE, severity=severity, slug=slug,
                     private=private, drill=drill,
                     service=",".join(s.name for s in ties.services) or None,
                     type=ties.kind.name if ties.kind else None)
        return await open_incident(tx, declarer=caller.user_id, severity=severity, slug=slug,
                                   title=title, policy=policy, runbooks=runbooks,
                                   private=private, drill=drill,
                                   origin_channel_id=caller.channel_id,
                                   source=Source.FORM if caller.command == DECLARE_FORM
                                   else Source.COMMAND, ties=ties)


async def open_incident(tx: Tx, *, declarer: str, severity: int, slug: str, title: str,
                        policy: Policy, runbooks: Sequence[Runbook] = (), private: bool = False,
                        drill: bool = False, origin_channel_id: str | None = None,
                        invite_declarer: bool = True, source: Source = Source.COMMAND,
                        ties: Ties = Ties()) -> Incident:
    """Declare inside a transaction the caller holds; `invite_declarer` is off for a
    declarer that is not a Slack user (an alert source)."""
    kind = ties.kind
    incident = await tx.add_incident(
        Incident(id=0, slug=slug, title=title or slug, severity=severity,
                 declared_at=tx.now, declared_by=declarer,
                 origin_channel_id=origin_channel_id, private=private, drill=drill,
                 kind=kind.name if kind else None, announce=kind.announce if kind else True,
                 statuspage=kind.statuspage if kind else True,
                 postmortem_from=kind.postmortem_from if kind else None)
    )
    # A command's declare keeps no source, as every declare did before sources were told
    # apart: what it records stays as it was, and declared_source() reads both alike.
    kept: dict[str, Any] = {} if source is Source.COMMAND else {"source": str(source)}
    # Kept only when set, so a declare's event reads as it always did; an export's carried
    # record is then held to them (export/agreement.py).
    kept |= {flag: True for flag, on in (("private", private), ("drill", drill)) if on}
    if kind:
        kept["type"] = kind.name
    await tx.append(event(tx, incident, declarer, "declared",
                          f"{incident.severity_label} {slug}: {incident.title}", **kept))
    tx.notify(notices.CreateChannel(incident_id=incident.id))
    if invite_declarer:
        tx.notify(notices.Invite(incident_id=incident.id, user=declarer))
    tx.notify(notices.PostSummary(incident_id=incident.id))
    _announce(tx, incident, notices.AnnounceDeclared(incident_id=incident.id, user=declarer))
    await people.invite_on_declare(tx, incident, declarer, policy)
    if kind and kind.invite:
        await people.invite_people(tx, incident, declarer,
                                   [people.Person(ref) for ref in kind.invite],
                                   setting=f"type {kind.name}")
    for runbook in runbooks:
        await attach(tx, incident, runbook, declarer, refresh=False)
    if ties.library is not None:
        for ref in kind.runbooks if kind else ():
            if (named := ties.library.find(ref)) is not None:
                await attach(tx, incident, named, declarer, refresh=False)
        await catalog.tie(tx, incident, ties.services, declarer, ties.library,
                          find_oncall=ties.find_oncall, refresh=False)
    await plan_nudge(tx, incident, policy)
    await escalation.plan(tx, incident, policy)
    return incident


async def log(store: Store, *, caller: Caller, text: str) -> None:
    """A busy channel's lines are many and alike: those that arrive together are stored
    together, in one transaction."""
    async def write(tx: Tx) -> None:
        incident = await locked_incident(tx, caller)
        await permit(tx, caller, Action.LOG, incident)
        entry = await tx.append(event(tx, incident, caller.user_id, "log", text))
        tx.notify(notices.Logged(incident_id=incident.id, user=caller.user_id, text=text,
                                 at=entry.at))

    await store.together(caller.channel_id, write)


async def set_status(store: Store, *, caller: Caller, target: Status, rationale: str,
                     exporter: Exporter, policy: Policy) -> Resolution | None:
    """Move along the lifecycle; reaching resolved or closed writes the export."""
    action = {Status.RESOLVED: Action.RESOLVE, Status.CLOSED: Action.CLOSE}.get(target,
                                                                             Action.STATUS)
    async with incident_command(store, caller) as (tx, incident):
        await permit(tx, caller, action, incident, status=str(target))
        return await _transition(tx, incident, caller, target, rationale, exporter, policy)


async def _transition(tx: Tx, incident: Incident, caller: Caller, target: Status, rationale: str,
                      exporter: Exporter, policy: Policy, root_cause: str = "") -> Resolution | None:
    check_transition(incident.status, target, rationale or root_cause)
    previous = incident.status
    incident.move_to(target, tx.now)
    if root_cause:
        incident.root_cause = root_cause
    await tx.save_incident(incident)
    details = f"{previous} -> {target}" + (f": {rationale}" if rationale else "")
    await tx.append(event(tx, incident, caller.user_id, "status_changed", details,
                          **{"from": str(previous), "to": str(target)}))
    tx.notify(notices.StatusChanged(incident_id=incident.id, user=caller.user_id,
                                    old=previous, new=target, rationale=rationale),
              notices.RefreshSummary(incident_id=incident.id))
    if target.is_open != previous.is_open:
        await plan_nudge(tx, incident, policy)
    await plan_postmortem(tx, incident, policy)
    if not target.is_open:
        _announce(tx, incident, notices.AnnounceStatus(incident_id=incident.id,
                                                       user=caller.user_id, status=target))
    await paging.status_moved(tx, incident, previous, policy)
    if target.is_open:
        return None
    owed = unrevoked(await tx.access_requests(incident.id))
    if previous.is_open:
        sealed = await tx.append(event(tx, incident, caller.user_id, "resolved", incident.root_cause))
        # The chain head shown in the channel is a copy of it outside the bot and its files.
        tx.notify(notices.Resolved(incident_id=incident.id, user=caller.user_id,
                                   root_cause=incident.root_cause, head=sealed.hash,
                                   unrevoked=[r.id for r in owed]))
        await statuspage.offer_resolve(tx, incident)
    return Resolution(await exporter.export(tx, incident.id), owed)


async def resolve(store: Store, *, caller: Caller, root_cause: str, exporter: Exporter,
                  policy: Policy) -> Resolution | None:
    async with incident_command(store, caller) as (tx, incident):
        await permit(tx, caller, Action.RESOLVE, incident, status=str(Status.RESOLVED))
        if not incident.status.is_open:
            raise IncidentError(
                f"{incident.ref} is already {incident.status}. "
                f"To reopen it: `/incident status mitigating <why>`."
            )
        return await _transition(tx, incident, caller, Status.RESOLVED, "", exporter, policy,
                                 root_cause=root_cause)


async def set_severity(store: Store, *, caller: Caller, severity: int, rationale: str,
                       policy: Policy) -> None:
    async with incident_command(store, caller) as (tx, incident):
        await permit(tx, caller, Action.SEVERITY, incident, severity=severity)
        if severity == incident.severity:
            raise IncidentError(f"{incident.ref} is already {incident.severity_label}.")
        previous = incident.severity_label
        incident.severity = severity
        await tx.save_incident(incident)
        await tx.append(event(tx, incident, caller.user_id, "severity_changed",
                              f"{previous} -> {severity_label(severity)}: {rationale}",
                              **{"from": previous, "to": severity_label(severity)}))
        new = severity_label(severity)
        tx.notify(notices.SeverityChanged(incident_id=incident.id, user=caller.user_id,
                                          old=previous, new=new, rationale=rationale),
                  notices.RefreshSummary(incident_id=incident.id))
        _announce(tx, incident, notices.AnnounceSeverity(
            incident_id=incident.id, user=caller.user_id, old=previous, new=new,
            rationale=rationale))
        await plan_nudge(tx, incident, policy)
        await escalation.plan(tx, incident, policy)


async def assign_commander(store: Store, *, caller: Caller, user_id: str, name: str) -> None:
    async with incident_command(store, caller) as (tx, incident):
        await permit(tx, caller, Action.COMMANDER, incident, role=COMMANDER, user=user_id)
        if incident.commander_id == user_id:
            raise IncidentError(f"{name or user_id} is already the commander.")
        await people.give_role(tx, incident, caller, COMMANDER, user_id, name,
                               action="commander_assigned")


async def post_update(store: Store, *, caller: Caller, text: str, policy: Policy) -> None:
    async with incident_command(store, caller) as (tx, incident):
        await permit(tx, caller, Action.UPDATE, incident)
        await _post_update(tx, incident, caller, text, policy)


async def post_form_update(store: Store, *, caller: Caller, impact: str, doing: str,
                           next_in: timedelta, policy: Policy) -> None:
    """The update form: the same update as `/incident update <text>`, its text composed."""
    async with incident_command(store, caller) as (tx, incident):
        await permit(tx, caller, Action.UPDATE, incident)
        text = updates.compose(impact=impact, doing=doing, next_in=next_in, now=tx.now)
        await _post_update(tx, incident, caller, text, policy)


async def _post_update(tx: Tx, incident: Incident, caller: Caller, text: str,
                       policy: Policy) -> None:
    incident.last_update_at, incident.last_update_text = tx.now, text
    await tx.save_incident(incident)
    await tx.append(event(tx, incident, caller.user_id, "status_update", text))
    tx.notify(notices.StatusUpdate(incident_id=incident.id, user=caller.user_id, text=text),
              notices.RefreshSummary(incident_id=incident.id))
    _announce(tx, incident, notices.AnnounceUpdate(incident_id=incident.id, user=caller.user_id,
                                                   text=text))
    await plan_nudge(tx, incident, policy)


def _announce(tx: Tx, incident: Incident, said: notices.Announcement) -> None:
    """Never recorded for an incident that is not announced (private, drill)."""
    if incident.announced:
        tx.notify(said)


async def set_root_cause(store: Store, *, caller: Caller, text: str) -> Incident:
    """Set or replace the root cause; after resolve too, when the postmortem finds it."""
    async with incident_command(store, caller) as (tx, incident):
        await permit(tx, caller, Action.ROOTCAUSE, incident)
        replaced = bool(incident.root_cause)
        incident.root_cause = text
        await tx.save_incident(incident)
        await tx.append(event(tx, incident, caller.user_id, "root_cause", text, replaced=replaced))
        tx.notify(notices.RootCause(incident_id=incident.id, user=caller.user_id, text=text,
                                    replaced=replaced),
                  notices.RefreshSummary(incident_id=incident.id))
        return incident


async def add_action_item(store: Store, *, caller: Caller, text: str, owner_id: str | None,
                          owner_name: str, tickets: bool = False) -> ActionItem:
    """`tickets`: TICKETS is set, and the item becomes a ticket there too."""
    async with incident_command(store, caller) as (tx, incident):
        await permit(tx, caller, Action.ACTION_ITEM, incident, owner=owner_id)
        if owner_id:
            await tx.remember_user(owner_id, owner_name)
        item = await tx.add_action_item(
            ActionItem(incident_id=incident.id, number=0, text=text, created_at=tx.now,
                       created_by=caller.user_id, owner_id=owner_id)
        )
        owner = f" @{owner_name or owner_id}" if owner_id else ""
        await tx.append(event(tx, incident, caller.user_id, "action_item",
                              f"#{item.number} {text}{owner}", number=item.number, owner=owner_id))
        tx.notify(notices.ActionItemAdded(incident_id=incident.id, user=caller.user_id,
                                          number=item.number, text=text, owner=owner_id),
                  notices.RefreshSummary(incident_id=incident.id))
        if tickets:
            tx.notify(TicketOpen(incident_id=incident.id, number=item.number))
        return item


async def participant_joined(store: Store, *, event_id: str, channel_id: str, user_id: str) -> bool:
    """Record a join once, however often Slack delivers it. True when newly recorded."""
    async with store.transaction() as tx:
        if not await tx.first_delivery_of_event(event_id):
            return False
        incident = await tx.incident_by_channel(channel_id, lock=True)
        if incident is None:
            return False
        joined = Participant(incident_id=incident.id, user_id=user_id, joined_at=tx.now)
        if not await tx.add_participant(joined):
            return False
        await tx.append(event(tx, incident, user_id, "participant_joined"))
        tx.notify(notices.LookupUser(user=user_id))
        return True
