"""The incident's call: MEETING_URL with `{channel}` and `{incident}` filled in."""

import re
from urllib.parse import quote

from bot.domain.incident import Incident

FIELDS = ("channel", "incident")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def call_link(template: str | None, incident: Incident) -> str | None:
    """One link for the whole incident: its channel's name is known before anything that
    shows the link goes out (the channel is created first in the incident's lane)."""
    if template is None:
        return None
    values = {"channel": incident.channel_name or f"inc-{incident.id}", "incident": incident.ref}
    return PLACEHOLDER.sub(lambda m: quote(values[m.group(1)], safe=""), template)
