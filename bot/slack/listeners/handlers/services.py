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
    lines = []
    for service in services:
        if not service.escalation_policy:
            lines.append(f"*{service.name}*: no escalation_policy in the catalog.")
            continue
        try:
            people = await asyncio.wait_for(deps.oncall.who(service.escalation_policy),
                                            ONCALL_WAIT)
        except (Busy, TimeoutError) as exc:
            lines.append(f"*{service.name}*: PagerDuty did not answer ({exc or 'timed out'}); "
                         "try again.")
            continue
        except Refused as exc:
            lines.append(f"*{service.name}*: PagerDuty refused: {exc}")
            continue
        shown = escape(", ".join(f"{p.name} ({p.email})" for p in people)) or "nobody"
        lines.append(f"*{service.name}*: {shown}")
    return "On call now:\n" + "\n".join(lines)
