"""Reaching outside Slack: a page (PagerDuty or a person's DM) and the public Statuspage."""

from bot.services import paging, statuspage
from bot.services.caller import Caller
from bot.slack.deps import Deps
from bot.slack.listeners.registry import handles
from bot.slack.parsing import Page, Statuspage, UsageError


@handles(Page)
async def page(deps: Deps, caller: Caller, request: Page) -> str:
    if request.user_id is not None:
        await paging.page_person(deps.store, caller=caller, user_id=request.user_id,
                                 name=request.name, message=request.message)
        return f"Paging <@{request.user_id}> by DM, with a button to join the channel."
    assert request.service is not None  # the parser gives a service or a person
    if deps.policy.paging_service(request.service) is None:
        raise UsageError(paging.unknown_service(request.service, deps.policy), "page")
    name = await paging.page_service(deps.store, caller=caller, service=request.service,
                                     message=request.message, policy=deps.policy)
    return f"Paging `{name}` on PagerDuty."


@handles(Statuspage)
async def publish(deps: Deps, caller: Caller, request: Statuspage) -> str:
    created = await statuspage.publish(deps.store, caller=caller, status=request.status,
                                       text=request.text, policy=deps.policy,
                                       components=deps.catalog.components())
    if created:
        return f"Opening the public incident on Statuspage ({request.status})."
    return f"Updating the public incident on Statuspage ({request.status})."
