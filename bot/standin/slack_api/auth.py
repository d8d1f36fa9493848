"""auth.test, api.test and apps.connections.open: who the token is, and where Socket Mode is."""

from bot.standin.slack_api.workspace import PERMALINK_BASE, Method, Workspace


def auth_test(ws: Workspace, params: dict) -> dict:
    return {"user_id": ws.bot_user_id, "team_id": ws.team_id, "bot_id": "B0001",
            "user": "incident-bot", "url": f"{PERMALINK_BASE}/"}


def api_test(ws: Workspace, params: dict) -> dict:
    return {"args": {k: v for k, v in params.items() if k != "token"}}


def connections_open(ws: Workspace, params: dict) -> dict:
    return {"url": ws.base.replace("http://", "ws://") + "/socket"}


METHODS: dict[str, Method] = {
    "auth.test": auth_test,
    "api.test": api_test,
    "apps.connections.open": connections_open,
}
