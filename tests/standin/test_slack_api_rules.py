"""The stand-in holds the bot to Slack's rules; these prove it does, through the real SDK client."""

import asyncio

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.standin.slack_api import FakeSlackAPI
from tests.support.waiting import eventually


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


@pytest.mark.parametrize(("name", "error"), [
    ("", "invalid_name_required"),
    ("x" * 81, "invalid_name_maxlength"),
    ("Upper", "invalid_name_specials"),
    ("with space", "invalid_name_specials"),
    ("dots.here", "invalid_name_specials"),
    ("---", "invalid_name_punctuation"),
])
async def test_channel_names_slack_refuses(client, name, error):
    assert await error_of(client.conversations_create(name=name)) == error


async def test_a_taken_name_is_refused_and_an_80_character_name_is_fine(client, slack):
    slack.add_channel("general")
    assert await error_of(client.conversations_create(name="general")) == "name_taken"
    created = await client.conversations_create(name="x" * 80)
    assert created["channel"]["creator"] == slack.bot_user_id


async def test_a_bot_cannot_post_where_it_is_not_a_member(client, slack):
    elsewhere = slack.add_channel("elsewhere")
    assert await error_of(client.chat_postMessage(channel=elsewhere, text="hi")) == "not_in_channel"
    await client.conversations_join(channel=elsewhere)
    assert (await client.chat_postMessage(channel=elsewhere, text="hi"))["ok"]


@pytest.mark.parametrize(("blocks", "pointer"), [
    ([{"type": "divider"}] * 51, "/blocks"),
    ([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}], "/blocks/0/text/text"),
    ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "ok"},
                                     {"type": "mrkdwn", "text": "x" * 2001}]}],
     "/blocks/0/fields/1/text"),
    ([{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}], "/blocks/0/text/text"),
    ([{"type": "actions", "elements": [{"type": "button", "action_id": "a",
                                        "text": {"type": "plain_text", "text": "x" * 76}}]}],
     "/blocks/0/elements/0/text/text"),
    ([{"type": "actions", "elements": [{"type": "button", "action_id": "a" * 256,
                                        "text": {"type": "plain_text", "text": "ok"}}]}],
     "/blocks/0/elements/0/action_id"),
    ([{"type": "divider", "block_id": "b" * 256}], "/blocks/0/block_id"),
    ([{"type": "divider", "block_id": "same"}, {"type": "divider", "block_id": "same"}],
     "/blocks/1/block_id"),
    ([{"type": "marquee"}], "/blocks/0/type"),
])
async def test_block_kit_limits(client, slack, blocks, pointer):
    channel = (await client.conversations_create(name="limits"))["channel"]["id"]
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel=channel, text="t", blocks=blocks)
    assert caught.value.response["error"] == "invalid_blocks"
    assert f"[json-pointer:{pointer}]" in caught.value.response["response_metadata"]["messages"][0]


async def test_text_right_at_the_limits_is_taken(client, slack):
    channel = (await client.conversations_create(name="at-limits"))["channel"]["id"]
    await client.chat_postMessage(channel=channel, text="t", blocks=[
        {"type": "header", "text": {"type": "plain_text", "text": "h" * 150}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "s" * 3000}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2000}]}])
    assert len(slack.messages(channel)) == 1


async def test_a_message_whose_blocks_pass_about_13k_characters_is_refused(client, slack):
    channel = (await client.conversations_create(name="big"))["channel"]["id"]
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 2900}}
    assert await error_of(client.chat_postMessage(channel=channel, text="t",
                                                  blocks=[section] * 5)) == "msg_blocks_too_long"
    await client.chat_postMessage(channel=channel, text="t", blocks=[section] * 4)


async def test_every_answer_takes_the_latency_asked_for():
    async with FakeSlackAPI(latency=0.3) as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.url, retry_handlers=[])
        started = asyncio.get_running_loop().time()
        assert (await client.api_test())["ok"]  # api.test needs no token, even here
        assert asyncio.get_running_loop().time() - started >= 0.3


async def test_calls_that_hang_in_an_outage_land_when_it_ends(client, slack):
    channel = (await client.conversations_create(name="hang"))["channel"]["id"]
    slack.outage(delay=30)
    posting = asyncio.ensure_future(client.chat_postMessage(channel=channel, text="held"))
    await asyncio.sleep(0.3)
    assert slack.messages(channel) == []
    slack.restore()
    await posting
    assert [m.text for m in slack.messages(channel)] == ["held"]


async def test_rate_limits_answer_429_with_retry_after(client, slack):
    slack.fault("auth.test", status=429, retry_after=7)
    with pytest.raises(SlackApiError) as caught:
        await client.auth_test()
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "7"
    assert (await client.auth_test())["ok"]


async def test_server_errors_and_outages(client, slack):
    slack.fault("*", status=500)
    with pytest.raises(SlackApiError) as caught:
        await client.auth_test()
    assert caught.value.response.status_code == 500
    slack.outage(status=503)
    for _ in range(3):
        with pytest.raises(SlackApiError):
            await client.auth_test()
    slack.restore()
    assert (await client.auth_test())["ok"]


async def test_a_request_that_hangs_past_the_timeout_still_takes_effect(client, slack):
    channel = (await client.conversations_create(name="slow"))["channel"]["id"]
    slack.fault("chat.postMessage", delay=1.5)
    with pytest.raises(asyncio.TimeoutError):
        await client.chat_postMessage(channel=channel, text="late")

    async def landed() -> bool:
        return [m.text for m in slack.messages(channel)] == ["late"]

    await eventually(landed, timeout=3)


async def test_wrong_or_missing_tokens(slack):
    wrong = AsyncWebClient(token="xoxb-wrong", base_url=slack.url)
    assert await error_of(wrong.auth_test()) == "invalid_auth"
    anonymous = AsyncWebClient(base_url=slack.url)
    assert await error_of(anonymous.auth_test()) == "not_authed"


async def test_messages_pins_history_and_metadata(client, slack):
    channel = (await client.conversations_create(name="story"))["channel"]["id"]
    posted = await client.chat_postMessage(
        channel=channel, text="hello",
        metadata={"event_type": "tagged", "event_payload": {"id": 7}})
    assert await error_of(client.pins_add(channel=channel, timestamp="1.0")) == "message_not_found"
    await client.pins_add(channel=channel, timestamp=posted["ts"])
    assert await error_of(client.pins_add(channel=channel, timestamp=posted["ts"])) == "already_pinned"
    await client.chat_update(channel=channel, ts=posted["ts"], text="hello again")
    history = await client.conversations_history(channel=channel, include_all_metadata=True)
    assert history["messages"][0]["text"] == "hello again"
    assert history["messages"][0]["metadata"]["event_payload"] == {"id": 7}
    assert slack.messages(channel)[0].edits[0][0] == "hello"


async def test_invites(client, slack):
    channel = (await client.conversations_create(name="invites"))["channel"]["id"]
    assert await error_of(client.conversations_invite(channel=channel, users="U404")) == "user_not_found"
    await client.conversations_invite(channel=channel, users="U1")
    assert await error_of(client.conversations_invite(channel=channel, users="U1")) == "already_in_channel"
    assert "U1" in slack.channels[channel].members


async def test_inviting_several_fails_for_all_on_one_unless_forced(client, slack):
    slack.add_user("U2", "bob")
    slack.add_user("U3", "carol")
    channel = (await client.conversations_create(name="several"))["channel"]["id"]
    await client.conversations_invite(channel=channel, users="U1")
    assert await error_of(client.conversations_invite(channel=channel, users="U1,U2")) == \
        "already_in_channel"
    assert "U2" not in slack.channels[channel].members
    forced = await client.conversations_invite(channel=channel, users="U1,U2,U404", force=True)
    assert [e["user"] for e in forced["errors"]] == ["U1", "U404"]
    assert {"U1", "U2"} <= slack.channels[channel].members


async def test_usergroup_members(client, slack):
    slack.add_usergroup("S0DB", "db-oncall", ["U1"])
    assert (await client.usergroups_users_list(usergroup="S0DB"))["users"] == ["U1"]
    assert await error_of(client.usergroups_users_list(usergroup="S0NONE")) == "no_such_subteam"
    assert await error_of(client.usergroups_users_list(usergroup="")) == "invalid_arguments"


async def test_files_upload_v2(client, slack):
    channel = (await client.conversations_create(name="files"))["channel"]["id"]
    await client.files_upload_v2(channel=channel, content="# INC-1\n", filename="inc.md",
                                 title="inc.md", initial_comment="the export")
    upload = slack.files[0]
    assert (upload.filename, upload.content, upload.channels) == ("inc.md", b"# INC-1\n", [channel])


async def test_pings_are_what_would_notify_people(client, slack):
    channel = (await client.conversations_create(name="pings"))["channel"]["id"]
    await client.chat_postMessage(channel=channel, text="&lt;!channel&gt; is safe")
    assert slack.pings(channel) == []
    await client.chat_postMessage(channel=channel, text="<!here> and <@U1>")
    assert [token for _, _, token in slack.pings(channel)] == ["<!here>", "<@U1>"]


async def test_a_method_needing_a_scope_the_app_lacks_is_refused():
    async with FakeSlackAPI(scopes=["chat:write"]) as slack:
        client = AsyncWebClient(token=slack.bot_token, base_url=slack.url)
        slack.add_user("U1", "ann")
        with pytest.raises(SlackApiError) as refused:
            await client.conversations_open(users="U1")
        assert refused.value.response["error"] == "missing_scope"
        assert refused.value.response["needed"] == "im:write"


def test_the_manifest_asks_for_the_scopes_the_bot_uses_and_no_other():
    from bot.standin.slack_api import SCOPES
    from tests.support.world import manifest_scopes

    needed = {scope for value in SCOPES.values()
              for scope in (value.values() if isinstance(value, dict) else [value])}
    asked = set(manifest_scopes()) - {"commands"}  # the slash commands, not a Web API method
    assert asked <= needed, asked - needed


# What people say, and their reactions ---------------------------------------------------
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
