"""The declare form's submission."""

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.domain.channel_names import normalize_slug
from bot.domain.errors import DuplicateDelivery
from bot.domain.severity import parse_severity
from bot.services import incidents
from bot.services.caller import Caller
from bot.slack.blocks import DECLARE_CALLBACK
from bot.slack.deps import Deps


def _value(state: dict, block_id: str) -> str:
    element = state.get(block_id, {}).get("value", {})
    if element.get("type") == "static_select":
        return (element.get("selected_option") or {}).get("value", "")
    return (element.get("value") or "").strip()


def _runbooks(deps: Deps, slug: str, picked: str) -> list:
    matching = deps.library.matching(slug)
    chosen = deps.library.find(picked) if picked else None
    return matching + [chosen] if chosen and chosen not in matching else matching


def register(app: AsyncApp, deps: Deps) -> None:
    @app.view(DECLARE_CALLBACK)
    async def declare_submitted(ack: AsyncAck, body: dict, view: dict) -> None:
        state = view["state"]["values"]
        errors = {}
        try:
            severity = parse_severity(_value(state, "severity"))
        except ValueError:
            errors["severity"] = "Pick a severity."
        slug = normalize_slug(_value(state, "slug"))
        if not slug:
            errors["slug"] = "Use letters, digits and dashes, e.g. db-outage."
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        user = body["user"]
        caller = Caller(user_id=user["id"], user_name=user.get("username") or user.get("name", ""),
                        channel_id=view.get("private_metadata") or "",
                        trigger_id=f"view:{view['id']}", command="declare form",
                        text=f"declare sev{severity} {slug} {_value(state, 'title')}".strip())
        try:
            await incidents.declare(deps.store, caller=caller, severity=severity, slug=slug,
                                    title=_value(state, "title"), policy=deps.policy,
                                    runbooks=_runbooks(deps, slug, _value(state, "runbook")))
        except DuplicateDelivery:
            pass
        await ack()
