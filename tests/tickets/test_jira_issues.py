"""Action items become Jira issues: created once with a due date, found again by their
marker's label, closed and reopened through the workflow's transitions; every answer Jira
can give sorts into taken, try later, or never."""

from datetime import date, timedelta

import pytest

from bot.org_settings import OrgSettings
from bot.outbound.metrics import OutboundCalls
from bot.standin.jira import FakeJira
from bot.tickets import Busy, Draft, JiraIssues, Refused, tracker_of

EMAIL, TOKEN = "bot@acme.test", "jira-token"


@pytest.fixture
async def jira():
    async with FakeJira(project="OPS", email=EMAIL, token=TOKEN) as api:
        yield api


@pytest.fixture
async def issues(jira):
    client = JiraIssues(url=jira.url, project="OPS", token=TOKEN, email=EMAIL,
                        calls=OutboundCalls(), timeout=timedelta(seconds=2))
    yield client
    await client.aclose()


def draft(marker: str = "INC-7.a1", **changes) -> Draft:
    return Draft(**{"marker": marker, "title": "Add an alert on checkout latency",
                    "body": "From INC-7.\n\nWe heard of it from customers.", "labels": ("incident",),
                    **changes})


async def test_an_action_item_becomes_an_issue_with_its_due_date(jira, issues):
    ticket = await issues.create(draft(due=date(2026, 12, 24)))
    assert ticket.key == "OPS-1" and ticket.url == f"{jira.url}/browse/OPS-1" and not ticket.closed
    made = jira.issues["OPS-1"]
    assert made.summary == "Add an alert on checkout latency" and made.issue_type == "Task"
    assert made.duedate == "2026-12-24" and made.labels == ["incident-bot-INC-7.a1", "incident"]
    assert [p["content"][0]["text"] for p in made.description["content"]] == [
        "From INC-7.", "We heard of it from customers."]

    await issues.set_due("OPS-1", date(2027, 1, 15))
    assert jira.issues["OPS-1"].duedate == "2027-01-15"
    await issues.set_due("OPS-1", None)
    assert jira.issues["OPS-1"].duedate is None


async def test_found_by_its_marker_closed_and_reopened(jira, issues):
    ticket = await issues.create(draft())
    await issues.create(draft("INC-7.a2"))
    assert await issues.find("INC-7.a1") == ticket
    assert await issues.find("INC-8.a1") is None

    assert (await issues.close("OPS-1")).closed
    assert jira.issues["OPS-1"].status == "Done"
    assert (await issues.find("INC-7.a1")).closed
    assert (await issues.close("OPS-1")).closed  # already done: no second transition
    assert jira.issues["OPS-1"].history == ["Done"]
    assert not (await issues.reopen("OPS-1")).closed
    assert jira.issues["OPS-1"].status == "To Do"


async def test_a_bearer_token_without_an_email_is_accepted(jira):
    client = JiraIssues(url=jira.url, project="OPS", token=TOKEN)
    assert (await client.create(draft())).key == "OPS-1"
    await client.aclose()
    assert jira.received[0].headers["Authorization"] == f"Bearer {TOKEN}"


async def test_a_create_whose_answer_was_lost_is_found_once_the_search_catches_up(jira, issues):
    jira.search_lag = True
    jira.fault(lose_answer=True)
    with pytest.raises(Busy) as busy:
        await issues.create(draft())
    assert busy.value.in_flight
    # Jira's search lags behind writes: looked for at once, it is not there yet.
    assert await issues.find("INC-7.a1") is None
    jira.reindex()
    found = await issues.find("INC-7.a1")
    assert found is not None and found.key == "OPS-1"
    assert len(jira.issues) == 1


async def test_rate_limits_and_server_errors_are_busy(jira, issues):
    jira.fault(status=429, retry_after=20)
    with pytest.raises(Busy) as busy:
        await issues.create(draft())
    assert busy.value.after == timedelta(seconds=20) and not busy.value.maybe_applied
    jira.fault(status=503)
    with pytest.raises(Busy) as busy:
        await issues.create(draft())
    assert busy.value.maybe_applied
    assert jira.issues == {}
    assert issues.calls.count("jira", "create", "retry") == 2


async def test_a_slow_answer_is_busy_and_may_have_been_applied(jira):
    client = JiraIssues(url=jira.url, project="OPS", token=TOKEN, timeout=timedelta(seconds=0.2))
    jira.fault(delay=1)
    with pytest.raises(Busy) as busy:
        await client.create(draft())
    await client.aclose()
    assert busy.value.maybe_applied and busy.value.in_flight


async def test_a_wrong_token_is_refused_naming_the_settings(jira):
    client = JiraIssues(url=jira.url, project="OPS", token="wrong", email=EMAIL)
    with pytest.raises(Refused, match=r"JIRA_TOKEN \(with JIRA_EMAIL\)"):
        await client.create(draft())
    await client.aclose()


async def test_what_jira_says_is_wrong_is_refused_in_its_words(jira, issues):
    client = JiraIssues(url=jira.url, project="NOPE", token=TOKEN, email=EMAIL, issue_type="Epic")
    with pytest.raises(Refused, match="project: Specify a valid project ID or key; "
                                      "issuetype: Specify an issue type"):
        await client.create(draft())
    await client.aclose()
    with pytest.raises(Refused, match="labels: The label 'on call' contains spaces"):
        await issues.create(draft(labels=("on call",)))
    with pytest.raises(Refused, match="404 Issue does not exist"):
        await issues.close("OPS-99")
    assert jira.issues == {}


def test_the_tracker_follows_the_settings():
    jira = tracker_of(OrgSettings(tickets="jira", jira_url="https://acme.atlassian.net",
                                  jira_project="OPS", jira_token=TOKEN, jira_email=EMAIL))
    assert isinstance(jira, JiraIssues) and jira.project == "OPS"
