"""Action items: add one, tick one, date one."""

from bot.services import action_items, incidents
from bot.services.caller import Caller
from bot.slack.deps import Deps
from bot.slack.listeners.registry import handles
from bot.slack.parsing import Action, ActionDone, ActionDue


@handles(Action)
async def add(deps: Deps, caller: Caller, request: Action) -> str:
    item = await incidents.add_action_item(deps.store, caller=caller, text=request.text,
                                           owner_id=request.owner_id, owner_name=request.owner_name,
                                           tickets=deps.settings.tickets is not None)
    return f"Action item #{item.number} recorded."


@handles(ActionDone)
async def done(deps: Deps, caller: Caller, request: ActionDone) -> str:
    item = await action_items.mark_done(deps.store, caller=caller, number=request.number,
                                        tickets=deps.settings.tickets is not None)
    return f"Action item #{item.number} ticked."


@handles(ActionDue)
async def due(deps: Deps, caller: Caller, request: ActionDue) -> str:
    item = await action_items.set_due(deps.store, caller=caller, number=request.number,
                                      due_on=request.due_on,
                                      tickets=deps.settings.tickets is not None)
    owner = f"<@{item.owner_id}> hears" if item.owner_id else "The channel hears"
    return (f"Action item #{item.number} is due {request.due_on.isoformat()}. {owner} "
            "once if it is not done by then.")
