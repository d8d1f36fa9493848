"""The declare form's and the update form's submissions, and the reasons a runbook step
failed or a runbook was aborted."""

from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.domain.channel_names import normalize_slug
from bot.domain.durations import parse_duration
from bot.domain.errors import DuplicateDelivery, IncidentError
from bot.domain.severity import parse_severity
from bot.services import incidents, runbooks
from bot.services.caller import Caller
from bot.slack.blocks import (
    ABORT_CALLBACK,
    DECLARE_CALLBACK,
    STEP_FAILED_CALLBACK,
    UPDATE_CALLBACK,
    cut,
)
from bot.slack.deps import Deps


def _value(state: dict, block_id: str) -> str:
    element = state.get(block_id, {}).get("value", {})
    if element.get("type") == "checkboxes":
        return ",".join(o.get("value", "") for o in element.get("selected_options") or [])
    if element.get("type") == "static_select":
        return (element.get("selected_option") or {}).get("value", "")
    return (element.get("value") or "").strip()


def _submitter(body: dict, view: dict, command: str, text: str) -> Caller:
    """Who submitted a form, from where; the view's id makes a repeated submission one."""
    user = body["user"]
    return Caller(user_id=user["id"], user_name=user.get("username") or user.get("name", ""),
                  channel_id=view.get("private_metadata") or "", trigger_id=f"view:{view['id']}",
                  command=command, text=text)


def _runbooks(deps: Deps, slug: str, picked: str) -> list:
    matching = deps.library.matching(slug)
    chosen = deps.library.find(picked) if picked else None
    return matching + [chosen] if chosen and chosen not in matching else matching


def register(app: AsyncApp, deps: Deps) -> None:
    @app.view(STEP_FAILED_CALLBACK)
    async def step_failed_submitted(ack: AsyncAck, body: dict, view: dict) -> None:
        attached, number = STEP_FAILED_CALLBACK.match(view["callback_id"]).groups()  # type: ignore[union-attr]
        reason = _value(view["state"]["values"], "reason")
        caller = _submitter(body, view, "step failed form", f"step {attached}:{number} failed")
        await _reasoned(ack, reason, lambda: runbooks.mark_step(
            deps.store, caller=caller, attached_id=int(attached), number=int(number),
            status="failed", reason=reason))

    @app.view(ABORT_CALLBACK)
    async def abort_submitted(ack: AsyncAck, body: dict, view: dict) -> None:
        attached = int(ABORT_CALLBACK.match(view["callback_id"]).group(1))  # type: ignore[union-attr]
        reason = _value(view["state"]["values"], "reason")
        caller = _submitter(body, view, "abort runbook form", f"abort runbook {attached}")
        await _reasoned(ack, reason, lambda: runbooks.abort(deps.store, caller=caller,
                                                            attached_id=attached, reason=reason))

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
        caller = _submitter(body, view, "declare form",
                            f"declare sev{severity} {slug} {_value(state, 'title')}".strip())
        options = _value(state, "private").split(",")
        try:
            await incidents.declare(deps.store, caller=caller, severity=severity, slug=slug,
                                    title=_value(state, "title"), policy=deps.policy,
                                    runbooks=_runbooks(deps, slug, _value(state, "runbook")),
                                    private="private" in options, drill="drill" in options)
        except DuplicateDelivery:
            pass
        await ack()

    @app.view(UPDATE_CALLBACK)
    async def update_submitted(ack: AsyncAck, body: dict, view: dict) -> None:
        state = view["state"]["values"]
        impact, doing = _value(state, "impact"), _value(state, "doing")
        errors = {block: "Say something here." for block, value in
                  (("impact", impact), ("doing", doing)) if not value}
        try:
            next_in = parse_duration(_value(state, "next"))
        except ValueError:
            errors["next"] = "A duration, e.g. 30m, 1h or 1h30m."
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        caller = _submitter(body, view, "update form",
                            f"update {impact} / {doing} / {_value(state, 'next')}")
        try:
            await incidents.post_form_update(deps.store, caller=caller, impact=impact,
                                             doing=doing, next_in=next_in, policy=deps.policy)
        except DuplicateDelivery:
            pass
        except IncidentError as error:  # the incident's channel is gone from the record
            await ack(response_action="errors", errors={"impact": str(error)[:150]})
            return
        await ack()


async def _reasoned(ack: AsyncAck, reason: str, work: Callable[[], Awaitable[object]]) -> None:
    """Run what a form asking why submits; a refusal is shown in the form, which stays open."""
    if not reason:  # blanks only: Slack lets them through a required field
        await ack(response_action="errors", errors={"reason": "Say why."})
        return
    try:
        await work()
    except DuplicateDelivery:
        pass  # the same submission again: the first one counted
    except IncidentError as error:
        await ack(response_action="errors", errors={"reason": cut(str(error), 150)})
        return
    await ack()
