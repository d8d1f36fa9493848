"""The catalog's services as an incident's record knows them."""

from collections.abc import Sequence

from bot.domain.timeline import TimelineEvent


def oncall_of(events: Sequence[TimelineEvent]) -> dict[str, list[str]]:
    """Service → the Slack users last found on call for it."""
    found: dict[str, list[str]] = {}
    for entry in events:
        if entry.action == "oncall_found":
            found[str(entry.data.get("service"))] = [str(u) for u in entry.data.get("users", [])]
    return found
