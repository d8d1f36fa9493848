"""Every call the bot makes to Slack, PagerDuty, Statuspage and git is counted where it is made,
by system, method and outcome (ok, retry, refused, error): /metrics shows
incident_bot_outbound_calls_total, and the figures say which system is in trouble, and how."""

import socket
import subprocess
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.export.git import ExportGit, GitFailed
from bot.outbound.errors import Retry
from bot.outbound.metrics import OutboundCalls
from bot.paging.pagerduty import Busy, PagerDuty, Refused
from bot.slack.refusals import NeedsAPerson
from bot.slack.webapi import WebApi
from bot.standin.pagerduty import FakePagerDuty
from bot.standin.slack_api import FakeSlackAPI
from bot.standin.statuspage import FakeStatuspage
from bot.statuspage.api import Busy as StatuspageBusy
from bot.statuspage.api import Refused as StatuspageRefused
from bot.statuspage.api import Statuspage

KEY = "k" * 32


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_slack_calls_are_counted_by_method_and_outcome():
    calls = OutboundCalls()
    async with FakeSlackAPI(scopes=["chat:write", "channels:manage"]) as slack:
        ops = slack.add_channel("ops", members=[slack.bot_user_id])
        api = WebApi(AsyncWebClient(token=slack.bot_token, base_url=slack.url, retry_handlers=[]),
                     calls=calls)
        await api.call("chat.postMessage", channel=ops, text="one")
        with pytest.raises(SlackApiError):  # the next name is tried: an answer, not trouble
            await api.call("conversations.create", name="ops")
        slack.fault("chat.postMessage", status=429)
        with pytest.raises(Retry):
            await api.call("chat.postMessage", channel=ops, text="two")
        with pytest.raises(NeedsAPerson):
            await api.call("pins.add", channel=ops, timestamp="1.0")
        with pytest.raises(SlackApiError):  # Slack's final word, for the delivery to give up
            await api.call("chat.update", channel=ops, ts="9.9", text="gone")
        slack.outage(status=503)
        with pytest.raises(Retry):
            await api.call("conversations.info", channel=ops)
        assert not await api.probe()
        slack.restore()
        assert await api.probe()

    assert calls.counts == {
        ("slack", "chat.postMessage", "ok"): 1, ("slack", "chat.postMessage", "retry"): 1,
        ("slack", "conversations.create", "ok"): 1,
        ("slack", "pins.add", "refused"): 1, ("slack", "chat.update", "refused"): 1,
        ("slack", "conversations.info", "retry"): 1,
        ("slack", "api.test", "retry"): 1, ("slack", "api.test", "ok"): 1}


async def test_pagerduty_events_are_counted_by_action_and_outcome():
    calls = OutboundCalls()
    trigger = {"routing_key": KEY, "event_action": "trigger", "dedup_key": "INC-1",
               "payload": {"summary": "INC-1 SEV1: db", "source": "incident-bot",
                           "severity": "critical"}}
    async with FakePagerDuty() as pagerduty:
        pager = PagerDuty(url=pagerduty.url, routing_key=KEY, calls=calls)
        await pager.send(trigger)
        pagerduty.fault(status=500)
        with pytest.raises(Busy):
            await pager.send(trigger)
        with pytest.raises(Refused):
            await pager.send({**trigger, "event_action": "resolve", "routing_key": "short"})
    unreachable = PagerDuty(url=f"http://127.0.0.1:{closed_port()}/v2/enqueue", calls=calls,
                            timeout=timedelta(seconds=2))
    with pytest.raises(Busy):
        await unreachable.send(trigger)

    assert calls.counts == {("pagerduty", "trigger", "ok"): 1,
                            ("pagerduty", "trigger", "retry"): 2,
                            ("pagerduty", "resolve", "refused"): 1}


async def test_statuspage_calls_are_counted_by_call_and_outcome():
    calls = OutboundCalls()
    async with FakeStatuspage(page_id="pg0", api_key="good") as statuspage:
        page = Statuspage(url=statuspage.url, page_id="pg0", api_key="good", calls=calls)
        public_id = await page.create(name="Checkout", status="investigating", body="Looking",
                                      marker="INC-1")
        statuspage.fault(status=429)
        with pytest.raises(StatuspageBusy):
            await page.update(public_id, status="identified", body="Found it")
        wrong_key = Statuspage(url=statuspage.url, page_id="pg0", api_key="bad", calls=calls)
        with pytest.raises(StatuspageRefused):
            await wrong_key.find(name="Checkout", marker="INC-1")

    assert calls.counts == {("statuspage", "create", "ok"): 1,
                            ("statuspage", "update", "retry"): 1,
                            ("statuspage", "lookup", "refused"): 1}


def git(folder: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True)


async def test_git_commits_and_pushes_are_counted_by_step_and_outcome(tmp_path):
    repo = tmp_path / "postmortems"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    git(tmp_path, "init", "-q", "--bare", "remote.git")
    git(repo, "remote", "add", "origin", str(tmp_path / "remote.git"))
    draft = repo / "INC-1.md"
    draft.write_text("id: INC-1\n")
    calls = OutboundCalls()
    exports = ExportGit(push=True, calls=calls)
    await exports.commit(draft, "INC-1: draft")

    git(repo, "remote", "set-url", "origin", f"http://127.0.0.1:{closed_port()}/nothing.git")
    draft.write_text("id: INC-1\nstatus: resolved\n")
    with pytest.raises(GitFailed):
        await exports.commit(draft, "INC-1: resolved")  # the remote is not there: again later
    git(repo, "remote", "remove", "origin")
    with pytest.raises(GitFailed):
        await exports.commit(draft, "INC-1: resolved")  # no remote at all: git says no

    assert calls.counts == {("git", "commit", "ok"): 3, ("git", "push", "ok"): 1,
                            ("git", "push", "retry"): 1, ("git", "push", "refused"): 1}


async def test_a_running_bot_shows_its_calls_and_slack_s_state_on_metrics(world):
    await world.declare()
    async with aiohttp.ClientSession() as session, \
            session.get(f"{world.bot.url}/metrics") as answer:
        shown = await answer.text()

    assert 'incident_bot_outbound_calls_total{method="conversations.create",outcome="ok",' \
           'system="slack"} 1.0' in shown
    assert "incident_bot_slack_reachable 1.0" in shown
    assert "incident_bot_slack_token_ok 1.0" in shown
