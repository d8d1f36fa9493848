"""The yardstick for bench/load: the smallest honest Bolt bot that does what `/incident log` does.

Slack Bolt's AsyncApp on aiohttp (`POST /slack/events`, `GET /healthz`), one command:
`/incident log <text>` acks "Logged." at once, keeps the line in a SQLite file, then posts
it into the command's channel. Configured like incident-bot, from the environment:
SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_API_URL, PORT, DATABASE (a file path).

    python bench/reference_bot.py
"""

import os
import sqlite3
import time

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

USAGE = "Usage: `/incident log <text>`"


def open_database(path: str) -> sqlite3.Connection:
    # Autocommit: each insert is its own transaction, as each log line is its own record.
    db = sqlite3.connect(path, isolation_level=None)
    # WAL with synchronous=NORMAL, as SQLite recommends for a service (and as incident-bot runs):
    # commits do not block readers and skip an fsync each.
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE IF NOT EXISTS log (id INTEGER PRIMARY KEY, at REAL NOT NULL,"
               " channel TEXT NOT NULL, user TEXT NOT NULL, text TEXT NOT NULL)")
    return db


def build_bolt(db: sqlite3.Connection) -> AsyncApp:
    client = AsyncWebClient(token=os.environ["SLACK_BOT_TOKEN"],
                            base_url=os.environ.get("SLACK_API_URL", "https://slack.com/api/"))
    app = AsyncApp(signing_secret=os.environ["SLACK_SIGNING_SECRET"], client=client)

    @app.command("/incident")
    async def incident(ack: AsyncAck, command: dict, client: AsyncWebClient) -> None:
        verb, _, text = command.get("text", "").strip().partition(" ")
        if verb != "log" or not text.strip():
            await ack(response_type="ephemeral", text=USAGE)
            return
        await ack(response_type="ephemeral", text="Logged.")
        db.execute("INSERT INTO log (at, channel, user, text) VALUES (?, ?, ?, ?)",
                   (time.time(), command["channel_id"], command["user_id"], text))
        await client.chat_postMessage(channel=command["channel_id"],
                                      text=f"{command.get('user_name', '')}: {text}")

    return app


def build_web(bolt: AsyncApp, db: sqlite3.Connection) -> web.Application:
    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def healthz(_: web.Request) -> web.Response:
        db.execute("SELECT 1").fetchone()
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/slack/events", events)
    app.router.add_get("/healthz", healthz)
    return app


def main() -> None:
    db = open_database(os.environ.get("DATABASE", "reference-bot.db"))
    web.run_app(build_web(build_bolt(db), db), host="127.0.0.1",
                port=int(os.environ.get("PORT", "3000")), access_log=None, print=None)


if __name__ == "__main__":
    main()
