"""After resolve, by signed Slack requests: the export keeps up with later changes, lands in git (a real
repository, a bare remote), and the commander is asked for the postmortem when it falls due."""

import asyncio
import re
import time
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from bot.config import ConfigError, load_settings
from bot.export.verify import check_export
from bot.runtime import BotRuntime
from bot.storage.tables import OutboxRow
from tests.support.clock import ShiftedClock
from tests.support.waiting import eventually
from tests.support.world import BOB, World

MESSAGE = "INC-1: postmortem draft (db-outage)"


@pytest.fixture(autouse=True)
def no_global_git_config(monkeypatch, tmp_path):
    """The repository's own settings only, whoever runs the tests."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-global-gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


async def git(folder: Path, *args: str, check: bool = True) -> str:
    process = await asyncio.create_subprocess_exec(
        "git", *args, cwd=folder, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    assert process.returncode == 0 or not check, err.decode()
    return out.decode().strip()


async def repository(tmp_path: Path, *, remote: bool = False) -> tuple[Path, Path]:
    """A work tree for the postmortems, and its bare remote (added as origin when asked)."""
    repo, bare = tmp_path / "postmortems", tmp_path / "remote.git"
    repo.mkdir()
    await git(repo, "init", "-q", "-b", "main")
    await git(tmp_path, "init", "-q", "--bare", str(bare))
    if remote:
        await git(repo, "remote", "add", "origin", str(bare))
    return repo, bare


async def commits(folder: Path, branch: str = "HEAD") -> list[str]:
    """Subjects, newest first; none while the branch has no commit."""
    return (await git(folder, "log", "--format=%s", branch, "--", check=False)).splitlines()


async def metric(world: World, outcome: str) -> float:
    async with aiohttp.ClientSession() as session, \
            session.get(f"{world.bot.url}/metrics") as response:
        body = await response.text()
    found = re.search(rf'^incident_bot_export_git_total{{outcome="{outcome}"}} (\S+)$', body, re.M)
    assert found, body
    return float(found.group(1))


async def git_rows(world: World) -> list[OutboxRow]:
    async with world.bot.store.reading() as tx:
        return list((await tx.session.execute(
            select(OutboxRow).where(OutboxRow.kind == "export_git").order_by(OutboxRow.id))).scalars())


def export_name(repo: Path) -> str:
    [export] = (repo / "incidents").glob("*.md")
    return export.name


@pytest.fixture
async def git_world(make_world, tmp_path):
    repo, _ = await repository(tmp_path)
    world = await make_world(export_dir=repo / "incidents", export_debounce="1s", export_git=True)
    return world, repo


async def test_resolve_commits_the_export_and_later_changes_commit_it_again(git_world):
    world, repo = git_world
    channel = await world.declare()
    await world.incident("status mitigating", channel=channel)
    await world.incident("resolve replica lag alarm was missing", channel=channel)
    await world.delivered()
    [export] = (repo / "incidents").glob("*.md")
    assert await commits(repo) == [MESSAGE]
    assert await git(repo, "status", "--porcelain") == ""

    # A burst of changes after resolve: one rewrite, one upload, one commit.
    await world.incident("rootcause pool limit of 10 was reached", channel=channel)
    await world.incident("log found the limit in the config", channel=channel)
    await world.incident("action raise the pool limit", channel=channel)

    async def committed_again() -> bool:
        return len(await commits(repo)) == 2

    await eventually(committed_again, timeout=10)
    await world.delivered()
    assert list((repo / "incidents").glob("*.md")) == [export]
    text = export.read_text()
    assert "pool limit of 10 was reached" in text and "- [ ] raise the pool limit" in text
    assert check_export(text).line is None
    assert await git(repo, "show", "HEAD:incidents/" + export.name) + "\n" == text
    updated = [f for f in world.slack.files if f.initial_comment.startswith("Postmortem draft updated")]
    assert len(updated) == 1 and len(world.slack.files) == 2
    assert updated[0].filename == export.name and updated[0].content.decode() == text
    assert channel in updated[0].channels
    assert await metric(world, "committed") == 2 and await metric(world, "failed") == 0


@pytest.mark.over_http  # the ack's time as Slack sees it
async def test_the_acks_stay_fast_while_git_is_slow(git_world):
    world, repo = git_world
    hook = repo / ".git" / "hooks" / "pre-commit"
    # Slow once: it says when it starts, then takes itself away.
    hook.write_text('#!/bin/sh\ntouch .git/committing\nsleep 3\nrm -- "$0"\n')
    hook.chmod(0o755)
    channel = await world.declare()
    await world.incident("resolve replica lag alarm was missing", channel=channel)

    async def committing() -> bool:
        return (repo / ".git" / "committing").exists()

    await eventually(committing)
    started = time.monotonic()
    response = await world.incident("log while git commits", channel=channel)
    assert response.status == 200 and time.monotonic() - started < 1
    assert await commits(repo) == []

    # The resolve's draft is committed once git is done; the log after it comes in a rewrite
    # a second later.
    async def committed() -> bool:
        return await commits(repo) == [MESSAGE, MESSAGE]

    await eventually(committed, timeout=10)


async def test_pushed_to_the_remote(make_world, tmp_path):
    repo, bare = await repository(tmp_path, remote=True)
    world = await make_world(export_dir=repo / "incidents", export_git=True, export_git_push=True)
    channel = await world.declare()
    await world.incident("resolve replica lag alarm was missing", channel=channel)
    await world.delivered()
    assert await commits(bare, "main") == [MESSAGE]
    assert await metric(world, "pushed") == 1


async def test_a_failing_push_is_said_once_counted_and_retried(make_world, tmp_path):
    repo, bare = await repository(tmp_path, remote=True)
    world = await make_world(export_dir=repo / "incidents", export_git=True, export_git_push=True)
    channel = await world.declare()
    await git(repo, "remote", "remove", "origin")
    await world.incident("resolve replica lag alarm was missing", channel=channel)

    async def failed_a_few_times() -> bool:
        return await metric(world, "failed") >= 3

    await eventually(failed_a_few_times, timeout=10)

    def failures() -> list[str]:
        return [text for text in world.posted(channel) if "could not be committed" in text]

    async def said_once() -> bool:
        return bool(failures())

    await eventually(said_once)
    [said] = failures()
    assert said == (f":warning: The postmortem draft `{export_name(repo)}` could not be "
                    "committed to git (git push: fatal: 'origin' does not appear to be a git "
                    "repository). The file is written; the commit is retried.")
    assert await commits(repo) == [MESSAGE]  # committed: only the push is owed

    await git(repo, "remote", "add", "origin", str(bare))

    async def pushed() -> bool:
        return await commits(bare, "main") == [MESSAGE]

    await eventually(pushed, timeout=10)
    await world.delivered()
    assert len(failures()) == 1
    assert await metric(world, "pushed") == 1
    assert await metric(world, "committed") == 1


async def test_two_replicas_commit_each_export_once(make_world, tmp_path):
    repo, _ = await repository(tmp_path)
    settings = {"export_dir": repo / "incidents", "export_git": True, "export_debounce": "1s"}
    one = await make_world(**settings)
    two = await make_world(slack=one.slack, **settings)
    channel = await one.declare()
    await one.incident("resolve replica lag alarm was missing", channel=channel)
    await two.incident("log a finding after resolve", channel=channel)

    async def both_delivered() -> bool:
        rows = await git_rows(one)
        return len(rows) == 2 and all(row.delivered_at for row in rows)

    await eventually(both_delivered, timeout=10)
    assert await commits(repo) == [MESSAGE] * 2
    assert [row.attempts for row in await git_rows(one)] == [1, 1]
    gits = [world.bot.git for world in (one, two)]
    assert sum(g.counts["committed"] for g in gits if g) == 2


async def test_the_commander_is_asked_for_the_postmortem_once(make_world):
    clock = ShiftedClock()
    world = await make_world(clock=clock)
    channel = await world.declare()
    await world.incident(f"commander <@{BOB}|bob>", channel=channel)
    await world.incident("resolve replica lag alarm was missing", channel=channel)
    await world.delivered()
    clock.advance(hours=24)

    def asked() -> list[str]:
        return [text for text in world.posted(channel) if "postmortem draft, then" in text]

    async def nudged() -> bool:
        return bool(asked())

    await eventually(nudged)
    await asyncio.sleep(0.5)  # a few more ticks
    await world.delivered()
    assert asked() == [f":memo: <@{BOB}>, the incident was resolved 1d ago and is not closed "
                       "yet: review the postmortem draft, then `/incident status closed`."]


# start-up -----------------------------------------------------------------------------------
def test_start_up_stops_when_export_dir_is_not_in_a_git_work_tree(database_url, tmp_path):
    config = load_settings(database_url=database_url, export_dir=tmp_path / "incidents",
                           export_git=True, slack_bot_token="xoxb-1", slack_signing_secret="s")
    with pytest.raises(ConfigError, match=r"^EXPORT_GIT is set, but EXPORT_DIR \(.*\) is not "
                                          r"inside a git work tree$"):
        BotRuntime(config)


def test_the_new_settings_are_checked_at_start_up():
    with pytest.raises(ConfigError, match="^EXPORT_GIT_PUSH is set, but EXPORT_GIT is not$"):
        load_settings(export_git_push=True)
    with pytest.raises(ConfigError, match="^EXPORT_DEBOUNCE is malformed: "):
        load_settings(export_debounce="soon")
    with pytest.raises(ConfigError, match="^POSTMORTEM_DUE is malformed: "):
        load_settings(postmortem_due="0s")
    assert load_settings().policy().postmortem_due.total_seconds() == 24 * 3600
