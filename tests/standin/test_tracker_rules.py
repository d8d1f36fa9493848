"""The GitHub, Jira and PagerDuty on-call stand-ins hold the bot to those APIs' contracts;
these prove they do, with plain HTTP requests."""

import base64

import aiohttp
import pytest

from bot.standin.github import FakeGitHub
from bot.standin.jira import FakeJira
from bot.standin.pagerduty import FakePagerDuty

GITHUB = {"Authorization": "Bearer t", "User-Agent": "tests", "Accept": "application/vnd.github+json"}
JIRA = {"Authorization": "Basic " + base64.b64encode(b"e@x:t").decode()}
PAGERDUTY = {"Authorization": "Token token=t", "Accept": "application/vnd.pagerduty+json;version=2"}


async def call(method: str, url: str, *, headers: dict, json: object = None,
               params: object = None) -> tuple[int, object]:
    async with aiohttp.ClientSession(headers={"User-Agent": ""}, skip_auto_headers=["User-Agent"]) \
            as session, session.request(method, url, headers=headers, json=json, params=params) as r:
        return r.status, await r.json(content_type=None)


async def test_github_wants_a_user_agent_and_a_token():
    async with FakeGitHub(repo="acme/ops", token="t") as github:
        issues = f"{github.url}/repos/acme/ops/issues"
        status, answer = await call("POST", issues, headers={"Authorization": "Bearer t"},
                                    json={"title": "x"})
        assert status == 403 and "User-Agent" in answer["message"]
        status, answer = await call("POST", issues, headers={"User-Agent": "tests"}, json={"title": "x"})
        assert (status, answer["message"]) == (401, "Requires authentication")
        assert "documentation_url" in answer
        status, answer = await call("POST", issues, headers={**GITHUB, "Authorization": "Bearer no"},
                                    json={"title": "x"})
        assert (status, answer["message"]) == (401, "Bad credentials")
        assert github.issues == {}


@pytest.mark.parametrize(("body", "field", "code"), [
    ({}, "title", "missing_field"),
    ({"title": "x" * 257}, "title", "custom"),
    ({"title": "x", "body": "y" * 65537}, "body", "custom"),
    ({"title": "x", "labels": "incident"}, "labels", "invalid"),
])
async def test_github_refuses_a_bad_issue_with_422(body, field, code):
    async with FakeGitHub(repo="acme/ops", token="t") as github:
        status, answer = await call("POST", f"{github.url}/repos/acme/ops/issues", headers=GITHUB, json=body)
        assert status == 422 and answer["message"] == "Validation Failed"
        assert answer["errors"][0]["field"] == field and answer["errors"][0]["code"] == code
        assert github.issues == {}


async def test_github_closes_with_a_reason_and_refuses_an_unknown_one():
    async with FakeGitHub(repo="acme/ops", token="t") as github:
        github.add_issue("one")
        url = f"{github.url}/repos/acme/ops/issues/1"
        status, _ = await call("PATCH", url, headers=GITHUB, json={"state": "closed", "state_reason": "done"})
        assert status == 422 and github.issues[1].state == "open"
        status, answer = await call("PATCH", url, headers=GITHUB, json={"state": "closed", "state_reason": "not_planned"})
        assert status == 200 and answer["state"] == "closed" and answer["state_reason"] == "not_planned"
        status, _ = await call("PATCH", f"{github.url}/repos/acme/ops/issues/2", headers=GITHUB,
                               json={"state": "closed"})
        assert status == 404


async def test_jira_wants_an_atlassian_document_a_date_and_labels_without_spaces():
    async with FakeJira(project="OPS", email="e@x", token="t") as jira:
        fields = {"project": {"key": "OPS"}, "summary": "S", "issuetype": {"name": "Task"},
                  "description": "plain text", "duedate": "24/12/2026", "labels": ["a b"]}
        status, answer = await call("POST", f"{jira.url}/rest/api/3/issue", headers=JIRA,
                                    json={"fields": fields})
        assert status == 400 and answer["errorMessages"] == []
        assert set(answer["errors"]) == {"description", "duedate", "labels"}
        status, answer = await call("POST", f"{jira.url}/rest/api/3/issue", headers={},
                                    json={"fields": fields})
        assert status == 401 and answer["errorMessages"]
        assert jira.issues == {}


async def test_jira_search_returns_only_the_fields_asked_for_and_refuses_other_jql():
    async with FakeJira(project="OPS", email="e@x", token="t") as jira:
        fields = {"project": {"key": "OPS"}, "summary": "S", "issuetype": {"name": "Task"},
                  "labels": ["m1"]}
        assert (await call("POST", f"{jira.url}/rest/api/3/issue", headers=JIRA,
                           json={"fields": fields}))[0] == 201
        search = f"{jira.url}/rest/api/3/search/jql"
        status, answer = await call("GET", search, headers=JIRA, params={"jql": 'project = OPS AND labels = "m1"'})
        assert status == 200 and answer["issues"] == [
            {"id": "10001", "key": "OPS-1", "self": f"{jira.url}/rest/api/3/issue/10001"}]
        status, answer = await call("GET", search, headers=JIRA, params={
            "jql": 'project = OPS AND labels = "m1"', "fields": "status"})
        assert answer["issues"][0]["fields"]["status"]["statusCategory"]["key"] == "new"
        status, answer = await call("GET", search, headers=JIRA, params={"jql": "summary ~ S"})
        assert status == 400 and "JQL" in answer["errorMessages"][0]


async def test_pagerduty_oncalls_wants_the_token_header_and_the_v2_media_type():
    async with FakePagerDuty(api_token="t") as pagerduty:
        pagerduty.on_call("P1", 1, "Ann", "ann@acme.test")
        url = f"{pagerduty.rest_url}/oncalls"
        status, answer = await call("GET", url, headers={"Authorization": "Bearer t"})
        assert status == 401 and answer["error"]["code"] == 2006
        status, _ = await call("GET", url, headers={"Authorization": "Token token=t"})
        assert status == 406
        status, answer = await call("GET", url, headers=PAGERDUTY, params={"limit": "500"})
        assert status == 400 and answer["error"]["message"] == "Invalid Input Provided"
        status, answer = await call("GET", url, headers=PAGERDUTY)
        assert answer["oncalls"][0]["user"] == {"id": answer["oncalls"][0]["user"]["id"],
                                                "type": "user_reference", "summary": "Ann"}
        assert answer["more"] is False
