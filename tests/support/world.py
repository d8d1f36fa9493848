"""A running bot between a stand-in Slack Web API and a sender of signed Slack requests."""

from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from bot.config import load_settings
from bot.runtime import BotRuntime
from bot.slack.server import EVENTS_PATH
from bot.standin.slack_api import FakeSlackAPI
from bot.standin.slack_sender import SlackSender
from tests.support.bolt_dispatch import InProcessSender
from tests.support.waiting import eventually

SIGNING_SECRET = "test-signing-secret"
SHIPPED_RUNBOOKS = Path(__file__).resolve().parents[2] / "runbooks"
MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


def manifest_scopes() -> list[str]:
    """The bot token scopes the app asks for: the stand-in grants these and no others."""
    return yaml.safe_load(MANIFEST.read_text())["oauth_config"]["scopes"]["bot"]
ALICE, BOB, CAROL, DAVE, MALLORY = "U0ALICE", "U0BOB", "U0CAROL", "U0DAVE", "U0MALLORY"


@dataclass
class World:
    slack: FakeSlackAPI
    bot: BotRuntime
    sender: SlackSender
    export_dir: Path
    ops: str
    stopped: bool = field(default=False, init=False)

    async def stop(self) -> None:
        """The bot goes down (a restart, a crash); Slack stays up for the next one."""
        if not self.stopped:
            self.stopped = True
            await self.bot.stop()

    async def incident(self, text: str, *, user: str = ALICE, channel: str | None = None):
        """Run `/incident <text>` and return Slack's view of the answer."""
        return await self.sender.slash("/incident", text, user=user, channel=channel or self.ops)

    async def form(self, text: str, **kwargs: Any) -> tuple[Any, dict]:
        """Run `/incident <text>` that opens a form, and return the answer and the form
        (the bot opens it beside its answer, so it may show a moment later)."""
        before = len(self.slack.views)
        response = await self.incident(text, **kwargs)
        opened = await self.opened(before)
        return response, opened["view"] if "view" in opened else opened

    async def opened(self, before: int) -> dict:
        """The `views.open` call after the first `before`, once the bot has made it."""
        async def shown() -> bool:
            return len(self.slack.views) > before

        await eventually(shown)
        return self.slack.views[-1]

    async def delivered(self) -> None:
        await self.bot.delivery.drain(timeout=20)

    async def declare(self, text: str = "sev1 db-outage Primary DB down", user: str = ALICE) -> str:
        """Declare, let the bot open the channel, and return the channel id."""
        response = await self.incident(f"declare {text}", user=user)
        assert response.status == 200, response.body
        await self.delivered()
        return (await self.incidents())[-1].channel_id

    async def incidents(self):
        async with self.bot.store.transaction() as tx:
            return await tx.incidents()

    async def record(self, incident_id: int = 1):
        async with self.bot.store.transaction() as tx:
            return await tx.record(incident_id)

    def posted(self, channel: str) -> list[str]:
        return [m.shown for m in self.slack.messages(channel)]


# Posts to one channel are paced at Slack's one a second in production; stories that are not
# about pacing need not wait for it (tests/slack/test_busy_incident.py keeps the real pace).
TEST_PACE = timedelta(milliseconds=200)


async def standin_slack() -> FakeSlackAPI:
    """The workspace every story starts in: five people, all in #ops."""
    slack = FakeSlackAPI(scopes=manifest_scopes())
    await slack.start()
    for user_id, name in ((ALICE, "alice"), (BOB, "bob"), (CAROL, "carol"), (DAVE, "dave"),
                          (MALLORY, "mallory")):
        slack.add_user(user_id, name)
    slack.add_channel("ops", creator=ALICE, members=[ALICE, BOB, CAROL, DAVE, MALLORY])
    return slack


async def start_world(database_url: str, tmp_path: Path, *, slack: FakeSlackAPI | None = None,
                      clock=None, pace: timedelta = TEST_PACE, over_http: bool = False,
                      **settings: object) -> World:
    """A bot on `database_url`; pass `slack` to put a second bot (a replica, a restart)
    in front of the same Slack. Slack's requests reach it in process unless `over_http`."""
    if slack is None:
        slack = await standin_slack()
    ops = slack.channel_by_name("ops").id
    empty_runbooks = tmp_path / "no-runbooks"
    empty_runbooks.mkdir(exist_ok=True)
    config = load_settings(**{
        "slack_bot_token": slack.bot_token, "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": slack.url, "database_url": database_url,
        "export_dir": tmp_path / "incidents", "slack_timeout": timedelta(seconds=1),
        "slack_app_token": "", "announce_channel": "", "runbooks_dir": empty_runbooks,
        "catalog_dir": tmp_path / "no-catalog", "approvers": f"{DAVE},{CAROL}",
        **settings,
    })
    bot = BotRuntime(config, clock=clock, max_backoff=timedelta(milliseconds=200),
                     tick=timedelta(milliseconds=200), pace=pace)
    await bot.start(host="127.0.0.1", port=0)
    sender: SlackSender
    if over_http:
        sender = SlackSender(events_url=f"{bot.url}{EVENTS_PATH}", signing_secret=SIGNING_SECRET,
                             api=slack)
    else:
        sender = InProcessSender(bot, signing_secret=SIGNING_SECRET, api=slack)
    return World(slack, bot, sender, tmp_path / "incidents", ops)


async def stop_world(world: World, *, keep_slack: bool = False) -> None:
    await world.stop()
    if not keep_slack:
        await world.slack.stop()


class Worlds:
    """The bots a story starts, each stopped when it ends: the last started first, and each
    Slack after every bot in front of it."""

    def __init__(self, database_url: str, tmp_path: Path, *, over_http: bool = False) -> None:
        self.database_url, self.tmp_path, self.over_http = database_url, tmp_path, over_http
        self._stops = AsyncExitStack()

    async def start(self, *, slack: FakeSlackAPI | None = None, **settings: Any) -> World:
        if slack is None:
            slack = await standin_slack()
            self._stops.push_async_callback(slack.stop)
        settings.setdefault("over_http", self.over_http)
        world = await start_world(self.database_url, self.tmp_path, slack=slack, **settings)
        self._stops.push_async_callback(world.stop)
        return world

    async def stop(self) -> None:
        await self._stops.aclose()


MakeWorld = Callable[..., Awaitable[World]]
