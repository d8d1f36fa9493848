"""A team edits its runbooks while the bot runs: the bot follows the folder, and a broken file
never takes the others down."""

import asyncio
import logging
from datetime import timedelta

import aiohttp
import pytest

from bot.runbooks.live import LiveLibrary
from tests.runbooks.samples import GOOD
from tests.support.waiting import eventually

POLL = timedelta(milliseconds=50)
SPICY = GOOD.replace("risk: high", "risk: spicy")
SPICY_PROBLEM = "32: unknown risk 'spicy' (use low, medium or high)"


def another(number: int, title: str) -> str:
    return GOOD.replace("RUN-042", f"RUN-{number:03}").replace("Cache stampede", title)


@pytest.fixture
async def live(tmp_path):
    """The folder as `serve` watches it, polled every 50 ms."""
    live = LiveLibrary(tmp_path, every=POLL)
    live.load()
    stop = asyncio.Event()
    task = asyncio.create_task(live.run(stop))
    yield live
    stop.set()
    await task


def titles(live: LiveLibrary) -> list[str]:
    return [runbook.title for runbook in live.library.runbooks]


async def until(condition) -> None:
    async def check() -> bool:
        return condition()

    await eventually(check, timeout=5)


async def test_a_runbook_written_while_the_bot_runs_is_offered(live, tmp_path):
    held = live.library  # what the Slack handlers were given at start-up
    assert held.runbooks == []
    (tmp_path / "cache.md").write_text(GOOD)
    await until(lambda: held.find("RUN-042") is not None)
    assert held.matching("cache-eu")[0].title == "Cache stampede"


async def test_an_edited_runbook_is_offered_as_it_now_reads(live, tmp_path):
    (tmp_path / "cache.md").write_text(GOOD)
    await until(lambda: titles(live) == ["Cache stampede"])
    (tmp_path / "cache.md").write_text(GOOD.replace("Cache stampede", "Cache stampede (hot keys)"))
    await until(lambda: titles(live) == ["Cache stampede (hot keys)"])
    assert live.library.find("RUN-042").title == "Cache stampede (hot keys)"


async def test_a_removed_runbook_is_no_longer_offered(live, tmp_path):
    (tmp_path / "cache.md").write_text(GOOD)
    (tmp_path / "dns.md").write_text(another(43, "DNS failure"))
    await until(lambda: titles(live) == ["Cache stampede", "DNS failure"])
    (tmp_path / "cache.md").unlink()
    await until(lambda: titles(live) == ["DNS failure"])
    assert live.library.find("RUN-042") is None


def test_a_broken_file_is_left_out_logged_and_counted_at_start_up(tmp_path, caplog):
    (tmp_path / "cache.md").write_text(SPICY)
    (tmp_path / "dns.md").write_text(another(43, "DNS failure"))
    (tmp_path / "binary.md").write_bytes(b"\xff\xfe---")
    live = LiveLibrary(tmp_path, every=POLL)
    with caplog.at_level(logging.WARNING, logger="bot.runbooks.live"):
        live.load()
    assert titles(live) == ["DNS failure"]
    assert live.library.broken == 2
    assert caplog.messages == [
        f"{tmp_path / 'binary.md'}:1: not UTF-8 text: invalid start byte at byte 0",
        f"{tmp_path / 'cache.md'}:{SPICY_PROBLEM}"]


async def test_a_runbook_broken_by_an_edit_is_dropped_not_kept_as_it_was(live, tmp_path, caplog):
    (tmp_path / "cache.md").write_text(GOOD)
    await until(lambda: titles(live) == ["Cache stampede"])
    with caplog.at_level(logging.WARNING, logger="bot.runbooks.live"):
        (tmp_path / "cache.md").write_text(SPICY)
        await until(lambda: live.library.broken == 1)
        assert titles(live) == []
        await asyncio.sleep(10 * POLL.total_seconds())  # polls that find nothing new say nothing
    assert caplog.messages == [f"{tmp_path / 'cache.md'}:{SPICY_PROBLEM}"]

    (tmp_path / "cache.md").write_text(GOOD)
    await until(lambda: titles(live) == ["Cache stampede"])
    assert live.library.broken == 0


async def test_a_broken_file_edited_and_still_broken_is_logged_again(live, tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="bot.runbooks.live"):
        (tmp_path / "cache.md").write_text(SPICY)
        await until(lambda: len(caplog.messages) == 1)
        (tmp_path / "cache.md").write_text(SPICY + "\nstill spicy\n")
        await until(lambda: len(caplog.messages) == 2)
    assert caplog.messages[0] == caplog.messages[1] == f"{tmp_path / 'cache.md'}:{SPICY_PROBLEM}"


async def test_a_runbooks_folder_created_after_start_up_is_picked_up(tmp_path):
    folder = tmp_path / "later"
    live = LiveLibrary(folder, every=POLL)
    live.load()
    assert (live.library.runbooks, live.library.broken) == ([], 0)
    stop = asyncio.Event()
    task = asyncio.create_task(live.run(stop))
    folder.mkdir()
    (folder / "cache.md").write_text(GOOD)
    await until(lambda: titles(live) == ["Cache stampede"])
    stop.set()
    await task


async def metric(url: str, name: str) -> float:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/metrics") as response:
        body = await response.text()
    return float(next(line for line in body.splitlines() if line.startswith(name + " ")).split()[1])


async def test_serve_starts_with_a_broken_runbook_and_counts_it_until_it_is_fixed(make_world, tmp_path):
    folder = tmp_path / "runbooks"
    folder.mkdir()
    (folder / "cache.md").write_text(SPICY)
    (folder / "dns.md").write_text(another(43, "DNS failure"))
    world = await make_world(runbooks_dir=folder)
    assert await metric(world.bot.url, "incident_bot_runbooks_broken") == 1.0
    assert [r.id for r in world.bot.deps.library.runbooks] == ["RUN-043"]

    (folder / "cache.md").write_text(GOOD)

    async def fixed() -> bool:
        return await metric(world.bot.url, "incident_bot_runbooks_broken") == 0.0

    await eventually(fixed, timeout=10)  # the promise: within 10 s, no restart
    assert [r.id for r in world.bot.deps.library.runbooks] == ["RUN-042", "RUN-043"]
