"""The declare form's and the update form's submissions, and the reasons a runbook step
failed or a runbook was aborted. A form filled in wrong, or refused, stays open with the
problem under its field. What was typed has any secret taken out before it is read; the
person is told so in the channel, where only they see it."""

import logging
from collections.abc import Awaitable
from typing import TypeVar

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import redaction
from bot.domain.incident import Incident
from bot.runbooks.format import Runbook
from bot.services import catalog, incidents, runbooks
from bot.services.caller import Caller
from bot.services.incidents import Ties
from bot.slack import ids
from bot.slack.deps import Deps
from bot.slack.listeners.answers import form_answer, form_errors
from bot.slack.listeners.commands import after_ack
from bot.slack.parsing import (
    DeclareForm,
    FormErrors,
    abort_form,
    declare_form,
    step_failed_form,
    update_form,
)


def _submitter(body: dict, view: dict, command: str, text: str, deps: Deps) -> Caller:
    """Who submitted a form, from where; the view's id makes a repeated submission one."""
    user = body["user"]
    return Caller(user_id=user["id"], user_name=user.get("username") or user.get("name", ""),
                  channel_id=view.get("private_metadata") or "", trigger_id=f"view:{view['id']}",
                  judge=deps.judge,
                  command=command, text=text)


log = logging.getLogger(__name__)
T = TypeVar("T")


def _typed(view: dict) -> tuple[dict, tuple[str, ...]]:
    """The form's state with any secret taken out of each typed answer, and the kinds taken."""
    kinds: list[str] = []
    values: dict = {}
    for block_id, answers in view["state"]["values"].items():
        values[block_id] = {}
        for action_id, answer in answers.items():
            if isinstance(answer.get("value"), str):
                redacted = redaction.redact(answer["value"])
                answer = answer | {"value": redacted.text}
                kinds += [kind for kind in redacted.kinds if kind not in kinds]
            values[block_id][action_id] = answer
    return values, tuple(kinds)


async def _told(work: Awaitable[T], client: AsyncWebClient, caller: Caller,
                kinds: tuple[str, ...]) -> T:
    """The submission's work; once it counted, the person hears what was redacted from it."""
    done = await work
    if kinds:
        after_ack(_tell(client, caller, redaction.told(kinds)))
    return done


async def _tell(client: AsyncWebClient, caller: Caller, text: str) -> None:
    try:
        await client.chat_postEphemeral(channel=caller.channel_id, user=caller.user_id, text=text)
    except Exception as exc:  # the record is right; only the note to the person is lost
        log.warning("could not tell %s what was redacted: %r", caller.user_id, exc)


def _runbooks(deps: Deps, slug: str, picked: str) -> list[Runbook]:
    matching = deps.library.matching(slug)
    chosen = deps.library.find(picked) if picked else None
    return matching + [chosen] if chosen and chosen not in matching else matching


async def _declare(deps: Deps, caller: Caller, form: DeclareForm) -> Incident:
    # Inside the answer, so a service or type gone from the catalog since the form opened
    # is said in the form like any other refusal.
    ties = Ties(services=catalog.services_named(deps.catalog, [form.service] if form.service
                                                else []),
                kind=catalog.type_named(deps.catalog, form.kind) if form.kind else None,
                library=deps.library, find_oncall=deps.oncall is not None)
    return await incidents.declare(
        deps.store, caller=caller, severity=form.severity, slug=form.slug, title=form.title,
        policy=deps.policy, runbooks=_runbooks(deps, form.slug, form.runbook),
        private=form.private, drill=form.drill, ties=ties)


def register(app: AsyncApp, deps: Deps) -> None:
    @app.view(ids.STEP_FAILED_CALLBACK)
    async def step_failed_submitted(ack: AsyncAck, body: dict, view: dict,
                                    client: AsyncWebClient) -> None:
        values, kinds = _typed(view)
        try:
            form = step_failed_form(view["callback_id"], values)
        except FormErrors as errors:
            await form_errors(ack, errors)
            return
        caller = _submitter(body, view, "step failed form",
                            f"step {form.attached_id}:{form.number} failed", deps)
        await form_answer(ack, _told(runbooks.mark_step(
            deps.store, caller=caller, attached_id=form.attached_id, number=form.number,
            status="failed", reason=form.reason), client, caller, kinds),
            field=ids.REASON_FIELD, what=caller.command)

    @app.view(ids.ABORT_CALLBACK)
    async def abort_submitted(ack: AsyncAck, body: dict, view: dict,
                              client: AsyncWebClient) -> None:
        values, kinds = _typed(view)
        try:
            form = abort_form(view["callback_id"], values)
        except FormErrors as errors:
            await form_errors(ack, errors)
            return
        caller = _submitter(body, view, "abort runbook form",
                            f"abort runbook {form.attached_id}", deps)
        await form_answer(ack, _told(runbooks.abort(
            deps.store, caller=caller, attached_id=form.attached_id, reason=form.reason),
            client, caller, kinds), field=ids.REASON_FIELD, what=caller.command)

    @app.view(ids.DECLARE_CALLBACK)
    async def declare_submitted(ack: AsyncAck, body: dict, view: dict,
                                client: AsyncWebClient) -> None:
        values, kinds = _typed(view)
        try:
            form = declare_form(values)
        except FormErrors as errors:
            await form_errors(ack, errors)
            return
        caller = _submitter(body, view, "declare form",
                            f"declare sev{form.severity} {form.slug} {form.title}".strip(), deps)
        await form_answer(ack, _told(_declare(deps, caller, form), client, caller, kinds),
                          field=ids.SLUG_FIELD, what=caller.command)

    @app.view(ids.UPDATE_CALLBACK)
    async def update_submitted(ack: AsyncAck, body: dict, view: dict,
                               client: AsyncWebClient) -> None:
        values, kinds = _typed(view)
        try:
            form = update_form(values)
        except FormErrors as errors:
            await form_errors(ack, errors)
            return
        caller = _submitter(body, view, "update form",
                            f"update {form.impact} / {form.doing} / {form.next_text}", deps)
        # A refusal here: the incident's channel is gone from the record.
        await form_answer(ack, _told(incidents.post_form_update(
            deps.store, caller=caller, impact=form.impact, doing=form.doing,
            next_in=form.next_in, policy=deps.policy), client, caller, kinds),
            field=ids.IMPACT_FIELD, what=caller.command)
