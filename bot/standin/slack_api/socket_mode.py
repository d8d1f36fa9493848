"""Socket Mode: the app's WebSocket, and envelopes sent down it that the app must ack."""

import asyncio
import json
import uuid

from aiohttp import web


class SocketMode:
    def __init__(self) -> None:
        self._sockets: list[web.WebSocketResponse] = []
        self._socket_acks: dict[str, asyncio.Future] = {}
        self._socket_open = asyncio.Event()

    async def socket(self, request: web.Request) -> web.WebSocketResponse:
        """The URL apps.connections.open handed out: hello first, then acks come back."""
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"type": "hello", "num_connections": len(self._sockets) + 1,
                                "connection_info": {"app_id": "A0001"}, "debug_info": {}})
        self._sockets.append(socket)
        self._socket_open.set()
        try:
            async for message in socket:
                data = json.loads(message.data) if isinstance(message.data, str) else {}
                waiter = self._socket_acks.pop(data.get("envelope_id", ""), None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(data)
        finally:
            self._sockets.remove(socket)
        return socket

    async def socket_request(self, kind: str, payload: dict, timeout: float = 5.0) -> dict:
        """Send an envelope (e.g. "slash_commands") over Socket Mode; return the app's ack."""
        await asyncio.wait_for(self._socket_open.wait(), timeout)
        envelope_id = uuid.uuid4().hex
        waiter = asyncio.get_running_loop().create_future()
        self._socket_acks[envelope_id] = waiter
        await self._sockets[-1].send_json({"envelope_id": envelope_id, "type": kind,
                                           "payload": payload, "accepts_response_payload": True,
                                           "retry_attempt": 0, "retry_reason": ""})
        return await asyncio.wait_for(waiter, timeout)

    async def close_sockets(self) -> None:
        for socket in list(self._sockets):
            await socket.close()
