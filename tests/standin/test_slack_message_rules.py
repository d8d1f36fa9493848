"""What people say, and their reactions, as the stand-in shows them through the real SDK client."""

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.standin.slack_api import FakeSlackAPI


@pytest.fixture
async def slack():
    async with FakeSlackAPI() as api:
        api.add_user("U1", "alice")
        yield api


@pytest.fixture
def client(slack) -> AsyncWebClient:
    return AsyncWebClient(token=slack.bot_token, base_url=slack.url, timeout=1, retry_handlers=[])


async def error_of(call) -> str:
    with pytest.raises(SlackApiError) as caught:
        await call
    return caught.value.response["error"]


async def test_a_reply_is_found_through_its_thread_and_history_keeps_to_the_channel(client, slack):
    channel = (await client.conversations_create(name="talk"))["channel"]["id"]
    parent = slack.say(channel, "U1", "first")
    reply = slack.say(channel, "U1", "second", thread_ts=parent, files=["log.txt"])
    later = slack.say(channel, "U1", "third", thread_ts=parent)

    thread = await client.conversations_replies(channel=channel, ts=reply, oldest=reply,
                                                inclusive=True, limit=2)
    assert [m["ts"] for m in thread["messages"]] == [parent, reply] and thread["has_more"]
    assert thread["messages"][1]["files"][0]["permalink"].startswith("https://standin.slack.test/")
    exclusive = await client.conversations_replies(channel=channel, ts=parent, oldest=reply)
    assert [m["ts"] for m in exclusive["messages"]] == [parent, later]

    one = await client.conversations_history(channel=channel, latest=parent, inclusive=True, limit=1)
    assert [m["text"] for m in one["messages"]] == ["first"]
    assert (await client.conversations_history(channel=channel, latest=parent))["messages"] == []
    assert await error_of(client.conversations_replies(channel=channel, ts="1.0")) == \
        "thread_not_found"


async def test_permalinks_name_the_message_and_a_reply_its_thread(client, slack):
    channel = (await client.conversations_create(name="links"))["channel"]["id"]
    parent = slack.say(channel, "U1", "first")
    reply = slack.say(channel, "U1", "second", thread_ts=parent)
    link = (await client.chat_getPermalink(channel=channel, message_ts=parent))["permalink"]
    assert link == f"https://standin.slack.test/archives/{channel}/p{parent.replace('.', '')}"
    threaded = (await client.chat_getPermalink(channel=channel, message_ts=reply))["permalink"]
    assert threaded.endswith(f"?thread_ts={parent}&cid={channel}")
    assert await error_of(client.chat_getPermalink(channel=channel, message_ts="1.0")) == \
        "message_not_found"
    assert await error_of(client.chat_getPermalink(channel="C404", message_ts=parent)) == \
        "channel_not_found"


async def test_reactions_are_per_person_and_read_with_reactions_get(client, slack):
    slack.add_user("U2", "bob")
    channel = (await client.conversations_create(name="pins"))["channel"]["id"]
    ts = slack.say(channel, "U1", "pin me")
    added = slack.react(channel, ts, "U2", "pushpin")
    assert added == {"type": "reaction_added", "user": "U2", "reaction": "pushpin",
                     "item_user": "U1", "item": {"type": "message", "channel": channel, "ts": ts}}
    slack.react(channel, ts, "U1", "pushpin")
    slack.unreact(channel, ts, "U2", "pushpin")
    got = await client.reactions_get(channel=channel, timestamp=ts, full=True)
    assert got["message"]["reactions"] == [{"name": "pushpin", "users": ["U1"], "count": 1}]
    slack.unreact(channel, ts, "U1", "pushpin")
    got = await client.reactions_get(channel=channel, timestamp=ts)
    assert "reactions" not in got["message"]
    assert await error_of(client.reactions_get(channel=channel, timestamp="1.0")) == \
        "message_not_found"
    assert await error_of(client.reactions_get(channel=channel)) == "no_item_specified"


async def test_reading_reactions_needs_reactions_read():
    async with FakeSlackAPI(scopes=["chat:write", "channels:manage"]) as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.url)
        channel = (await client.conversations_create(name="scoped"))["channel"]["id"]
        ts = slack.say(channel, "U1", "hello")
        with pytest.raises(SlackApiError) as refused:
            await client.reactions_get(channel=channel, timestamp=ts)
        assert refused.value.response["needed"] == "reactions:read"
