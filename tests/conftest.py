import pytest

from bot.domain.policy import Policy
from bot.services.export_again import owe_export_again
from bot.storage.store import Store
from tests.support.clock import ManualClock
from tests.support.databases import fresh_database, prepare_template


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
