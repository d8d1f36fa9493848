"""The Statuspage stand-in holds the bot to the REST API v1 contract; these prove it does."""

import aiohttp
import pytest

from bot.standin.statuspage import FakeStatuspage

PAGE, KEY = "pg0rules", "rules-key"


@pytest.fixture
async def statuspage():
    async with FakeStatuspage(page_id=PAGE, api_key=KEY) as api:
        yield api


async def call(api: FakeStatuspage, method: str, path: str, body: object = None, *,
               key: str | None = KEY, params: dict | None = None) -> tuple[int, object]:
    headers = {"Authorization": f"OAuth {key}"} if key is not None else {}
    async with aiohttp.ClientSession() as session, session.request(
            method, api.url + path, json=body, headers=headers, params=params) as response:
        return response.status, await response.json(content_type=None)


def incident(**fields: object) -> dict:
    return {"incident": {"name": "Checkout is failing", "status": "investigating",
                         "body": "We are looking into it.", **fields}}


async def test_create_then_update_then_resolve(statuspage):
    status, created = await call(statuspage, "POST", f"/pages/{PAGE}/incidents",
                                 incident(impact_override="major", deliver_notifications=True,
                                          component_ids=["c1"], metadata={"x": {"y": "z"}}))
    assert status == 201
    assert created["name"] == "Checkout is failing" and created["status"] == "investigating"
    assert created["shortlink"].startswith("https://") and created["impact"] == "major"
    assert created["incident_updates"][0]["body"] == "We are looking into it."
    path = f"/pages/{PAGE}/incidents/{created['id']}"
    status, updated = await call(statuspage, "PATCH", path,
                                 {"incident": {"status": "resolved", "body": "Fixed."}})
    assert status == 200 and updated["status"] == "resolved" and updated["resolved_at"]
    assert [u["status"] for u in updated["incident_updates"]] == ["resolved", "investigating"]
    assert statuspage.incidents[created["id"]].status == "resolved"
    status, listed = await call(statuspage, "GET", f"/pages/{PAGE}/incidents",
                                params={"q": "checkout"})
    assert status == 200 and [i["id"] for i in listed] == [created["id"]]
    status, unresolved = await call(statuspage, "GET", f"/pages/{PAGE}/incidents/unresolved")
    assert status == 200 and unresolved == []


@pytest.mark.parametrize("key", [None, "wrong-key"])
async def test_without_the_api_key_it_is_401_and_nothing_is_created(statuspage, key):
    status, answer = await call(statuspage, "POST", f"/pages/{PAGE}/incidents", incident(), key=key)
    assert status == 401 and "error" in answer
    assert statuspage.incidents == {}


async def test_the_key_as_a_query_parameter_is_accepted(statuspage):
    status, _ = await call(statuspage, "POST", f"/pages/{PAGE}/incidents", incident(), key=None,
                           params={"api_key": KEY})
    assert status == 201


async def test_an_unknown_page_or_incident_is_404(statuspage):
    assert (await call(statuspage, "POST", "/pages/nope/incidents", incident()))[0] == 404
    status, _ = await call(statuspage, "PATCH", f"/pages/{PAGE}/incidents/nope",
                           {"incident": {"status": "resolved", "body": "x"}})
    assert status == 404
    assert (await call(statuspage, "GET", f"/pages/{PAGE}/incidents/nope"))[0] == 404


@pytest.mark.parametrize(("body", "problem"), [
    (incident(status="fixed"), "Status is not included"),
    (incident(name=""), "Name can't be blank"),
    ({"incident": {"status": "investigating"}}, "Name can't be blank"),
    (incident(name="x" * 256), "Name is too long"),
    (incident(impact_override="huge"), "Impact override"),
    (incident(deliver_notifications="yes"), "Deliver notifications"),
    ({"name": "not wrapped"}, "incident is missing"),
])
async def test_a_bad_incident_is_422(statuspage, body, problem):
    status, answer = await call(statuspage, "POST", f"/pages/{PAGE}/incidents", body)
    assert status == 422 and problem in answer["error"]
    assert statuspage.incidents == {}


async def test_a_bad_status_on_update_is_422_and_changes_nothing(statuspage):
    _, created = await call(statuspage, "POST", f"/pages/{PAGE}/incidents", incident())
    status, _ = await call(statuspage, "PATCH", f"/pages/{PAGE}/incidents/{created['id']}",
                           {"incident": {"status": "done", "body": "x"}})
    assert status == 422
    assert len(statuspage.incidents[created["id"]].updates) == 1


async def test_scripted_faults_and_the_rate_limit(statuspage):
    statuspage.fault(status=429, retry_after=2)
    statuspage.fault(status=503)
    assert (await call(statuspage, "POST", f"/pages/{PAGE}/incidents", incident()))[0] == 429
    assert (await call(statuspage, "POST", f"/pages/{PAGE}/incidents", incident()))[0] == 503
    assert statuspage.incidents == {}
    statuspage.rate = 1
    assert (await call(statuspage, "POST", f"/pages/{PAGE}/incidents", incident()))[0] == 201
    assert (await call(statuspage, "POST", f"/pages/{PAGE}/incidents", incident()))[0] == 429
    assert len(statuspage.incidents) == 1
    assert statuspage.statuses() == {429: 2, 503: 1, 201: 1}


async def test_a_slow_answer_still_applies_the_request(statuspage):
    statuspage.fault(delay=0.5)
    timeout = aiohttp.ClientTimeout(total=0.1)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        with pytest.raises(TimeoutError):
            async with session.post(f"{statuspage.url}/pages/{PAGE}/incidents", json=incident(),
                                    headers={"Authorization": f"OAuth {KEY}"}):
                pass
    assert len(statuspage.incidents) == 1
