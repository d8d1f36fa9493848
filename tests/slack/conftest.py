import pytest

from tests.support.world import start_world, stop_world


@pytest.fixture
async def world(database_url, tmp_path):
    world = await start_world(database_url, tmp_path)
    yield world
    await stop_world(world)
