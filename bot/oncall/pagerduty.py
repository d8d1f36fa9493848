"""Who is on call now, from PagerDuty's REST API (`PAGERDUTY_API_TOKEN`, `PAGERDUTY_API_URL`).

`GET /oncalls?escalation_policy_ids[]=…&include[]=users&earliest=true` lists, for the
policy, each person's current on-call at each escalation level; the people at the lowest
level are the ones paged first, so they are "on call now" (the levels above are who it
escalates to). Answers are kept for a short while: a busy incident asks often, and
PagerDuty limits how often a key may ask.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.outbound.metrics import OutboundCalls
from bot.tickets.errors import Busy, Refused
from bot.tickets.http import RestSession

__all__ = ["Busy", "OnCall", "OnCallPerson", "Refused"]

PAGE_LIMIT = 100
# More pages than this for one policy is not a roster: stop rather than loop.
MAX_PAGES = 20


@dataclass(frozen=True)
class OnCallPerson:
    name: str
    email: str
    level: int


class OnCall(RestSession):
    system = "pagerduty"
    title = "PagerDuty"
    credential = "PAGERDUTY_API_TOKEN"

    def __init__(self, *, token: str, url: str = "https://api.pagerduty.com",
                 ttl: timedelta = timedelta(minutes=1), timeout: timedelta = timedelta(seconds=10),
                 calls: OutboundCalls | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(base=url, timeout=timeout, calls=calls)
        self.token = token
        self.ttl = ttl
        self._clock = clock
        self._kept: dict[str, tuple[float, list[OnCallPerson]]] = {}

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Token token={self.token}",
                "Accept": "application/vnd.pagerduty+json;version=2"}

    def error_text(self, body: Any) -> str:
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return ""
        words = [str(error.get("message", ""))]
        words += [str(e) for e in error.get("errors") or []]
        return ": ".join(w for w in words if w)

    async def who(self, escalation_policy_id: str) -> list[OnCallPerson]:
        """The people on call now for the policy, at its lowest escalation level; empty when
        no one is (or the policy is unknown to PagerDuty)."""
        kept = self._kept.get(escalation_policy_id)
        now = self._clock()
        if kept is not None and now - kept[0] < self.ttl.total_seconds():
            return list(kept[1])
        people = _first_level(await self._oncalls(escalation_policy_id))
        self._kept[escalation_policy_id] = (now, people)
        return list(people)

    def forget(self) -> None:
        """Ask PagerDuty again next time (a roster changed)."""
        self._kept.clear()

    async def _oncalls(self, policy: str) -> list[dict]:
        found: list[dict] = []
        offset = 0
        for _ in range(MAX_PAGES):
            answer = await self.call("oncalls", "GET", "/oncalls", params=[
                ("escalation_policy_ids[]", policy), ("include[]", "users"),
                ("earliest", "true"), ("limit", str(PAGE_LIMIT)), ("offset", str(offset))])
            body = answer.body if isinstance(answer.body, dict) else {}
            page = [o for o in body.get("oncalls") or [] if isinstance(o, dict)]
            found += page
            if not body.get("more") or not page:
                break
            offset += len(page)
        return found


def _first_level(oncalls: list[dict]) -> list[OnCallPerson]:
    levels = [o["escalation_level"] for o in oncalls if isinstance(o.get("escalation_level"), int)]
    if not levels:
        return []
    lowest = min(levels)
    people: dict[str, OnCallPerson] = {}
    for oncall in oncalls:
        user = oncall.get("user")
        if oncall.get("escalation_level") != lowest or not isinstance(user, dict):
            continue
        # With include[]=users the user is the whole record; without it only a reference.
        email = user.get("email")
        if not isinstance(email, str) or not email:
            continue
        name = user.get("name") or user.get("summary") or email
        people.setdefault(email.lower(), OnCallPerson(str(name), email, lowest))
    return list(people.values())
