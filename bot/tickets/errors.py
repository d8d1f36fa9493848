"""How an outside system's answer sorts: taken, `Busy` (not now) or `Refused` (never)."""

from datetime import timedelta


class Busy(Exception):
    """Not taken now; try again, after `after` when the system said how long.
    `maybe_applied`: the request may have been carried out although no answer said so;
    `in_flight`: it went unanswered and may still land, so wait before looking for it."""

    def __init__(self, reason: str, after: timedelta | None = None,
                 maybe_applied: bool = False, in_flight: bool = False) -> None:
        super().__init__(reason)
        self.after = after
        self.maybe_applied = maybe_applied or in_flight
        self.in_flight = in_flight


class Refused(Exception):
    """The system will never take this request as it is: a setting or a permission a person
    must fix, or a request it says is wrong. The message names the setting when one is."""
