"""Every action_id, block_id and callback_id the bot puts in Slack and reads back.

What is rendered and what a listener matches must agree to the character: a button whose
id no listener knows does nothing when clicked. Each patterned id has the function that
builds it and the pattern (or reader) that takes it apart side by side. Pure: no Slack import.
"""

import re
from dataclasses import dataclass

# Slash commands, as manifest.yml declares them.
INCIDENT_COMMAND = "/incident"
APPROVE_COMMAND = "/approve"

# Message shortcuts: callback_ids as manifest.yml declares them.
ADD_TO_TIMELINE = "add_to_timeline"
SHORTCUTS = (ADD_TO_TIMELINE,)

# Buttons with one action_id each; the button's value names what they act on.
JOIN = "incident_join"  # value: the incident id
ACCESS_APPROVE = "access_approve"  # value: the access request id
ACCESS_DENY = "access_deny"
ACCESS_EXTEND = "access_extend"
ACCESS_REVOKE = "access_revoke"
ACCESS_BUTTONS = (ACCESS_APPROVE, ACCESS_DENY, ACCESS_EXTEND, ACCESS_REVOKE)
STATUSPAGE_RESOLVE = "statuspage_resolve"  # value: the incident id
STATUSPAGE_KEEP_OPEN = "statuspage_keep_open"


def notice_block(kind: str, value: str) -> str:
    """The row of buttons under a notice (a page, an expiry warning…): its kind and value."""
    return f"{kind}:{value}"


def access_block(request_id: int) -> str:
    """Approve / Deny under an access request in the channel or a DM."""
    return f"access:{request_id}"


def home_access_block(value: str) -> str:
    """Approve / Deny under a request waiting for the person on their App Home."""
    return f"home_access:{value}"


# Runbook steps: a section, a row of buttons and a status badge per step.
STEP_CLICKS = ("started", "done", "failed", "skipped", "check", "snapshot", "access")
STEP_PARTS = ("text", "buttons", "status")


@dataclass(frozen=True)
class StepClick:
    """A click on a step's button: which attached runbook, which step, which button."""

    attached_id: int
    number: int
    click: str  # one of STEP_CLICKS


def step_action(attached_id: int, number: int, click: str) -> str:
    return f"step:{attached_id}:{number}:{click}"


STEP_ACTION = re.compile(rf"^step:(\d+):(\d+):({'|'.join(STEP_CLICKS)})$")


def read_step_action(action_id: str) -> StepClick:
    """The click a step button's action_id names; ValueError for any other id."""
    match = STEP_ACTION.match(action_id)
    if not match:
        raise ValueError(f"not a step button: {action_id!r}")
    return StepClick(int(match[1]), int(match[2]), match[3])


def step_block(attached_id: int, number: int, part: str) -> str:
    """One of a step's blocks; `part` is one of STEP_PARTS."""
    return f"step:{attached_id}:{number}:{part}"


STEP_BLOCK = re.compile(rf"^step:(\d+):(\d+):({'|'.join(STEP_PARTS)})$")


def abort_action(attached_id: int) -> str:
    """Abort runbook, under the runbook's first message."""
    return f"runbook:{attached_id}:abort"


ABORT_ACTION = re.compile(r"^runbook:(\d+):abort$")


def read_abort_action(action_id: str) -> int:
    """The attached runbook an Abort button names; ValueError for any other id."""
    match = ABORT_ACTION.match(action_id)
    if not match:
        raise ValueError(f"not an abort button: {action_id!r}")
    return int(match[1])


def runbook_controls_block(attached_id: int) -> str:
    return f"runbook:{attached_id}:controls"


# Forms. Each input is a block named for its field; its element's action_id is INPUT.
DECLARE_CALLBACK = "declare_incident"
UPDATE_CALLBACK = "status_update_form"
INPUT = "value"
SEVERITY_FIELD = "severity"  # the declare form's
SLUG_FIELD = "slug"
TITLE_FIELD = "title"
RUNBOOK_FIELD = "runbook"
SERVICE_FIELD = "service"
TYPE_FIELD = "incident_type"
OPTIONS_FIELD = "private"  # checkboxes: PRIVATE_OPTION and DRILL_OPTION
PRIVATE_OPTION = "private"
DRILL_OPTION = "drill"
IMPACT_FIELD = "impact"  # the update form's
DOING_FIELD = "doing"
NEXT_FIELD = "next"
REASON_FIELD = "reason"  # the forms asking why a step failed or a runbook was aborted


# The forms asking why name what they are about in their callback_id.
def step_failed_callback(attached_id: int, number: int) -> str:
    return f"step_failed:{attached_id}:{number}"


STEP_FAILED_CALLBACK = re.compile(r"^step_failed:(\d+):(\d+)$")


def read_step_failed_callback(callback_id: str) -> tuple[int, int]:
    """The attached runbook and the step a step-failed form is about."""
    match = STEP_FAILED_CALLBACK.match(callback_id)
    if not match:
        raise ValueError(f"not a step-failed form: {callback_id!r}")
    return int(match[1]), int(match[2])


def abort_callback(attached_id: int) -> str:
    return f"runbook_abort:{attached_id}"


ABORT_CALLBACK = re.compile(r"^runbook_abort:(\d+)$")


def read_abort_callback(callback_id: str) -> int:
    """The attached runbook an abort form is about."""
    match = ABORT_CALLBACK.match(callback_id)
    if not match:
        raise ValueError(f"not an abort form: {callback_id!r}")
    return int(match[1])


# Long posts are cut into sections named in order; packing joins the short ones again.
LINES_BLOCK_PREFIX = "lines"


def lines_block(n: int) -> str:
    return f"{LINES_BLOCK_PREFIX}{n}"
