import re
from dataclasses import dataclass
from datetime import timedelta

from bot.domain.durations import format_duration

_SEVERITY = re.compile(r"^(?:sev|p)-?([1-4])$", re.IGNORECASE)


def parse_severity(text: str) -> int:
    match = _SEVERITY.match(text.strip())
    if not match:
        raise ValueError(f"'{text}' is not a severity (use sev1…sev4 or p1…p4)")
    return int(match.group(1))


def severity_label(level: int) -> str:
    return f"SEV{level}"


@dataclass(frozen=True)
class Criteria:
    name: str
    short: str  # the form's line under the option: Slack shows at most 75 characters
    when: str  # what makes an incident this severe
    response: str  # who responds, and how


# The playbook's severity levels: what each means, and the response it asks for. The times
# (acknowledge within, updates every) come from the settings, not from here.
CRITERIA = {
    1: Criteria("Critical", "Outage or data at risk for most customers, or a breach",
                "a service down or data at risk for all or most customers, a security breach, "
                "or money or data being lost now",
                "all hands and a commander at once; executives are told"),
    2: Criteria("Major", "A core feature broken for many customers, no workaround",
                "a core feature broken or badly slow for many customers, with no workaround",
                "the on-call team and a commander; executives are told if it lasts"),
    3: Criteria("Minor", "Partial degradation, few customers, a workaround exists",
                "partial degradation or few customers affected, and a workaround exists",
                "the owning team, in working hours"),
    4: Criteria("Low", "Cosmetic or internal only, no customer impact",
                "a cosmetic or internal-only problem with no customer impact",
                "the owning team's backlog"),
}


def criteria_lines(ack_deadlines: dict[int, timedelta],
                   update_intervals: dict[int, timedelta]) -> list[str]:
    """One line a level: what it means, who responds, and the deadlines this bot keeps."""
    return [f"SEV{n} {c.name}: {c.when}. {c.response[0].upper()}{c.response[1:]}; "
            f"acknowledge within {format_duration(ack_deadlines[n])}, status updates every "
            f"{format_duration(update_intervals[n])}." for n, c in CRITERIA.items()]
