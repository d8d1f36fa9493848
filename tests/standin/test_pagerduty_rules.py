"""The PagerDuty stand-in holds the bot to the Events API v2 contract; these prove it does."""

import aiohttp
import pytest

from bot.standin.pagerduty import FakePagerDuty

KEY = "0123456789abcdef0123456789abcdef"


@pytest.fixture
async def pagerduty():
    async with FakePagerDuty() as api:
        yield api


def trigger(**changes: object) -> dict:
    event = {"routing_key": KEY, "event_action": "trigger", "dedup_key": "INC-1",
             "payload": {"summary": "INC-1 SEV1: Primary DB down", "source": "incident-bot",
                         "severity": "critical"}}
    for key, value in changes.items():
        if key.startswith("payload_"):
            field = key.removeprefix("payload_")
            if value is None:
                del event["payload"][field]
            else:
                event["payload"][field] = value
        elif value is None:
            del event[key]
        else:
            event[key] = value
    return event


async def post(api: FakePagerDuty, body: object, *, raw: bool = False) -> tuple[int, dict, dict]:
    async with aiohttp.ClientSession() as session:
        sent = {"data": body} if raw else {"json": body}
        async with session.post(api.url, **sent) as response:
            return response.status, await response.json(content_type=None), dict(response.headers)


async def test_a_valid_trigger_is_accepted_with_its_dedup_key(pagerduty):
    status, answer, _ = await post(pagerduty, trigger())
    assert status == 202
    assert answer == {"status": "success", "message": "Event processed", "dedup_key": "INC-1"}
    assert pagerduty.alert(KEY, "INC-1").status == "triggered"


async def test_a_trigger_without_dedup_key_gets_one(pagerduty):
    status, answer, _ = await post(pagerduty, trigger(dedup_key=None))
    assert status == 202 and len(answer["dedup_key"]) == 32


@pytest.mark.parametrize(("changes", "problem"), [
    ({"routing_key": None}, "'routing_key' is missing"),
    ({"routing_key": "short"}, "Length of 'routing_key' is incorrect"),
    ({"event_action": "escalate"}, "'event_action' is missing or invalid"),
    ({"event_action": None}, "'event_action' is missing or invalid"),
    ({"payload": None}, "'payload' is missing"),
    ({"payload_summary": None}, "'payload.summary' is missing"),
    ({"payload_summary": "x" * 1025}, "longer than 1024"),
    ({"payload_source": None}, "'payload.source' is missing"),
    ({"payload_severity": "high"}, "'payload.severity' is missing or invalid"),
    ({"payload_severity": None}, "'payload.severity' is missing or invalid"),
    ({"dedup_key": "k" * 256}, "'dedup_key' must be a string of at most 255"),
    ({"links": [{"text": "no href"}]}, "'links' must be a list"),
])
async def test_a_malformed_event_is_refused_with_the_reason(pagerduty, changes, problem):
    status, answer, _ = await post(pagerduty, trigger(**changes))
    assert status == 400
    assert answer["status"] == "invalid event" and answer["message"] == "Event object is invalid"
    assert any(problem in error for error in answer["errors"]), answer["errors"]
    assert pagerduty.events == [] and pagerduty.alerts == {}


async def test_a_summary_of_exactly_1024_characters_is_fine(pagerduty):
    status, _, _ = await post(pagerduty, trigger(payload_summary="x" * 1024))
    assert status == 202


async def test_acknowledge_and_resolve_need_a_dedup_key_but_no_payload(pagerduty):
    for action in ("acknowledge", "resolve"):
        status, answer, _ = await post(pagerduty, {"routing_key": KEY, "event_action": action})
        assert status == 400 and "'dedup_key' is required" in answer["errors"][0]


async def test_not_json_is_refused(pagerduty):
    status, answer, _ = await post(pagerduty, b"routing_key=x", raw=True)
    assert status == 400 and answer["status"] == "invalid event"


async def test_an_alert_moves_triggered_acknowledged_resolved_on_its_own_routing_key(pagerduty):
    await post(pagerduty, trigger())
    other = "f" * 32
    # Follow-ups via another routing key are dropped: they do not reach this alert.
    assert (await post(pagerduty, {"routing_key": other, "event_action": "resolve",
                                   "dedup_key": "INC-1"}))[0] == 202
    assert pagerduty.alert(KEY, "INC-1").status == "triggered"
    await post(pagerduty, {"routing_key": KEY, "event_action": "acknowledge", "dedup_key": "INC-1"})
    assert pagerduty.alert(KEY, "INC-1").status == "acknowledged"
    await post(pagerduty, trigger())  # a trigger on an open alert adds to it
    assert pagerduty.alert(KEY, "INC-1").status == "acknowledged"
    await post(pagerduty, {"routing_key": KEY, "event_action": "resolve", "dedup_key": "INC-1"})
    alert = pagerduty.alert(KEY, "INC-1")
    assert alert.status == "resolved"
    assert [e["event_action"] for e in alert.events] == ["trigger", "acknowledge", "trigger", "resolve"]
    await post(pagerduty, trigger())  # a resolved alert is never reopened: a new one starts
    assert pagerduty.alert(KEY, "INC-1").status == "triggered"
    assert pagerduty.alert(KEY, "INC-1") is not alert


async def test_scripted_faults_answer_as_pagerduty_does(pagerduty):
    pagerduty.fault(status=429, retry_after=3)
    pagerduty.fault(status=429)
    pagerduty.fault(status=502)
    status, answer, headers = await post(pagerduty, trigger())
    assert status == 429 and headers["Retry-After"] == "3" and answer["status"] == "throttle event"
    status, _, headers = await post(pagerduty, trigger())
    assert status == 429 and "Retry-After" not in headers
    assert (await post(pagerduty, trigger()))[0] == 502
    assert pagerduty.events == []
    assert (await post(pagerduty, trigger()))[0] == 202
    assert pagerduty.statuses() == {429: 2, 502: 1, 202: 1}
