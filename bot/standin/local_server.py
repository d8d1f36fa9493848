"""What every stand-in of an outside HTTP API shares: served on 127.0.0.1 on a free port."""

from collections import defaultdict
from typing import Any, Self

from aiohttp import web


class LocalServer:
    """Subclasses build their routes in `start` and hand the app to `_listen`; they keep
    what they answered in `received` (items with a `status`)."""

    received: list[Any]
    _runner: web.AppRunner | None = None

    async def start(self) -> str:
        raise NotImplementedError

    async def _listen(self, app: web.Application) -> int:
        """Serve `app`; the port it got."""
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        return site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr, no-any-return]  # started above

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    def statuses(self) -> dict[int, int]:
        """How many answers of each HTTP status."""
        counts: dict[int, int] = defaultdict(int)
        for received in self.received:
            counts[received.status] += 1
        return dict(counts)
