"""Action items as tickets, by signed Slack requests and the GitHub and Jira stand-ins: an item
becomes one ticket (even when the tracker's first answer is lost), linked in the channel, the
summary, the App Home and the export; closing the ticket there ticks the item here, and
`action done` closes the ticket."""

from datetime import timedelta

import pytest

from bot.export.verify import check_export
from bot.services import records
from bot.standin.github import FakeGitHub
from bot.standin.jira import FakeJira
from tests.support.waiting import eventually
from tests.support.world import ALICE, BOB, World

GITHUB_SECRET = "github-webhook-secret"
JIRA_SECRET = "jira-webhook-secret"


@pytest.fixture
async def github():
    async with FakeGitHub(repo="acme/ops", token="ghp_standin0token") as api:
        yield api
        await api.webhooks.delivered()


@pytest.fixture
async def jira():
    async with FakeJira(project="OPS", email="bot@example.com", token="jira-token") as api:
        yield api
        await api.webhooks.delivered()


async def github_world(make_world, github: FakeGitHub, **settings) -> World:
    world = await make_world(**{
        "tickets": "github", "github_repo": "acme/ops", "github_token": "ghp_standin0token",
        "github_api_url": github.url, "github_webhook_secret": GITHUB_SECRET, **settings})
    github.webhooks.send_to(f"{world.bot.url}/webhooks/github", GITHUB_SECRET)
    return world


async def jira_world(make_world, jira: FakeJira, **settings) -> World:
    world = await make_world(**{
        "tickets": "jira", "jira_url": jira.url, "jira_project": "OPS", "jira_token": "jira-token",
        "jira_email": "bot@example.com", "jira_webhook_secret": JIRA_SECRET, **settings})
    jira.webhooks.send_to(f"{world.bot.url}/webhooks/jira", JIRA_SECRET)
    return world


async def export(world: World) -> str:
    result = await records.export_again(world.bot.store, world.bot.deps.exporter, 1)
    return result.path.read_text()


def said(world: World, channel: str, text: str) -> bool:
    """Lines said together go out in one message: any message holding `text`."""
    return any(text in message for message in world.posted(channel))


def summary_text(world: World, channel: str) -> str:
    """The pinned summary as it reads now."""
    pinned = world.slack.pins[channel]
    message = next(m for m in world.slack.messages(channel) if m.ts in pinned)
    return message.shown


async def home_text(world: World, user: str) -> str:
    world.slack.homes.pop(user, None)
    await world.sender.event({"type": "app_home_opened", "user": user, "channel": f"D{user}",
                              "tab": "home"})

    async def shown() -> bool:
        return user in world.slack.homes

    await eventually(shown)
    return str(world.slack.homes[user])


async def test_an_action_item_becomes_one_github_issue_shown_wherever_the_item_is(
        make_world, github):
    world = await github_world(make_world, github)
    channel = await world.declare("sev2 db-lag Replica lag")
    await world.incident(f"action Alert on replica lag <@{BOB}|bob>", channel=channel)
    await world.delivered()

    [issue] = github.issues.values()
    assert issue.title == "Alert on replica lag"
    assert "INC-1" in issue.body and "Owner: bob" in issue.body
    url = "https://github.com/acme/ops/issues/1"
    item = (await world.record()).action_items[0]
    assert (item.ticket_key, item.ticket_url) == ("1", url)
    assert [e.data["ticket"] for e in (await world.record()).events
            if e.action == "ticket_opened"] == ["1"]
    assert said(world, channel, f":ticket: Action item #1 is GitHub issue <{url}|#1>: "
                                "Alert on replica lag")

    async def summarised() -> bool:
        return f"<{url}|#1>" in summary_text(world, channel)

    await eventually(summarised)
    assert f"<{url}|#1>" in await home_text(world, BOB)
    assert f"- [ ] Alert on replica lag @bob ([#1]({url}))" in await export(world)


async def test_an_item_added_after_resolve_becomes_a_ticket_too(make_world, github):
    world = await github_world(make_world, github)
    channel = await world.declare("sev2 db-lag Replica lag")
    await world.incident("resolve", channel=channel)
    await world.incident("action Write the postmortem", channel=channel)
    await world.delivered()
    assert [i.title for i in github.issues.values()] == ["Write the postmortem"]
    assert "([#1](https://github.com/acme/ops/issues/1))" in await export(world)


async def test_the_first_answer_lost_still_makes_one_ticket(make_world, github):
    world = await github_world(make_world, github)
    channel = await world.declare("sev2 db-lag Replica lag")
    github.fault(lose_answer=True)  # GitHub makes the issue; its answer never arrives
    await world.incident("action Alert on replica lag", channel=channel)
    await world.delivered()

    assert len(github.issues) == 1
    creates = [r for r in github.received if r.method == "POST"]
    assert len(creates) == 1
    assert (await world.record()).action_items[0].ticket_key == "1"
    assert sum(m.count("is GitHub issue") for m in world.posted(channel)) == 1


async def test_a_ticket_closed_on_github_ticks_the_item_in_the_export(make_world, github):
    world = await github_world(make_world, github)
    channel = await world.declare("sev2 db-lag Replica lag")
    await world.incident("action Alert on replica lag", channel=channel)
    await world.incident("resolve", channel=channel)
    await world.delivered()

    assert await github.close_as(1, "octocat") == 200
    await world.delivered()
    record = await world.record()
    assert record.action_items[0].done
    [done] = [e for e in record.events if e.action == "action_done"]
    assert (done.actor_id, done.data["by"]) == ("github", "octocat")
    assert said(world, channel, "GitHub issue <https://github.com/acme/ops/issues/1|#1> was "
                                "closed by octocat: action item #1 is ticked")
    document = await export(world)
    assert "- [x] Alert on replica lag ([#1](https://github.com/acme/ops/issues/1))" in document
    assert check_export(document).line is None  # verify renders it again, ticket and all

    # The same close told again (a redelivery), or a reopen: nothing more changes.
    assert await github.close_as(1, "octocat") == 200
    assert await github.close_as(1, "octocat", reopen=True) == 200
    record = await world.record()
    assert [e.action for e in record.events].count("action_done") == 1
    assert record.action_items[0].done


async def test_a_webhook_not_signed_with_the_secret_changes_nothing(make_world, github):
    world = await github_world(make_world, github)
    channel = await world.declare("sev2 db-lag Replica lag")
    await world.incident("action Alert on replica lag", channel=channel)
    await world.delivered()
    before = len((await world.record()).events)

    github.webhooks.send_to(f"{world.bot.url}/webhooks/github", None)
    assert await github.close_as(1, "mallory") == 401
    github.webhooks.send_to(f"{world.bot.url}/webhooks/github", "not-the-secret")
    assert await github.close_as(1, "mallory") == 401
    record = await world.record()
    assert not record.action_items[0].done and len(record.events) == before


async def test_a_ticket_that_is_no_action_item_is_ignored(make_world, github):
    world = await github_world(make_world, github)
    channel = await world.declare("sev2 db-lag Replica lag")
    await world.incident("action Alert on replica lag", channel=channel)
    await world.delivered()
    someone_elses = github.add_issue("Fix the docs")
    before = len((await world.record()).events)

    assert await github.close_as(someone_elses.number, "octocat") == 200
    record = await world.record()
    assert not record.action_items[0].done and len(record.events) == before


async def test_action_done_closes_the_ticket_once_and_its_echo_ticks_nothing_twice(
        make_world, github):
    world = await github_world(make_world, github)
    channel = await world.declare("sev2 db-lag Replica lag")
    await world.incident("action Alert on replica lag", channel=channel)
    await world.incident("action done 1", channel=channel)
    await world.delivered()
    await github.webhooks.delivered()  # GitHub tells the bot of the close it made

    assert github.issues[1].state == "closed"
    assert [d.status for d in github.webhooks.deliveries] == [200]
    record = await world.record()
    assert [(e.action, e.actor_id) for e in record.events if e.action == "action_done"] == \
        [("action_done", ALICE)]
    assert sum(r.method == "PATCH" for r in github.received) == 1


async def test_a_token_github_refuses_is_said_in_the_channel_and_the_item_stays(
        make_world, github):
    world = await github_world(make_world, github, github_token="ghp_revoked")
    channel = await world.declare("sev2 db-lag Replica lag")
    await world.incident("action Alert on replica lag", channel=channel)
    await world.delivered()

    assert github.issues == {}
    [line] = [line for m in world.posted(channel) for line in m.splitlines()
              if "could not become" in line]
    assert "Action item #1 could not become a GitHub issue" in line
    assert "GITHUB_TOKEN" in line
    item = (await world.record()).action_items[0]
    assert item.text == "Alert on replica lag" and item.ticket_key is None
    assert "- [ ] Alert on replica lag\n" in await export(world)


async def test_an_action_item_becomes_a_jira_issue_with_its_due_date(make_world, jira):
    world = await jira_world(make_world, jira)
    channel = await world.declare("sev2 db-lag Replica lag")
    due = (world.bot.store.clock().date() + timedelta(days=7)).isoformat()
    await world.incident(f"action Alert on replica lag <@{BOB}|bob>", channel=channel)
    await world.delivered()
    await world.incident(f"action due 1 {due}", channel=channel)
    await world.delivered()

    [issue] = jira.issues.values()
    assert (issue.key, issue.summary, issue.duedate) == ("OPS-1", "Alert on replica lag", due)
    url = jira.browse("OPS-1")
    assert said(world, channel,
                f":ticket: Action item #1 is Jira issue <{url}|OPS-1>: Alert on replica lag")
    assert f"- [ ] Alert on replica lag @bob (due {due}) ([OPS-1]({url}))" in await export(world)


async def test_a_jira_issue_moved_to_done_ticks_the_item_and_action_done_closes_another(
        make_world, jira):
    world = await jira_world(make_world, jira)
    channel = await world.declare("sev2 db-lag Replica lag")
    await world.incident("action Alert on replica lag", channel=channel)
    await world.incident("action Add a lag dashboard", channel=channel)
    await world.delivered()

    assert await jira.transition_as("OPS-1", "Done", "Dana Ops") == 200
    await world.incident("action done 2", channel=channel)
    await world.delivered()
    await jira.webhooks.delivered()

    assert jira.issues["OPS-2"].status == "Done"
    record = await world.record()
    assert [a.done for a in record.action_items] == [True, True]
    assert [(e.actor_id, e.data.get("by")) for e in record.events if e.action == "action_done"] \
        == [("jira", "Dana Ops"), (ALICE, None)]
    document = await export(world)
    assert f"- [x] Alert on replica lag ([OPS-1]({jira.browse('OPS-1')}))" in document
    assert f"- [x] Add a lag dashboard ([OPS-2]({jira.browse('OPS-2')}))" in document


async def test_without_tickets_an_action_item_stays_in_the_bot(world):
    channel = await world.declare("sev2 db-lag Replica lag")
    await world.incident("action Alert on replica lag", channel=channel)
    await world.incident("action done 1", channel=channel)
    await world.delivered()
    assert (await world.record()).action_items[0].ticket_key is None
    assert "- [x] Alert on replica lag\n" in await export(world)


async def test_a_close_github_refuses_is_said_and_the_item_stays_ticked(make_world, github):
    world = await github_world(make_world, github)
    channel = await world.declare("sev2 db-lag Replica lag")
    await world.incident("action Alert on replica lag", channel=channel)
    await world.delivered()
    github.can_write = False  # the token lost its write access meanwhile
    await world.incident("action done 1", channel=channel)
    await world.delivered()

    assert github.issues[1].state == "open"
    assert said(world, channel, "Action item #1 is ticked, but its GitHub issue could not be "
                                "closed")
    assert said(world, channel, "GITHUB_TOKEN lacks a permission")
    assert (await world.record()).action_items[0].done


async def test_a_due_date_set_before_the_jira_issue_is_made_is_on_it_from_the_start(
        make_world, jira):
    world = await jira_world(make_world, jira)
    channel = await world.declare("sev2 db-lag Replica lag")
    due = (world.bot.store.clock().date() + timedelta(days=3)).isoformat()
    jira.fault(status=503)  # Jira is down when the item is added
    await world.incident("action Alert on replica lag", channel=channel)
    await world.incident(f"action due 1 {due}", channel=channel)
    await world.delivered()

    [issue] = jira.issues.values()
    assert issue.duedate == due
    creates = [r for r in jira.received if r.method == "POST" and r.path == "/rest/api/3/issue"]
    assert creates[-1].body["fields"]["duedate"] == due


async def test_a_jira_webhook_without_the_secret_changes_nothing(make_world, jira):
    world = await jira_world(make_world, jira)
    channel = await world.declare("sev2 db-lag Replica lag")
    await world.incident("action Alert on replica lag", channel=channel)
    await world.delivered()

    jira.webhooks.send_to(f"{world.bot.url}/webhooks/jira", None)
    assert await jira.transition_as("OPS-1", "Done", "Mallory") == 401
    assert not (await world.record()).action_items[0].done
