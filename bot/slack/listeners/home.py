"""The App Home tab: where things stand for the person looking, published when they open it
and again after they act from it."""

import logging

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.services import listing
from bot.slack.deps import Deps
from bot.slack.overview import home_view

log = logging.getLogger(__name__)


async def publish(deps: Deps, client: AsyncWebClient, user_id: str, note: str = "") -> None:
    """A read of the record shown to one person: if Slack fails, nothing is owed, and the
    next time they open the tab it is published again."""
    view = home_view(await listing.home(deps.store, user_id=user_id, policy=deps.policy),
                     note=note)
    try:
        await client.views_publish(user_id=user_id, view=view)
    except Exception:
        log.warning("could not publish the App Home of %s", user_id, exc_info=True)


def register(app: AsyncApp, deps: Deps) -> None:
    @app.event("app_home_opened")
    async def home_opened(event: dict, client: AsyncWebClient) -> None:
        if event.get("tab", "home") == "home":
            await publish(deps, client, event["user"])
