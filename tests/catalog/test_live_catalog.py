"""Teams edit the catalog while the bot runs: the bot follows the folder, and a broken file
never takes the others down."""

import asyncio
import logging
from datetime import timedelta

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from bot.catalog.live import LiveCatalog
from bot.slack.server import CatalogBroken
from tests.catalog.samples import CHECKOUT, TYPES, service
from tests.support.waiting import eventually

POLL = timedelta(milliseconds=50)
BAD_TIER = CHECKOUT.replace("tier: 1", "tier: 7")
BAD_TIER_PROBLEM = "8: 'tier' must be a whole number from 1 to 4"


@pytest.fixture
async def live(tmp_path):
    """The folder as `serve` watches it, polled every 50 ms."""
    live = LiveCatalog(tmp_path, every=POLL)
    live.load()
    stop = asyncio.Event()
    task = asyncio.create_task(live.run(stop))
    yield live
    stop.set()
    await task


def names(live: LiveCatalog) -> list[str]:
    return [s.name for s in live.catalog.services]


async def until(condition) -> None:
    async def check() -> bool:
        return condition()

    await eventually(check, timeout=5)


def broken_gauge(live: LiveCatalog) -> str:
    registry = CollectorRegistry()
    registry.register(CatalogBroken(live.catalog))
    return next(line for line in generate_latest(registry).decode().splitlines()
                if line.startswith("incident_bot_catalog_broken_files "))


async def test_a_service_added_while_the_bot_runs_is_found(live, tmp_path):
    held = live.catalog  # what the handlers were given at start-up
    assert held.services == []
    (tmp_path / "checkout.yaml").write_text(CHECKOUT)
    await until(lambda: held.find("cart") is not None)
    assert held.find("cart").name == "checkout"


async def test_an_edited_service_is_found_as_it_now_reads(live, tmp_path):
    (tmp_path / "checkout.yaml").write_text(CHECKOUT)
    await until(lambda: names(live) == ["checkout"])
    (tmp_path / "checkout.yaml").write_text(CHECKOUT.replace("cart]", "basket]"))
    await until(lambda: live.catalog.find("basket") is not None)
    assert live.catalog.find("cart") is None


async def test_an_edited_types_file_is_read_again(live, tmp_path):
    (tmp_path / "types.yaml").write_text(TYPES)
    await until(lambda: live.catalog.find_type("outage") is not None)
    (tmp_path / "types.yaml").write_text(TYPES.replace("severity: p1", "severity: p2"))
    await until(lambda: live.catalog.find_type("outage").severity == 2)


async def test_a_removed_service_is_no_longer_found(live, tmp_path):
    (tmp_path / "checkout.yaml").write_text(CHECKOUT)
    (tmp_path / "search.yaml").write_text(service("search"))
    await until(lambda: names(live) == ["checkout", "search"])
    (tmp_path / "checkout.yaml").unlink()
    await until(lambda: names(live) == ["search"])


def test_a_broken_file_is_left_out_logged_and_counted_at_start_up(tmp_path, caplog):
    (tmp_path / "checkout.yaml").write_text(BAD_TIER)
    (tmp_path / "search.yaml").write_text(service("search"))
    live = LiveCatalog(tmp_path, every=POLL)
    with caplog.at_level(logging.WARNING, logger="bot.catalog.live"):
        live.load()
    assert names(live) == ["search"]
    assert broken_gauge(live) == "incident_bot_catalog_broken_files 1.0"
    assert caplog.messages == [f"{tmp_path / 'checkout.yaml'}:{BAD_TIER_PROBLEM}"]


async def test_a_service_broken_by_an_edit_is_dropped_logged_once_and_counted(live, tmp_path,
                                                                              caplog):
    (tmp_path / "checkout.yaml").write_text(CHECKOUT)
    await until(lambda: names(live) == ["checkout"])
    assert broken_gauge(live) == "incident_bot_catalog_broken_files 0.0"
    with caplog.at_level(logging.WARNING, logger="bot.catalog.live"):
        (tmp_path / "checkout.yaml").write_text(BAD_TIER)
        await until(lambda: live.catalog.broken == 1)
        assert names(live) == []
        await asyncio.sleep(10 * POLL.total_seconds())  # polls that find nothing new say nothing
    assert caplog.messages == [f"{tmp_path / 'checkout.yaml'}:{BAD_TIER_PROBLEM}"]
    assert broken_gauge(live) == "incident_bot_catalog_broken_files 1.0"

    (tmp_path / "checkout.yaml").write_text(CHECKOUT)
    await until(lambda: names(live) == ["checkout"])
    assert broken_gauge(live) == "incident_bot_catalog_broken_files 0.0"


async def test_a_catalog_folder_created_after_start_up_is_picked_up(tmp_path):
    folder = tmp_path / "later"
    live = LiveCatalog(folder, every=POLL)
    live.load()
    assert (live.catalog.services, live.catalog.broken) == ([], 0)
    stop = asyncio.Event()
    task = asyncio.create_task(live.run(stop))
    folder.mkdir()
    (folder / "checkout.yaml").write_text(CHECKOUT)
    await until(lambda: names(live) == ["checkout"])
    stop.set()
    await task
