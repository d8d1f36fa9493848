"""The Bolt apps: signature checks, then the listeners. They authorize without calling Slack."""

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.deps import Deps
from bot.slack.listeners import actions, commands, events, home, paging, shortcuts, statuspage, steps, views


def build_app(deps: Deps, client: AsyncWebClient) -> AsyncApp:
    """Every listener. Clicks, forms and events are acked at once and handled after."""
    app = _app(deps, client, answer_when_done=False)
    for listeners in (commands, actions, steps, views, events, shortcuts, paging, statuspage, home):
        listeners.register(app, deps)
    return app


def build_command_app(deps: Deps, client: AsyncWebClient) -> AsyncApp:
    """Slash commands over HTTP. Each acks with what it recorded, as its last act, so the
    answer goes back the moment the listener returns, not at Bolt's next look at the ack,
    which it takes every 10 ms. Anything a command does after its ack runs in the background."""
    app = _app(deps, client, answer_when_done=True)
    commands.register(app, deps)
    return app


def _app(deps: Deps, client: AsyncWebClient, *, answer_when_done: bool) -> AsyncApp:
    token = deps.settings.slack_bot_token

    async def authorize(enterprise_id: str | None, team_id: str | None,
                        **_: object) -> AuthorizeResult:
        # One workspace, one token: no auth.test per request, so a Slack outage
        # never stands between a request and its ack.
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=token)

    return AsyncApp(
        signing_secret=deps.settings.slack_signing_secret,
        client=client,
        authorize=authorize,
        process_before_response=answer_when_done,
    )
