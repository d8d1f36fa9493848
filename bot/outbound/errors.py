"""How a delivery says an outside system did not take a call. Anything else it raises is
a fault of ours (a bug while rendering or mapping a row): retried a few times, then parked."""

from datetime import timedelta


class Retry(Exception):
    """Not now. `after`: the system said when (a 429's Retry-After). `in_flight`: the request
    may still land, so wait for it before looking. `held`: the system is failing or answered
    with a passing error: due again as soon as it answers, or after a short backoff.
    `looked`: a look for an unanswered request found nothing yet; the next look decides."""

    def __init__(self, reason: str, *, after: timedelta | None = None, uncertain: bool = False,
                 in_flight: bool = False, held: bool = False, looked: bool = False) -> None:
        super().__init__(reason)
        self.after, self.uncertain, self.in_flight = after, uncertain or in_flight, in_flight
        self.held, self.looked = held, looked


class GiveUp(Exception):
    """The outside system will never take this call as it is: give the row up, logged and
    counted, rather than retry it for ever."""
