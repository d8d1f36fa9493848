from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.domain.policy import Policy
from bot.services.export_again import owe_export_again
from bot.storage.store import Store
from tests.support.clock import ManualClock
from tests.support.databases import fresh_database, prepare_template
from tests.support.world import MakeWorld, World, Worlds


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "over_http: Slack's requests reach the bot over HTTP, "
                                       "for stories about the endpoint itself")


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    return prepare_template(tmp_path_factory.mktemp("db"))


@pytest.fixture
def database_url(database_template: str, tmp_path) -> str:
    return fresh_database(database_template, tmp_path)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def store(database_url: str, clock: ManualClock):
    store = Store.from_url(database_url, clock=clock.now,
                           after_append=owe_export_again(Policy().export_debounce))
    yield store
    await store.close()


@pytest.fixture
async def make_world(database_url: str, tmp_path: Path,
                     request: pytest.FixtureRequest) -> AsyncIterator[MakeWorld]:
    """Starts a bot with the settings given; `slack=` puts one more in front of the same Slack
    (a replica, a restart). Every bot it started is stopped when the story ends."""
    worlds = Worlds(database_url, tmp_path,
                    over_http=request.node.get_closest_marker("over_http") is not None)
    yield worlds.start
    await worlds.stop()


@pytest.fixture
async def world(make_world: MakeWorld) -> World:
    return await make_world()
