"""The Bolt app: signature checks, then the listeners. Authorizes without calling Slack."""

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.deps import Deps
from bot.slack.listeners import actions, commands, events, home, paging, shortcuts, statuspage, steps, views


def build_app(deps: Deps, client: AsyncWebClient) -> AsyncApp:
    token = deps.settings.slack_bot_token

    async def authorize(enterprise_id: str | None, team_id: str | None,
                        **_: object) -> AuthorizeResult:
        # One workspace, one token: no auth.test per request, so a Slack outage
        # never stands between a request and its ack.
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=token)

    app = AsyncApp(
        signing_secret=deps.settings.slack_signing_secret,
        client=client,
        authorize=authorize,
        process_before_response=False,
    )
    commands.register(app, deps)
    actions.register(app, deps)
    steps.register(app, deps)
    views.register(app, deps)
    events.register(app, deps)
    shortcuts.register(app, deps)
    paging.register(app, deps)
    statuspage.register(app, deps)
    home.register(app, deps)
    return app
