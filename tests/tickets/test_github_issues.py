"""Action items become GitHub issues: created once, found again by their marker, closed and
reopened; every answer GitHub can give sorts into taken, try later, or never."""

from datetime import date, timedelta

import pytest

from bot.org_settings import OrgSettings
from bot.outbound.metrics import OutboundCalls
from bot.standin.github import FakeGitHub
from bot.tickets import Busy, Draft, GitHubIssues, Refused, tracker_of

REPO, TOKEN = "acme/ops", "ghp_tests"


@pytest.fixture
async def github():
    async with FakeGitHub(repo=REPO, token=TOKEN) as api:
        yield api


@pytest.fixture
async def issues(github):
    client = GitHubIssues(repo=REPO, token=TOKEN, url=github.url, calls=OutboundCalls(),
                          timeout=timedelta(seconds=2))
    yield client
    await client.aclose()


def draft(marker: str = "INC-7.a1", **changes) -> Draft:
    return Draft(**{"marker": marker, "title": "Add an alert on checkout latency",
                    "body": "From INC-7: we heard of it from customers.", "labels": ("incident",),
                    **changes})


async def test_an_action_item_becomes_an_issue_that_can_be_found_closed_and_reopened(github, issues):
    ticket = await issues.create(draft(due=date(2026, 12, 24)))
    assert ticket.key == "1" and ticket.url == "https://github.com/acme/ops/issues/1"
    assert not ticket.closed
    made = github.issues[1]
    assert made.title == "Add an alert on checkout latency" and made.labels == ["incident"]
    assert "<!-- incident-bot:INC-7.a1 -->" in made.body
    sent = github.received[0].headers
    assert sent["Authorization"] == f"Bearer {TOKEN}"
    assert sent["Accept"] == "application/vnd.github+json" and sent["X-GitHub-Api-Version"]

    assert await issues.find("INC-7.a1") == ticket
    assert await issues.find("INC-7.a2") is None

    closed = await issues.close("1")
    assert closed.closed and github.issues[1].state_reason == "completed"
    assert (await issues.find("INC-7.a1")).closed
    reopened = await issues.reopen("1")
    assert not reopened.closed and github.issues[1].state_reason == "reopened"
    # GitHub issues have no due date: nothing is sent.
    calls = len(github.received)
    await issues.set_due("1", date(2027, 1, 1))
    assert len(github.received) == calls
    assert issues.calls.count("github", "create", "ok") == 1


async def test_find_skips_pull_requests_and_reaches_past_the_newest_issues(github, issues):
    github.add_issue("a pull request", "<!-- incident-bot:INC-1.a1 -->", pull_request=True)
    assert await issues.find("INC-1.a1") is None
    ticket = await issues.create(draft("INC-1.a1"))
    for n in range(320):
        github.add_issue(f"other {n}")
    assert await issues.find("INC-1.a1") == ticket  # through the search, past 300 newer ones


async def test_a_create_whose_answer_was_lost_is_found_and_not_made_twice(github, issues):
    github.fault(lose_answer=True)
    with pytest.raises(Busy) as busy:
        await issues.create(draft())
    assert busy.value.maybe_applied and busy.value.in_flight
    found = await issues.find("INC-7.a1")
    assert found is not None and found.key == "1"
    assert len(github.issues) == 1


async def test_a_slow_answer_is_busy_maybe_applied(github):
    client = GitHubIssues(repo=REPO, token=TOKEN, url=github.url, timeout=timedelta(seconds=0.2))
    github.fault(delay=1)
    with pytest.raises(Busy) as busy:
        await client.create(draft())
    await client.aclose()
    assert busy.value.maybe_applied


async def test_a_server_error_is_busy_and_may_have_been_applied(github, issues):
    github.fault(status=502)
    with pytest.raises(Busy) as busy:
        await issues.create(draft())
    assert busy.value.maybe_applied and not busy.value.in_flight
    assert issues.calls.count("github", "create", "retry") == 1


@pytest.mark.parametrize("status", [429, 403])
async def test_rate_limits_are_busy_with_the_wait_github_asks(github, issues, status):
    github.fault(status=status, retry_after=30)
    with pytest.raises(Busy) as busy:
        await issues.create(draft())
    assert busy.value.after == timedelta(seconds=30) and not busy.value.maybe_applied
    github.fault(status=403, reset_in=600)
    with pytest.raises(Busy) as busy:
        await issues.create(draft())
    assert timedelta(minutes=5) < busy.value.after <= timedelta(minutes=10)
    assert github.issues == {}


async def test_a_wrong_token_is_refused_naming_the_setting(github):
    client = GitHubIssues(repo=REPO, token="ghp_wrong", url=github.url)
    with pytest.raises(Refused, match="GITHUB_TOKEN") as refused:
        await client.create(draft())
    await client.aclose()
    assert "Bad credentials" in str(refused.value)


async def test_a_read_only_token_is_refused_naming_the_setting(github, issues):
    github.can_write = False
    with pytest.raises(Refused, match="GITHUB_TOKEN lacks a permission"):
        await issues.create(draft())


async def test_a_repository_that_is_not_there_or_has_no_issues_is_refused(github):
    client = GitHubIssues(repo="acme/nope", token=TOKEN, url=github.url)
    with pytest.raises(Refused, match="404 Not Found"):
        await client.create(draft())
    await client.aclose()
    github.has_issues = False
    client = GitHubIssues(repo=REPO, token=TOKEN, url=github.url)
    with pytest.raises(Refused, match="410 Issues are disabled"):
        await client.create(draft())
    await client.aclose()


async def test_a_validation_failure_is_refused_with_githubs_words(github, issues):
    with pytest.raises(Refused, match="Validation Failed: title missing_field"):
        await issues.create(draft(title=""))
    with pytest.raises(Refused, match="404"):
        await issues.close("99")
    assert github.issues == {}


async def test_a_long_title_is_shortened_to_what_github_takes(github, issues):
    ticket = await issues.create(draft(title="x" * 400))
    assert len(github.issues[int(ticket.key)].title) == 256


def test_the_tracker_follows_the_settings():
    github = tracker_of(OrgSettings(tickets="github", github_repo=REPO, github_token=TOKEN,
                                    github_api_url="http://127.0.0.1:1"))
    assert isinstance(github, GitHubIssues) and github.base == "http://127.0.0.1:1"
    assert tracker_of(OrgSettings()) is None
