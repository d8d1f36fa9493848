"""Decisions from an OPA server (`OPA_URL`): what it answers is what the bot does, and when
it cannot answer, the bot denies saying why. The stand-in keeps OPA's Data API rules."""

import aiohttp
import pytest

from bot.authz.engine import PolicyError
from bot.authz.opa import OpaPolicy
from bot.standin.opa import FakeOpa

TOKEN = "s3cret-token"
# Long enough never to run out in a story; a hung stand-in is let go when it stops.
HANG = 600.0
SHORT = 0.05


def resolve_by(user: str, roles: list[str]) -> dict:
    return {"action": "resolve",
            "user": {"id": user, "groups": ["S0ONCALL"], "roles": roles,
                     "approver": False, "member": True},
            "incident": {"id": "INC-3", "severity": 2, "status": "mitigating",
                         "private": False, "drill": False,
                         "commander": "U0ALICE", "declared_by": "U0ALICE"},
            "args": {"status": "resolved"}}


def commanders_resolve(document: dict) -> dict:
    """What a team's policy on the server says: only the commander resolves."""
    if "commander" in document["user"]["roles"]:
        return {"allow": True}
    return {"allow": False, "reason": "only the incident commander can resolve INC-3"}


@pytest.fixture
async def opa():
    async with FakeOpa(commanders_resolve) as server:
        yield server


@pytest.fixture
async def policies():
    """Makes clients of an OPA server; each is closed when the story ends."""
    made: list[OpaPolicy] = []

    def make(url: str, timeout: float = 2.0, token: str | None = None) -> OpaPolicy:
        made.append(OpaPolicy(url, timeout, token))
        return made[-1]

    yield make
    for policy in made:
        await policy.close()


async def test_the_commander_may_resolve_and_a_responder_is_told_why_not(opa, policies):
    policy = policies(opa.url)
    assert await policy.evaluate(resolve_by("U0ALICE", ["commander"])) == (True, "")
    assert await policy.evaluate(resolve_by("U0BOB", ["ops"])) == \
        (False, "only the incident commander can resolve INC-3")


async def test_the_input_document_arrives_as_sent(opa, policies):
    document = resolve_by("U0BOB", ["ops", "comms"])
    await policies(opa.url).evaluate(document)
    [request] = opa.received
    assert (request.method, request.path, request.status) == ("POST", "/v1/data/incident/authz", 200)
    assert request.body == {"input": document}
    assert opa.inputs == [document]


async def test_the_policy_reads_every_part_of_the_input():
    # Its text is out of sight, so groups, roles and membership are always worked out.
    assert OpaPolicy.reads == {"groups", "roles", "member"}


async def test_an_undefined_decision_denies_and_start_up_says_the_package_is_missing(policies):
    async with FakeOpa(lambda _input: None) as opa:
        policy = policies(opa.url)
        assert await policy.evaluate(resolve_by("U0ALICE", ["commander"])) == (False, "")
        problem = await policy.check()
    assert problem is not None and "data.incident.authz is undefined" in problem
    assert opa.url in problem


@pytest.mark.parametrize("result", [{}, {"reason": "no rule matched"}, {"allow": "true"},
                                    {"allow": 1}, {"allow": None}])
async def test_anything_but_allow_true_denies(result, policies):
    async with FakeOpa(lambda _input: result) as opa:
        allowed, reason = await policies(opa.url).evaluate(resolve_by("U0ALICE", ["commander"]))
    assert allowed is False
    assert reason == result.get("reason", "")


async def test_a_reason_that_is_not_text_is_left_out(policies):
    async with FakeOpa(lambda _input: {"allow": False, "reason": ["not", "text"]}) as opa:
        assert await policies(opa.url).evaluate(resolve_by("U0BOB", [])) == (False, "")


async def test_fields_opa_adds_to_its_answer_change_nothing(policies):
    async with FakeOpa(commanders_resolve, decision_ids=True) as opa:
        assert await policies(opa.url).evaluate(resolve_by("U0ALICE", ["commander"])) == (True, "")
    [request] = opa.received
    assert request.status == 200


async def test_opa_hanging_past_the_timeout_denies_naming_the_timeout(opa, policies):
    opa.fault(delay=HANG)
    with pytest.raises(PolicyError) as denied:
        await policies(opa.url, timeout=SHORT).evaluate(resolve_by("U0ALICE", ["commander"]))
    assert str(denied.value) == f"OPA at {opa.url}: no answer within {SHORT}s"


async def test_opa_failing_denies_naming_the_status_and_its_message(opa, policies):
    opa.fault(status=500)
    with pytest.raises(PolicyError) as denied:
        await policies(opa.url).evaluate(resolve_by("U0ALICE", ["commander"]))
    message = str(denied.value)
    assert message.startswith(f"OPA at {opa.url}: answered HTTP 500: internal_error")
    assert "\n" not in message


async def test_a_policy_failing_on_the_server_denies_with_opas_message(policies):
    def broken(_input: dict) -> dict:
        raise ValueError("object.get: operand 1 must be object")

    async with FakeOpa(broken) as opa:
        with pytest.raises(PolicyError) as denied:
            await policies(opa.url).evaluate(resolve_by("U0ALICE", ["commander"]))
    assert str(denied.value) == (f"OPA at {opa.url}: answered HTTP 500: internal_error: "
                                 "error(s) occurred while evaluating query")


async def test_an_answer_that_is_not_json_denies(opa, policies):
    opa.fault(text="<html><body>502 Bad Gateway</body></html>")
    with pytest.raises(PolicyError) as denied:
        await policies(opa.url).evaluate(resolve_by("U0ALICE", ["commander"]))
    assert str(denied.value).startswith(f"OPA at {opa.url}: the answer is not JSON: '<html>")


async def test_opa_down_denies_and_start_up_reports_it_without_stopping(policies):
    opa = FakeOpa(commanders_resolve)
    url = await opa.start()
    await opa.stop()  # nothing listens on its port any more
    policy = policies(url)
    with pytest.raises(PolicyError) as denied:
        await policy.evaluate(resolve_by("U0ALICE", ["commander"]))
    assert str(denied.value) == f"OPA at {url}: cannot connect (Connection refused)"
    assert await policy.check() == f"OPA at {url}: cannot connect (Connection refused)"


async def test_start_up_finds_nothing_wrong_with_opa_answering(opa, policies):
    assert await policies(opa.url).check() is None
    assert opa.received[0].status == 200


async def test_decisions_resume_when_opa_answers_again(opa, policies):
    policy = policies(opa.url, timeout=SHORT)
    opa.fault(status=503)
    with pytest.raises(PolicyError):
        await policy.evaluate(resolve_by("U0ALICE", ["commander"]))
    assert await policy.evaluate(resolve_by("U0ALICE", ["commander"])) == (True, "")
    assert [r.status for r in opa.received] == [503, 200]


@pytest.mark.parametrize("token", [None, "wrong-token"])
async def test_without_the_right_token_opa_refuses_and_the_decision_denies(token, policies):
    async with FakeOpa(commanders_resolve, token=TOKEN) as opa:
        with pytest.raises(PolicyError) as denied:
            await policies(opa.url, token=token).evaluate(resolve_by("U0ALICE", ["commander"]))
    assert str(denied.value) == (f"OPA at {opa.url}: answered HTTP 401: unauthorized: "
                                 "request rejected by administrative policy")
    assert opa.inputs == []


async def test_with_the_right_token_decisions_are_made(policies):
    async with FakeOpa(commanders_resolve, token=TOKEN) as opa:
        policy = policies(opa.url, token=TOKEN)
        assert await policy.evaluate(resolve_by("U0ALICE", ["commander"])) == (True, "")
    assert opa.received[0].authorization == f"Bearer {TOKEN}"


@pytest.mark.parametrize("url", ["http://opa.example:99999", "ftp://opa.example"])
async def test_a_url_it_cannot_call_denies_instead_of_raising_something_else(url, policies):
    with pytest.raises(PolicyError) as denied:
        await policies(url, timeout=SHORT).evaluate(resolve_by("U0ALICE", ["commander"]))
    assert str(denied.value).startswith(f"OPA at {url}: not a URL it can call (")


# The stand-in keeps OPA's rules ---------------------------------------------------------

async def call(opa: FakeOpa, method: str, path: str, *, json: object = None,
               data: bytes | None = None, params: dict | None = None) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session, session.request(
            method, opa.url + path, json=json, data=data, params=params) as response:
        return response.status, await response.json(content_type=None)


async def test_opa_answers_the_package_and_documents_below_it(opa):
    document = resolve_by("U0BOB", ["ops"])
    assert await call(opa, "POST", "/v1/data/incident/authz", json={"input": document}) == \
        (200, {"result": commanders_resolve(document)})
    assert await call(opa, "POST", "/v1/data/incident/authz/allow", json={"input": document}) == \
        (200, {"result": False})
    assert await call(opa, "POST", "/v1/data/incident/authz", json={"input": document},
                      params={"metrics": "true"}) == \
        (200, {"result": commanders_resolve(document),
               "metrics": {"timer_rego_query_eval_ns": 1000, "timer_server_handler_ns": 2000}})


async def test_a_document_that_does_not_exist_is_undefined_not_an_error(opa):
    assert await call(opa, "POST", "/v1/data/incidents/authz", json={"input": {}}) == (200, {})


@pytest.mark.parametrize(("body", "message"), [
    ({"json": {"document": {}}}, "'input' key missing from the request"),
    ({"data": b""}, "'input' key missing from the request"),
    ({"json": {"input": ["not", "an", "object"]}}, "'input' is not an object"),
    ({"data": b"{\"input\": @}"}, "body contains malformed input document"),
])
async def test_a_body_without_an_input_object_is_400(opa, body, message):
    status, answer = await call(opa, "POST", "/v1/data/incident/authz", **body)
    assert status == 400 and answer["code"] == "invalid_parameter"
    assert answer["message"].startswith(message)
    assert opa.inputs == []


async def test_only_post_is_served_and_only_documented_parameters(opa):
    status, answer = await call(opa, "GET", "/v1/data/incident/authz")
    assert status == 405 and set(answer) == {"code", "message"}
    status, answer = await call(opa, "POST", "/v1/data/incident/authz", json={"input": {}},
                                params={"explain_all": "yes"})
    assert status == 400 and answer["code"] == "invalid_parameter"
    assert "explain_all" in answer["message"]
