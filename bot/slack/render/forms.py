"""The forms: declare, status update, and the ones that ask why (a failed step, an abort)."""

from bot.catalog.model import IncidentType, Service
from bot.domain.runbook_progress import ABORT_REASON_LIMIT, FAILURE_REASON_LIMIT
from bot.domain.severity import CRITERIA
from bot.runbooks.format import Runbook, Step
from bot.slack import ids
from bot.slack.render.text import FIELD_LIMIT, cut, escape

PRIVATE_OPTION = {"text": {"type": "plain_text", "text": "Private channel"}, "value": ids.PRIVATE_OPTION,
                  "description": {"type": "plain_text",
                                  "text": "Nothing announced; listed only to its members"}}
DRILL_OPTION = {"text": {"type": "plain_text", "text": "Drill"}, "value": ids.DRILL_OPTION,
                "description": {"type": "plain_text",
                                "text": "Practice: nothing announced or paged, left out of stats"}}


def _text_input(block_id: str, label: str, placeholder: str, *, optional: bool = False,
                max_length: int | None = None) -> dict:
    element: dict[str, object] = {"type": "plain_text_input", "action_id": ids.INPUT,
               "placeholder": {"type": "plain_text", "text": placeholder}}
    if max_length:
        element["max_length"] = max_length
    return {"type": "input", "block_id": block_id, "optional": optional,
            "label": {"type": "plain_text", "text": label}, "element": element}


def _modal(*, callback_id: str, channel: str, title: str, submit: str, blocks: list[dict]) -> dict:
    """A form; the channel travels in private_metadata, since a submission comes without
    the channel the form was opened in."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": channel,
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": submit},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def declare_modal(origin_channel: str, runbooks: list[Runbook] | None = None, *,
                  services: list[Service] | None = None, types: list[IncidentType] | None = None,
                  private: bool = False, drill: bool = False) -> dict:
    chosen = [option for option, on in ((PRIVATE_OPTION, private), (DRILL_OPTION, drill)) if on]
    severities = [
        {"text": {"type": "plain_text", "text": f"SEV{n} {c.name}"}, "value": f"sev{n}",
         "description": {"type": "plain_text", "text": c.short}} for n, c in CRITERIA.items()
    ]
    return _modal(
        callback_id=ids.DECLARE_CALLBACK, channel=origin_channel, title="Declare an incident",
        submit="Declare", blocks=[
            {
                "type": "input", "block_id": ids.SEVERITY_FIELD,
                "label": {"type": "plain_text", "text": "Severity"},
                "element": {"type": "static_select", "action_id": ids.INPUT,
                            "options": severities, "initial_option": severities[1]},
            },
            _text_input(ids.SLUG_FIELD, "Slug", "db-outage"),
            _text_input(ids.TITLE_FIELD, "Title", "Primary database refuses connections", optional=True),
        ] + ([{
            "type": "input", "block_id": ids.RUNBOOK_FIELD, "optional": True,
            "label": {"type": "plain_text", "text": "Runbook (those matching the slug attach anyway)"},
            "element": {"type": "static_select", "action_id": ids.INPUT, "options": [
                {"text": {"type": "plain_text", "text": cut(f"{r.id} {r.title}", 75)}, "value": r.id}
                for r in runbooks[:100]]},
        }] if runbooks else []) + ([{
            "type": "input", "block_id": ids.SERVICE_FIELD, "optional": True,
            "label": {"type": "plain_text", "text": "Service (its team and on-call are invited)"},
            "element": {"type": "static_select", "action_id": ids.INPUT, "options": [
                {"text": {"type": "plain_text", "text": cut(s.name, 75)}, "value": s.name}
                for s in services[:100]]},
        }] if services else []) + ([{
            "type": "input", "block_id": ids.TYPE_FIELD, "optional": True,
            "label": {"type": "plain_text", "text": "Type"},
            "element": {"type": "static_select", "action_id": ids.INPUT, "options": [
                {"text": {"type": "plain_text", "text": cut(t.name, 75)}, "value": t.name,
                 **({"description": {"type": "plain_text", "text": cut(t.description, 75)}}
                    if t.description else {})}
                for t in types[:100]]},
        }] if types else []) + [{
            "type": "input", "block_id": ids.OPTIONS_FIELD, "optional": True,
            "label": {"type": "plain_text", "text": "Options"},
            "element": {"type": "checkboxes", "action_id": ids.INPUT,
                        "options": [PRIVATE_OPTION, DRILL_OPTION],
                        **({"initial_options": chosen} if chosen else {})},
        }],
    )


def update_modal(incident_channel: str, last_update: str = "") -> dict:
    """The update form: the incident is the one of the channel it travels with."""
    blocks = [
        _text_input(ids.IMPACT_FIELD, "Impact", "Checkout fails for about 10% of EU customers",
                    max_length=1000),
        _text_input(ids.DOING_FIELD, "What we are doing", "Rolling back the 14:05 deploy", max_length=1000),
        _text_input(ids.NEXT_FIELD, "Next update in", "30m", max_length=1000),
    ]
    if last_update:
        blocks.insert(0, {"type": "context", "elements": [
            {"type": "mrkdwn", "text": cut(f"Last update: {escape(last_update)}", 2000)}]})
    return _modal(callback_id=ids.UPDATE_CALLBACK, channel=incident_channel, title="Status update",
                  submit="Post update", blocks=blocks)


def _reason_form(*, callback_id: str, channel: str, title: str, submit: str, about: str,
                 label: str, placeholder: str, limit: int) -> dict:
    """A form that asks why, about the runbook of the channel it travels with."""
    reason = _text_input(ids.REASON_FIELD, label, placeholder, max_length=limit)
    reason["element"]["multiline"] = True
    return _modal(callback_id=callback_id, channel=channel, title=title, submit=submit, blocks=[
        {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(about, FIELD_LIMIT)}]},
        reason])


def step_failed_modal(channel: str, attached_id: int, runbook: Runbook, step: Step) -> dict:
    return _reason_form(
        callback_id=ids.step_failed_callback(attached_id, step.number), channel=channel,
        title="Step failed", submit="Mark failed",
        about=f"*{runbook.id}* step {step.number}: {escape(step.title)}. The channel hears "
              "of the failure with the reason and the runbook's escalation path.",
        label="What went wrong?", placeholder="pg_terminate_backend refused: permission denied",
        limit=FAILURE_REASON_LIMIT)


def abort_modal(channel: str, attached_id: int, runbook: Runbook) -> dict:
    return _reason_form(
        callback_id=ids.abort_callback(attached_id), channel=channel, title="Abort runbook",
        submit="Abort runbook",
        about=f"*{runbook.id}* {escape(runbook.title)}: its steps can no longer be marked "
              "once it is aborted.",
        label="Why abort it?", placeholder="Not a pool problem: the primary is out of disk",
        limit=ABORT_REASON_LIMIT)

