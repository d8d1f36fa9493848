"""Who works the incident: roles, handing off command, inviting responders."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain import notices
from bot.domain.authz import Action
from bot.domain.errors import IncidentError
from bot.domain.incident import Incident, IncidentRecord
from bot.domain.policy import Policy
from bot.domain.roles import COMMANDER, check_role, holder, holders
from bot.domain.runbook_progress import aborts
from bot.runbooks.copies import runbook_views
from bot.services.authz import permit
from bot.services.caller import Caller
from bot.services.context import event, incident_command
from bot.storage.store import Store, Tx

USER_GROUP_PREFIX = "S"
CLOSED_STEPS = {"done", "skipped"}


@dataclass(frozen=True)
class Person:
    """A user or a user group as named in a command; `name` as Slack showed it, maybe empty."""

    id: str
    name: str = ""


async def assign_role(store: Store, *, caller: Caller, role: str, user_id: str, name: str,
                      policy: Policy) -> None:
    async with incident_command(store, caller) as (tx, incident):
        await permit(tx, caller, Action.COMMANDER if role == COMMANDER else Action.ROLE,
                     incident, role=role, user=user_id)
        check_role(role, policy.roles)
        current = incident.commander_id if role == COMMANDER else \
            holder(await tx.events(incident.id), role)
        if current == user_id:
            raise IncidentError(f"{name or user_id} is already {_role_phrase(role)}.")
        await give_role(tx, incident, caller, role, user_id, name)


async def give_role(tx: Tx, incident: Incident, caller: Caller, role: str, user_id: str,
                    name: str, *, action: str = "role_assigned", say: bool = True) -> None:
    """Record the assignment, bring the person into the channel, show it in the summary.
    `commander_assigned` is how `/incident commander` has always recorded it."""
    await tx.remember_user(user_id, name)
    if role == COMMANDER:
        incident.commander_id = user_id
    incident.roles = {**incident.roles, role: user_id}
    await tx.save_incident(incident)
    if action == "commander_assigned":
        await tx.append(event(tx, incident, caller.user_id, action, name or user_id,
                              commander=user_id))
        said: notices.ChannelLine = notices.CommanderAssigned(
            incident_id=incident.id, user=caller.user_id, commander=user_id)
    else:
        await tx.append(event(tx, incident, caller.user_id, "role_assigned",
                              f"{role}: {name or user_id}", role=role, user=user_id))
        said = notices.RoleAssigned(incident_id=incident.id, user=caller.user_id, role=role,
                                    assignee=user_id)
    if not await tx.is_participant(incident.id, user_id):
        tx.notify(notices.Invite(incident_id=incident.id, user=user_id))
    if say:
        tx.notify(said)
    tx.notify(notices.RefreshSummary(incident_id=incident.id))


async def handoff(store: Store, *, caller: Caller, user_id: str, name: str, notes: str) -> None:
    """Make someone else the commander, and tell the channel where things stand."""
    async with incident_command(store, caller) as (tx, incident):
        await permit(tx, caller, Action.HANDOFF, incident, role=COMMANDER, user=user_id)
        if incident.commander_id == user_id:
            raise IncidentError(f"{name or user_id} is already the commander: "
                                "hand off to someone else.")
        previous = incident.commander_id
        await give_role(tx, incident, caller, COMMANDER, user_id, name, say=False)
        await tx.append(event(tx, incident, caller.user_id, "handoff", notes, to=user_id,
                              **{"from": previous}))
        tx.notify(handoff_brief(await tx.record(incident.id), tx.now, user=caller.user_id,
                                previous=previous, commander=user_id, notes=notes))


def handoff_brief(record: IncidentRecord, now: datetime, *, user: str, previous: str | None,
                  commander: str, notes: str) -> notices.Handoff:
    """Where the incident stands, for the commander taking over."""
    incident = record.incident
    roles = holders(record.events)
    if incident.commander_id:
        roles = {COMMANDER: incident.commander_id, **roles}
    aborted = aborts(record.events)
    return notices.Handoff(
        incident_id=incident.id, user=user, previous=previous, commander=commander, notes=notes,
        status=str(incident.status), severity=incident.severity_label,
        roles=list(roles.items()),
        # An aborted runbook's steps are closed, whatever state they were left in.
        steps=[notices.OpenStep(view.runbook.id, item.step.number, item.step.title,
                                item.state.status)
               for view in runbook_views(record) if view.runbook.id not in aborted
               for item in view.steps if item.state.status not in CLOSED_STEPS],
        access=[notices.LiveAccess(r.ref, r.what, r.requester_id, r.expires_at)
                for r in record.access_requests if r.active(now) and r.expires_at],
        actions=[notices.OpenAction(a.number, a.text, a.owner_id)
                 for a in record.action_items if not a.done],
        last_update=notices.LastUpdate(incident.last_update_at, incident.last_update_text)
        if incident.last_update_at else None)


async def invite(store: Store, *, caller: Caller, people: Sequence[Person]) -> None:
    """Record who was asked in; the delivery expands user groups and invites them all."""
    async with incident_command(store, caller) as (tx, incident):
        await permit(tx, caller, Action.INVITE, incident,
                     users=",".join(person.id for person in people))
        for person in people:
            if not is_group(person.id):
                await tx.remember_user(person.id, person.name)
        await invite_people(tx, incident, caller.user_id, people)


async def invite_on_declare(tx: Tx, incident: Incident, declarer: str, policy: Policy) -> None:
    """The people and groups the operator wants in every incident of this severity."""
    wanted = policy.invite_on_declare.get(incident.severity, ())
    if wanted:
        await invite_people(tx, incident, declarer, [Person(ref) for ref in wanted],
                            setting=f"INVITE_SEV{incident.severity}")


async def invite_people(tx: Tx, incident: Incident, actor: str, people: Sequence[Person], *,
                        setting: str | None = None) -> None:
    users = [p.id for p in people if not is_group(p.id)]
    groups = [p.id for p in people if is_group(p.id)]
    details = " ".join(_shown(p) for p in people) + (f" ({setting})" if setting else "")
    extra = {"setting": setting} if setting else {}
    await tx.append(event(tx, incident, actor, "invited", details, users=users, groups=groups,
                          **extra))
    tx.notify(notices.InvitePeople(incident_id=incident.id, users=users, groups=groups))


def is_group(ref: str) -> bool:
    return ref.startswith(USER_GROUP_PREFIX)


def _shown(person: Person) -> str:
    if person.name:
        return person.name if person.name.startswith("@") else f"@{person.name}"
    return person.id


def _role_phrase(role: str) -> str:
    return "the commander" if role == COMMANDER else f"the {role}"
