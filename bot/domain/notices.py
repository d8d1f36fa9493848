"""What the incident wants said in Slack, recorded in the same transaction as the change.

A notice names a message kind and carries raw facts; the Slack edge renders and
escapes them at delivery. Notices of one lane are delivered in order. A message
that is re-rendered from state (the pinned summary, a runbook message, an access
request) is refreshed in a lane of its own: however many changes queue up, one
update brings it to the state of then.
"""

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

# The summary waits this long after a change, so a burst of clicks refreshes it once.
SUMMARY_SETTLE = timedelta(seconds=1)
_INCIDENT_LANE = re.compile(r"^INC-(\d+)(?::|$)")


@dataclass
class Notice:
    kind: str
    lane: str
    payload: dict[str, Any] = field(default_factory=dict)
    # Not before this long after the change.
    settle: timedelta = timedelta(0)


def incident_lane(incident_id: int) -> str:
    return f"INC-{incident_id}"


def incident_of(lane: str) -> int | None:
    match = _INCIDENT_LANE.match(lane)
    return int(match.group(1)) if match else None


def to_channel(incident_id: int, message: str, **facts: object) -> Notice:
    """A message into the incident's own channel."""
    return Notice("post", incident_lane(incident_id), {"message": message, **facts})


def direct(incident_id: int, user_id: str, message: str, **facts: object) -> Notice:
    """A message to one person in a DM, about an incident. Each person's DMs go in order,
    in a lane of their own, so a slow or failing DM never holds up the channel."""
    return Notice("dm", f"{incident_lane(incident_id)}:dm:{user_id}",
                  {"message": message, "user": user_id, **facts})


def announce(incident_id: int, message: str, **facts: object) -> Notice:
    return Notice("announce", incident_lane(incident_id), {"message": message, **facts})


def to_executives(incident_id: int, message: str, **facts: object) -> Notice:
    """A message to EXEC_CHANNEL about an incident."""
    return Notice("tell_executives", incident_lane(incident_id), {"message": message, **facts})


def pagerduty(incident_id: int, action: str, service: str, **facts: object) -> Notice:
    """A PagerDuty event (trigger, acknowledge, resolve) for the incident's alert on `service`
    ("" for PAGERDUTY_ROUTING_KEY). One lane per incident keeps trigger → acknowledge → resolve
    in order, and apart from Slack's lanes, so neither ever waits for the other."""
    return Notice("pagerduty", f"{incident_lane(incident_id)}:pagerduty",
                  {"action": action, "service": service, **facts})


def statuspage(incident_id: int, status: str, text: str) -> Notice:
    """A public update on Statuspage (the first one opens the public incident). One lane per
    incident keeps them in order, and apart from Slack's lanes."""
    return Notice("statuspage", f"{incident_lane(incident_id)}:statuspage",
                  {"status": status, "text": text})


def commit_export(incident_id: int, path: str, message: str) -> Notice:
    """An export to commit (and push) in the git work tree that holds it. A lane of its own
    per incident: git being slow or failing holds up nothing said in Slack."""
    return Notice("export_git", f"{incident_lane(incident_id)}:git",
                  {"path": path, "message": message})


def capture(incident_id: int, channel_id: str, ts: str, **facts: object) -> Notice:
    """A message to fetch from Slack (with its permalink) and record on the timeline. Captures
    and pin checks share a lane, so a check always finds the capture it is about recorded."""
    return Notice("capture", f"{incident_lane(incident_id)}:capture",
                  {"channel": channel_id, "ts": ts, **facts})


def check_pins(incident_id: int, channel_id: str, ts: str, by: str) -> Notice:
    """A 📌 came off a captured message: ask Slack whether any is left on it."""
    return Notice("check_pins", f"{incident_lane(incident_id)}:capture",
                  {"channel": channel_id, "ts": ts, "by": by})


def refresh_summary(incident_id: int) -> Notice:
    return Notice("refresh_summary", f"{incident_lane(incident_id)}:summary", settle=SUMMARY_SETTLE)


def refresh_runbook(incident_id: int, attached_id: int, step: int | None = None) -> Notice:
    """The message(s) showing a step of an attached runbook; every step when `step` is None."""
    return Notice("refresh_runbook", f"{incident_lane(incident_id)}:runbook:{attached_id}",
                  {"attached": attached_id, "step": step})


def refresh_access(incident_id: int, request_id: int) -> Notice:
    """The request's channel message and every DM copy of it, brought to the state of then."""
    return Notice("refresh_access", f"{incident_lane(incident_id)}:access:{request_id}",
                  {"request": request_id})


def access_copy(incident_id: int, request_id: int, user_id: str) -> Notice:
    """A request's copy in an approver's DM: a lane of its own, so one person's DM failing
    holds up neither the channel nor the other approvers."""
    return Notice("post_access_copy", f"{incident_lane(incident_id)}:access:{request_id}:dm:{user_id}",
                  {"request": request_id, "user": user_id})
