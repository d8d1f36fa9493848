"""How a tracker's stand-in tells the bot that an issue changed: a signed POST, as the
tracker's webhook would send it, recorded with how the bot answered."""

import asyncio
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

import aiohttp


@dataclass
class Delivery:
    headers: dict[str, str]
    payload: dict
    status: int | None  # None: the bot could not be reached


class WebhookSender:
    """`signature_header`: where the HMAC-SHA256 of the raw body goes, as `sha256=<hex>`."""

    def __init__(self, signature_header: str) -> None:
        self.signature_header = signature_header
        self.url: str | None = None
        self.secret: str | None = None
        self.deliveries: list[Delivery] = []
        self._pending: set[asyncio.Task] = set()

    def send_to(self, url: str, secret: str | None) -> None:
        """Deliver every change to `url`, signed with `secret` (None: unsigned)."""
        self.url, self.secret = url, secret

    def later(self, payload: dict, headers: dict[str, str]) -> None:
        """Deliver in the background, as the tracker does after answering the call."""
        if self.url is None:
            return
        task = asyncio.get_running_loop().create_task(self.send(payload, headers))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def delivered(self) -> None:
        """Until every background delivery is done."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def send(self, payload: dict, headers: dict[str, str]) -> int | None:
        if self.url is None:
            return None
        raw = json.dumps(payload).encode()
        sent = {"Content-Type": "application/json", **headers}
        if self.secret is not None:
            digest = hmac.new(self.secret.encode(), raw, hashlib.sha256).hexdigest()
            sent[self.signature_header] = f"sha256={digest}"
        status: int | None
        try:
            async with aiohttp.ClientSession() as session, session.post(
                    self.url, data=raw, headers=sent,
                    timeout=aiohttp.ClientTimeout(total=10)) as response:
                status = response.status
        except (TimeoutError, aiohttp.ClientError):
            status = None
        self.deliveries.append(Delivery(sent, payload, status))
        return status


def answer_lost(request: Any) -> None:
    """Drop the connection without an answer: the request was carried out, the caller never
    hears so (a proxy timing out, a network cut)."""
    if request.transport is not None:
        request.transport.abort()
