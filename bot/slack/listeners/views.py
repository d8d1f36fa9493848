"""The declare form's and the update form's submissions, and the reasons a runbook step
failed or a runbook was aborted. A form filled in wrong, or refused, stays open with the
problem under its field."""

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.runbooks.format import Runbook
from bot.services import incidents, runbooks
from bot.services.caller import Caller
from bot.slack import ids
from bot.slack.deps import Deps
from bot.slack.listeners.answers import form_answer, form_errors
from bot.slack.parsing import (
    FormErrors,
    abort_form,
    declare_form,
    step_failed_form,
    update_form,
)


def _submitter(body: dict, view: dict, command: str, text: str) -> Caller:
    """Who submitted a form, from where; the view's id makes a repeated submission one."""
    user = body["user"]
    return Caller(user_id=user["id"], user_name=user.get("username") or user.get("name", ""),
                  channel_id=view.get("private_metadata") or "", trigger_id=f"view:{view['id']}",
                  command=command, text=text)


def _runbooks(deps: Deps, slug: str, picked: str) -> list[Runbook]:
    matching = deps.library.matching(slug)
    chosen = deps.library.find(picked) if picked else None
    return matching + [chosen] if chosen and chosen not in matching else matching


def register(app: AsyncApp, deps: Deps) -> None:
    @app.view(ids.STEP_FAILED_CALLBACK)
    async def step_failed_submitted(ack: AsyncAck, body: dict, view: dict) -> None:
        try:
            form = step_failed_form(view["callback_id"], view["state"]["values"])
        except FormErrors as errors:
            await form_errors(ack, errors)
            return
        caller = _submitter(body, view, "step failed form",
                            f"step {form.attached_id}:{form.number} failed")
        await form_answer(ack, runbooks.mark_step(
            deps.store, caller=caller, attached_id=form.attached_id, number=form.number,
            status="failed", reason=form.reason), field=ids.REASON_FIELD, what=caller.command)

    @app.view(ids.ABORT_CALLBACK)
    async def abort_submitted(ack: AsyncAck, body: dict, view: dict) -> None:
        try:
            form = abort_form(view["callback_id"], view["state"]["values"])
        except FormErrors as errors:
            await form_errors(ack, errors)
            return
        caller = _submitter(body, view, "abort runbook form", f"abort runbook {form.attached_id}")
        await form_answer(ack, runbooks.abort(deps.store, caller=caller,
                                              attached_id=form.attached_id, reason=form.reason),
                          field=ids.REASON_FIELD, what=caller.command)

    @app.view(ids.DECLARE_CALLBACK)
    async def declare_submitted(ack: AsyncAck, body: dict, view: dict) -> None:
        try:
            form = declare_form(view["state"]["values"])
        except FormErrors as errors:
            await form_errors(ack, errors)
            return
        caller = _submitter(body, view, "declare form",
                            f"declare sev{form.severity} {form.slug} {form.title}".strip())
        await form_answer(ack, incidents.declare(
            deps.store, caller=caller, severity=form.severity, slug=form.slug, title=form.title,
            policy=deps.policy, runbooks=_runbooks(deps, form.slug, form.runbook),
            private=form.private, drill=form.drill), field=ids.SLUG_FIELD, what=caller.command)

    @app.view(ids.UPDATE_CALLBACK)
    async def update_submitted(ack: AsyncAck, body: dict, view: dict) -> None:
        try:
            form = update_form(view["state"]["values"])
        except FormErrors as errors:
            await form_errors(ack, errors)
            return
        caller = _submitter(body, view, "update form",
                            f"update {form.impact} / {form.doing} / {form.next_text}")
        # A refusal here: the incident's channel is gone from the record.
        await form_answer(ack, incidents.post_form_update(
            deps.store, caller=caller, impact=form.impact, doing=form.doing,
            next_in=form.next_in, policy=deps.policy), field=ids.IMPACT_FIELD, what=caller.command)
