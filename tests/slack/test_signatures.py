"""Only Slack may talk to the bot: unsigned, forged or stale requests get 401 and change nothing."""

import time
from urllib.parse import urlencode

import pytest

SLASH = urlencode({
    "token": "legacy", "team_id": "T0001", "channel_id": "C0OPS", "user_id": "U0MALLORY",
    "user_name": "mallory", "command": "/incident", "text": "declare sev1 forged",
    "trigger_id": "1.2.forged", "response_url": "http://127.0.0.1:9/none",
}).encode()
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(params=[True, False], ids=["over HTTP", "in process"])
async def world(request, make_world):
    """Bolt checks the signature however the request reaches it."""
    return await make_world(over_http=request.param)


@pytest.mark.parametrize("tamper", [
    {"sign": False},
    {"signature": "v0=" + "0" * 64},
    {"timestamp": int(time.time()) - 6 * 60},
], ids=["missing", "forged", "six-minutes-old"])
async def test_requests_slack_did_not_sign_get_401_and_record_nothing(world, tamper):
    response = await world.sender.post(SLASH, FORM, **tamper)
    assert response.status == 401
    assert await world.incidents() == []
    await world.delivered()
    assert world.slack.calls == []


async def test_a_properly_signed_request_of_the_same_shape_is_accepted(world):
    response = await world.sender.post(SLASH, FORM)
    assert response.status == 200
    assert len(await world.incidents()) == 1
