"""The incident's call: MEETING_URL with `{channel}` and `{incident}` filled in."""

import re
from urllib.parse import quote

from bot.domain.incident import Incident

FIELDS = ("channel", "incident")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def call_link(template: str | None, incident: Incident) -> str | None:
    """One link for the whole incident; none while `{channel}` names a channel not made yet
    (a page can go out before it), so no one is sent to a room the others never join."""
    if template is None or (incident.channel_name is None and "{channel}" in template):
        return None
    values = {"channel": incident.channel_name or "", "incident": incident.ref}
    return PLACEHOLDER.sub(lambda m: quote(values[m.group(1)], safe=""), template)
