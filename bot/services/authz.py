"""Asking the incident policy: every action asks before it changes anything, in the
transaction that holds the incident, so the answer is about the incident as it is."""

from bot.domain.access import parse_access_ref
from bot.domain.authz import Action, Arg, Asker, Decision, Denied, Judge, Question
from bot.domain.errors import IncidentError
from bot.domain.incident import Incident
from bot.domain.roles import COMMANDER
from bot.services.caller import Caller
from bot.storage.store import Store, Tx


async def permit(tx: Tx, caller: Caller, action: Action, incident: Incident | None = None,
                 **args: Arg) -> None:
    """Go on if the policy allows; else Denied (the transaction rolls back and the refusal
    is kept)."""
    question = await _question(tx, caller.user_id, caller.judge, action, incident, args)
    decision = await caller.judge.decide(question)
    if not decision.allow:
        raise Denied(question, decision.reason, caller.trigger_id)


async def would_permit(store: Store, *, caller: Caller, action: Action,
                       args: dict[str, Arg]) -> tuple[Decision, Incident | None]:
    """`/incident can …`: the decision the action would get here, changing nothing; asked
    about the incident of the caller's channel, if it is one."""
    return await simulate(store, judge=caller.judge, user_id=caller.user_id, action=action,
                          args=args, channel_id=caller.channel_id)


async def simulate(store: Store, *, judge: Judge, user_id: str, action: Action,
                   args: dict[str, Arg], channel_id: str | None = None,
                   incident_id: int | None = None) -> tuple[Decision, Incident | None]:
    """The decision `user_id` would get for `action` on the incident named by its channel
    or its id (or none), changing nothing. A `request` argument (AR-n) brings the request's
    requester and step along, as deciding it would."""
    async with store.reading() as tx:
        incident = (await tx.incident(incident_id) if incident_id is not None
                    else await tx.incident_by_channel(channel_id) if channel_id else None)
        if incident_id is not None and incident is None:
            raise IncidentError(f"INC-{incident_id} does not exist.")
        if isinstance(ref := args.get("request"), str):
            request = await tx.access_request(parse_access_ref(ref))
            if request is not None:
                args = {**args, "requester": request.requester_id, "step": request.step}
        question = await _question(tx, user_id, judge, action, incident, args)
    return await judge.decide(question), incident


async def _question(tx: Tx, user_id: str, judge: Judge, action: Action,
                    incident: Incident | None, args: dict[str, Arg]) -> Question:
    roles: tuple[str, ...] = ()
    member = False
    if incident is not None:
        roles = incident.roles_of(user_id)
        if incident.commander_id == user_id and COMMANDER not in roles:
            roles = (COMMANDER, *roles)
        if "member" in judge.reads:
            member = (user_id == incident.declared_by or bool(roles)
                      or await tx.is_participant(incident.id, user_id))
    return Question(action, Asker(user_id, roles, member), incident, args)
