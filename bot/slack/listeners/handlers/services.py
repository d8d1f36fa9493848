"""The catalog's services: tie one to the incident, and who is on call."""

import asyncio

from bot.domain.errors import IncidentError
from bot.oncall import Busy, Refused
from bot.services import catalog
from bot.services.caller import Caller
from bot.slack.deps import Deps
from bot.slack.listeners.registry import handles
from bot.slack.parsing import AddService, OnCallNow
from bot.slack.render.text import escape

# The answer is the command's reply: PagerDuty gets this long, Slack waits 3 s in all.
ONCALL_WAIT = 2.0


@handles(AddService)
async def add_service(deps: Deps, caller: Caller, request: AddService) -> str:
    service = await catalog.add_service(deps.store, caller=caller, catalog=deps.catalog,
                                        library=deps.library, name=request.name,
                                        find_oncall=deps.oncall is not None)
    oncall = " Asking PagerDuty who is on call." if deps.oncall and service.escalation_policy \
        else ""
    return f"Tied to {service.name}.{oncall}"


@handles(OnCallNow)
async def oncall_now(deps: Deps, caller: Caller, request: OnCallNow) -> str:
    services = catalog.services_named(deps.catalog, [request.service]) if request.service \
        else await catalog.services_here(deps.store, deps.catalog, caller.channel_id)
    if deps.oncall is None:
        raise IncidentError("Who is on call comes from PagerDuty: set PAGERDUTY_API_TOKEN.")
    asked = [s for s in services if s.escalation_policy]
    # All asked together, within one deadline: the answer is the command's reply.
    oncall = deps.oncall
    try:
        answers = await asyncio.wait_for(asyncio.gather(
            *(oncall.who(s.escalation_policy or "") for s in asked), return_exceptions=True),
            ONCALL_WAIT)
    except TimeoutError:
        answers = [TimeoutError()] * len(asked)
    found = dict(zip((s.name for s in asked), answers, strict=True))
    return "On call now:\n" + "\n".join(
        f"*{service.name}*: {_oncall_line(found.get(service.name))}" for service in services)


def _oncall_line(answer: object) -> str:
    if answer is None:
        return "no escalation_policy in the catalog."
    if isinstance(answer, (Busy, TimeoutError)):
        return f"PagerDuty did not answer ({escape(str(answer)) or 'timed out'}); try again."
    if isinstance(answer, Refused):
        return f"PagerDuty refused: {escape(str(answer))}"
    if isinstance(answer, BaseException):
        raise answer
    assert isinstance(answer, list)
    return escape(", ".join(f"{p.name} ({p.email})" for p in answer)) or "nobody"
