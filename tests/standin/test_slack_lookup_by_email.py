"""The person on call is matched to a Slack user by email: users.lookupByEmail, which needs
the users:read.email scope, finds them whatever the case of the address."""

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.standin.slack_api import FakeSlackAPI


async def error_of(call) -> str:
    with pytest.raises(SlackApiError) as caught:
        await call
    return caught.value.response["error"]


async def test_a_person_is_found_by_their_email():
    async with FakeSlackAPI() as slack:
        slack.add_user("U0ANN", "ann", "Ann Oncall", email="ann@acme.test")
        slack.add_user("U0BOB", "bob")
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.url, retry_handlers=[])
        found = await client.users_lookupByEmail(email="Ann@Acme.test")
        assert found["user"]["id"] == "U0ANN"
        assert found["user"]["profile"]["email"] == "ann@acme.test"
        assert await error_of(client.users_lookupByEmail(email="bob@acme.test")) == "users_not_found"
        assert await error_of(client.users_lookupByEmail(email="")) == "invalid_arguments"


async def test_without_the_email_scope_it_is_refused():
    async with FakeSlackAPI(scopes=["users:read"]) as slack:
        slack.add_user("U0ANN", "ann", email="ann@acme.test")
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.url, retry_handlers=[])
        with pytest.raises(SlackApiError) as refused:
            await client.users_lookupByEmail(email="ann@acme.test")
        assert refused.value.response["error"] == "missing_scope"
        assert refused.value.response["needed"] == "users:read.email"
