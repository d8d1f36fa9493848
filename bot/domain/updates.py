"""A status update composed from the update form's fields, so every update reads the same."""

from datetime import datetime, timedelta

_UNITS = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))


def spoken(value: timedelta) -> str:
    """`30 min`, `1 h 30 min`, `2 d`: a duration as a sentence says it."""
    seconds, parts = int(value.total_seconds()), []
    for unit, size in _UNITS:
        if seconds >= size:
            parts.append(f"{seconds // size} {unit}")
            seconds %= size
    return " ".join(parts) or "0 s"


def compose(*, impact: str, doing: str, next_in: timedelta, now: datetime) -> str:
    """One line: what stakeholders need, and when they hear next (as a time, since the
    message is read later than it is written)."""
    by = now + next_in
    when = f"{by:%H:%M} UTC" if by.date() == now.date() else f"{by:%Y-%m-%d %H:%M} UTC"
    return f"*Impact:* {impact} *Now:* {doing} *Next update:* in {spoken(next_in)} (by {when})"
