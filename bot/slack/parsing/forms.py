"""A submitted form's state → the request it makes, or FormErrors naming each field to fix."""

from bot.domain.channel_names import normalize_slug
from bot.domain.durations import parse_duration
from bot.domain.severity import parse_severity
from bot.slack import ids
from bot.slack.parsing.requests import AbortForm, DeclareForm, StepFailedForm, UpdateForm


class FormErrors(ValueError):
    """What is wrong, by the block_id of the field it is wrong in; the form stays open."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__(errors)


def field(state: dict, block_id: str) -> str:
    """A field's answer as text: checkboxes give their values joined by commas."""
    element = state.get(block_id, {}).get(ids.INPUT, {})
    if element.get("type") == "checkboxes":
        return ",".join(o.get("value", "") for o in element.get("selected_options") or [])
    if element.get("type") == "static_select":
        return (element.get("selected_option") or {}).get("value", "")
    return (element.get("value") or "").strip()


def declare_form(state: dict) -> DeclareForm:
    errors = {}
    severity = 0
    try:
        severity = parse_severity(field(state, ids.SEVERITY_FIELD))
    except ValueError:
        errors[ids.SEVERITY_FIELD] = "Pick a severity."
    slug = normalize_slug(field(state, ids.SLUG_FIELD))
    if not slug:
        errors[ids.SLUG_FIELD] = "Use letters, digits and dashes, e.g. db-outage."
    if errors:
        raise FormErrors(errors)
    options = field(state, ids.OPTIONS_FIELD).split(",")
    return DeclareForm(severity, slug, field(state, ids.TITLE_FIELD),
                       field(state, ids.RUNBOOK_FIELD), private=ids.PRIVATE_OPTION in options,
                       drill=ids.DRILL_OPTION in options, service=field(state, ids.SERVICE_FIELD),
                       kind=field(state, ids.TYPE_FIELD))


def update_form(state: dict) -> UpdateForm:
    impact, doing = field(state, ids.IMPACT_FIELD), field(state, ids.DOING_FIELD)
    errors = {block: "Say something here." for block, value in
              ((ids.IMPACT_FIELD, impact), (ids.DOING_FIELD, doing)) if not value}
    next_text = field(state, ids.NEXT_FIELD)
    try:
        next_in = parse_duration(next_text)
    except ValueError:
        errors[ids.NEXT_FIELD] = "A duration, e.g. 30m, 1h or 1h30m."
    if errors:
        raise FormErrors(errors)
    return UpdateForm(impact, doing, next_in, next_text)


def _reason(state: dict) -> str:
    reason = field(state, ids.REASON_FIELD)
    if not reason:  # blanks only: Slack lets them through a required field
        raise FormErrors({ids.REASON_FIELD: "Say why."})
    return reason


def step_failed_form(callback_id: str, state: dict) -> StepFailedForm:
    attached_id, number = ids.read_step_failed_callback(callback_id)
    return StepFailedForm(attached_id, number, _reason(state))


def abort_form(callback_id: str, state: dict) -> AbortForm:
    return AbortForm(ids.read_abort_callback(callback_id), _reason(state))
