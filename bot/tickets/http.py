"""One JSON-over-HTTP session to an outside REST API, every answer sorted and counted.

2xx is taken. 429, 5xx, timeouts and refused connections are `Busy` (a 5xx or no answer may
have been carried out); every other answer is `Refused`, with the system's own words and,
for 401 and 403, the setting that holds the credentials.
"""

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp

from bot.outbound.metrics import OutboundCalls
from bot.tickets.errors import Busy, Refused

# When a 429 or a rate-limited 403 says nothing of when, wait this long (GitHub's advice).
DEFAULT_WAIT = timedelta(minutes=1)


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    headers: Mapping[str, str]


class RestSession:
    """Subclasses say who they are (`system`, `title`), how they sign in (`headers`), what
    setting holds the credentials (`credential`) and how the system words its errors
    (`error_text`); `rate_limited` says when an answer other than 429 is a rate limit."""

    system = ""
    title = ""
    credential = ""

    def __init__(self, *, base: str, timeout: timedelta, calls: OutboundCalls | None) -> None:
        self.base = base.rstrip("/")
        self.timeout = timeout
        self.calls = calls or OutboundCalls()
        self._session: aiohttp.ClientSession | None = None

    def headers(self) -> dict[str, str]:
        raise NotImplementedError

    def error_text(self, body: Any) -> str:
        return ""

    def rate_limited(self, answer: Answer) -> bool:
        return answer.status == 429

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(self, call: str, method: str, path: str, *, ok: tuple[int, ...] = (),
                   **kwargs: Any) -> Answer:
        """`ok`: answers other than 2xx that this call takes as an answer (a 404 that means
        "not there"), returned rather than refused."""
        with self.calls.counting(self.system, call, retry=Busy, refused=Refused):
            answer = await self._send(call, method, path, **kwargs)
            if 200 <= answer.status < 300 or answer.status in ok:
                return answer
            raise self._refusal(call, answer)

    async def _send(self, call: str, method: str, path: str, **kwargs: Any) -> Answer:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        try:
            async with self._session.request(
                    method, self.base + path, headers=self.headers(),
                    timeout=aiohttp.ClientTimeout(total=self.timeout.total_seconds()),
                    **kwargs) as response:
                try:
                    body = await response.json(content_type=None)
                except ValueError:
                    body = None
                return Answer(response.status, body, dict(response.headers))
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise Busy(f"{self.title} {call}: no answer ({type(exc).__name__})",
                       in_flight=True) from None

    def _refusal(self, call: str, answer: Answer) -> Exception:
        said = self.error_text(answer.body)
        reason = f"{self.title} {call}: HTTP {answer.status}" + (f" {said}" if said else "")
        if self.rate_limited(answer):
            return Busy(reason, wait(answer.headers) or DEFAULT_WAIT)
        if answer.status >= 500:
            return Busy(reason, wait(answer.headers), maybe_applied=True)
        if answer.status == 401:
            return Refused(f"{reason} — {self.title} does not accept {self.credential}")
        if answer.status == 403:
            return Refused(f"{reason} — {self.credential} lacks a permission this needs")
        return Refused(reason)


def wait(headers: Mapping[str, str]) -> timedelta | None:
    """How long the answer says to wait: `Retry-After` in seconds, or GitHub's
    `x-ratelimit-reset` (epoch seconds) once `x-ratelimit-remaining` is 0."""
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        if lowered.get("retry-after"):
            return timedelta(seconds=max(0.0, float(lowered["retry-after"])))
        if lowered.get("x-ratelimit-remaining") == "0" and lowered.get("x-ratelimit-reset"):
            return timedelta(seconds=max(0.0, float(lowered["x-ratelimit-reset"]) - time.time()))
    except ValueError:
        return None
    return None
