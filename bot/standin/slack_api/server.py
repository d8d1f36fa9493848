"""The stand-in served over HTTP: `/api/{method}` as Slack answers it, and the side routes.

Each call meets the faults first, then the token and its scopes, then the method itself;
every call is recorded with how it was answered.
"""

import asyncio
import time
from collections.abc import Iterable

from aiohttp import web

from bot.standin.slack_api import files, params
from bot.standin.slack_api.faults import Faults
from bot.standin.slack_api.methods import METHODS
from bot.standin.slack_api.records import Call, SlackError
from bot.standin.slack_api.scopes import check_scope
from bot.standin.slack_api.socket_mode import SocketMode
from bot.standin.slack_api.workspace import Workspace


class FakeSlackAPI(Workspace, Faults, SocketMode):
    def __init__(self, *, bot_user_id: str = "UBOT", bot_token: str = "xoxb-standin",
                 app_token: str = "xapp-standin", team_id: str = "T0001",
                 latency: float = 0.0, scopes: Iterable[str] | None = None) -> None:
        Workspace.__init__(self, bot_user_id=bot_user_id, team_id=team_id)
        Faults.__init__(self)
        SocketMode.__init__(self)
        self.bot_token, self.app_token = bot_token, app_token
        # Tokens Slack no longer takes (the app uninstalled, the token rotated out).
        self.revoked: set[str] = set()
        # The bot token's scopes (None: every scope): a method needing another is refused
        # with `missing_scope`, as Slack refuses an app whose manifest forgot it.
        self.scopes = None if scopes is None else set(scopes)
        # Every Web API answer takes this long, as real Slack's do (about 250 ms).
        self.latency = latency
        self.calls: list[Call] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    # lifecycle ---------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/response/{key}", self._response)
        app.router.add_get("/socket", self.socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # started above
        self.base = f"http://127.0.0.1:{port}"
        self.url = f"{self.base}/api/"
        return self.url

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await self.close_sockets()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> "FakeSlackAPI":
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    # routes ------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        arguments = await params.read(request)
        fault = self.next_fault(method)
        if self.latency:
            await asyncio.sleep(self.latency)
        if fault is not None and self.is_outage(fault) and fault.delay:
            # Slack catching up: what hung during the outage is handled when it ends.
            await self.until_restored(fault.delay)
        elif fault and fault.delay:
            await asyncio.sleep(fault.delay)
        if fault and fault.status:
            self._log(method, arguments, fault.status, False,
                      "ratelimited" if fault.status == 429 else None)
            if fault.status == 429:
                return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                         headers={"Retry-After": str(int(fault.retry_after))})
            return web.Response(status=fault.status, text="upstream error")
        try:
            if fault and fault.error:
                raise SlackError(fault.error)
            if method != "api.test":  # the one method that needs no token
                self._authorize(request, arguments,
                                self.app_token if method == "apps.connections.open" else self.bot_token)
            handler = METHODS.get(method)
            if handler is None:
                raise SlackError("unknown_method")
            check_scope(method, arguments, granted=self.scopes, channels=self.channels)
            body = {"ok": True, **handler(self, arguments)}
        except SlackError as exc:
            body = {"ok": False, "error": exc.error, **exc.extra}
        self._log(method, arguments, 200, body["ok"], body.get("error"))
        return web.json_response(body)

    async def _upload(self, request: web.Request) -> web.Response:
        return await files.receive(self, request)

    async def _response(self, request: web.Request) -> web.Response:
        self.responses.append({"key": request.match_info["key"], **await request.json()})
        return web.Response(text="ok")

    def _log(self, method: str, arguments: dict, status: int, ok: bool | None,
             error: str | None) -> None:
        self.calls.append(Call(method, arguments, status, ok, error, time.time()))

    def revoke(self, token: str) -> None:
        """Every call with `token` is refused from now on with token_revoked, as Slack does
        once the app is uninstalled from the workspace."""
        self.revoked.add(token)

    def _authorize(self, request: web.Request, arguments: dict, expected: str) -> None:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header else arguments.get("token", "")
        if not token:
            raise SlackError("not_authed")
        if token in self.revoked:
            raise SlackError("token_revoked")
        if token != expected:
            raise SlackError("invalid_auth")
