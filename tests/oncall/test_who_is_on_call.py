"""Who is on call now for a service's escalation policy, as PagerDuty's REST API tells it:
the people at the policy's first level, with their names and emails, asked again only once
the answer is a minute old."""

from datetime import timedelta

import aiohttp
import pytest

from bot.oncall import Busy, OnCall, OnCallPerson, Refused, oncall_of
from bot.org_settings import OrgSettings
from bot.outbound.metrics import OutboundCalls
from bot.standin.pagerduty import FakePagerDuty

TOKEN = "pd-api-token"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def pagerduty():
    async with FakePagerDuty(api_token=TOKEN) as api:
        yield api


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
async def oncall(pagerduty, clock):
    lookup = OnCall(token=TOKEN, url=pagerduty.rest_url, calls=OutboundCalls(), clock=clock,
                    timeout=timedelta(seconds=2))
    yield lookup
    await lookup.aclose()


async def test_the_first_level_is_who_is_on_call_now(pagerduty, oncall):
    pagerduty.on_call("PCHECKOUT", 2, "Bea Manager", "bea@acme.test")
    pagerduty.on_call("PCHECKOUT", 1, "Ann Oncall", "ann@acme.test")
    pagerduty.on_call("PCHECKOUT", 1, "Ann Oncall", "ann@acme.test")  # two schedules, one person
    pagerduty.on_call("POTHER", 1, "Cid Other", "cid@acme.test")
    assert await oncall.who("PCHECKOUT") == [OnCallPerson("Ann Oncall", "ann@acme.test", 1)]
    asked = pagerduty.oncall_requests[0].query
    assert "escalation_policy_ids[]=PCHECKOUT" in asked and "include[]=users" in asked
    assert "earliest=true" in asked
    assert pagerduty.oncall_requests[0].headers["Accept"] == "application/vnd.pagerduty+json;version=2"
    assert await oncall.who("PNOBODY") == []


async def test_every_page_is_read(pagerduty, oncall):
    for n in range(130):
        pagerduty.on_call("PBIG", 1 if n >= 120 else 2, f"Person {n}", f"p{n}@acme.test")
    people = await oncall.who("PBIG")
    assert [p.email for p in people] == [f"p{n}@acme.test" for n in range(120, 130)]
    assert len(pagerduty.oncall_requests) == 2


async def test_an_answer_is_kept_for_a_minute(pagerduty, oncall, clock):
    pagerduty.on_call("PCHECKOUT", 1, "Ann Oncall", "ann@acme.test")
    await oncall.who("PCHECKOUT")
    pagerduty.oncalls.clear()
    pagerduty.on_call("PCHECKOUT", 1, "Dan Next", "dan@acme.test")
    clock.now += 59
    assert [p.name for p in await oncall.who("PCHECKOUT")] == ["Ann Oncall"]
    clock.now += 2
    assert [p.name for p in await oncall.who("PCHECKOUT")] == ["Dan Next"]
    assert len(pagerduty.oncall_requests) == 2


async def test_a_refused_key_names_the_setting(pagerduty):
    lookup = OnCall(token="wrong", url=pagerduty.rest_url)
    with pytest.raises(Refused, match="PAGERDUTY_API_TOKEN") as refused:
        await lookup.who("PCHECKOUT")
    await lookup.aclose()
    assert "Authentication failed" in str(refused.value)


async def test_a_rate_limit_or_an_outage_is_busy_and_not_kept(pagerduty, oncall):
    pagerduty.on_call("PCHECKOUT", 1, "Ann Oncall", "ann@acme.test")
    pagerduty.oncall_fault(status=429, retry_after=7)
    with pytest.raises(Busy) as busy:
        await oncall.who("PCHECKOUT")
    assert busy.value.after == timedelta(seconds=7)
    pagerduty.oncall_fault(status=500)
    with pytest.raises(Busy):
        await oncall.who("PCHECKOUT")
    assert [p.name for p in await oncall.who("PCHECKOUT")] == ["Ann Oncall"]
    assert oncall.calls.counts == {("pagerduty", "oncalls", "retry"): 2,
                                   ("pagerduty", "oncalls", "ok"): 1}


async def test_a_hang_is_busy(pagerduty):
    lookup = OnCall(token=TOKEN, url=pagerduty.rest_url, timeout=timedelta(seconds=0.2))
    pagerduty.oncall_fault(status=500, delay=1)
    with pytest.raises(Busy, match="no answer"):
        await lookup.who("PCHECKOUT")
    await lookup.aclose()


async def test_the_events_api_still_takes_events(pagerduty):
    event = {"routing_key": "k" * 32, "event_action": "trigger", "dedup_key": "INC-1",
             "payload": {"summary": "INC-1", "source": "bot", "severity": "critical"}}
    async with aiohttp.ClientSession() as session, session.post(pagerduty.url, json=event) as r:
        assert r.status == 202


def test_the_lookup_follows_the_settings():
    assert oncall_of(OrgSettings()) is None
    lookup = oncall_of(OrgSettings(pagerduty_api_token=TOKEN))
    assert lookup is not None and lookup.base == "https://api.pagerduty.com"
