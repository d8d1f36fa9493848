"""A reviewer checks a committed export on its own, and the database against its export."""

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.domain.timeline import chain
from bot.export.render import Renderer
from bot.services.exporter import Exporter
from bot.storage.migrate import sync_url
from bot.storage.store import Store
from tests.export.test_export import play_incident
from tests.support.clock import ManualClock
from tests.test_cli import run


@pytest.fixture
def exported(database_url, tmp_path) -> dict:
    async def play() -> Path:
        clock = ManualClock()
        store = Store.from_url(database_url, clock=clock.now)
        result = await play_incident(store, clock, Exporter(export_dir=tmp_path / "incidents",
                                                            renderer=Renderer()))
        await store.close()
        return result.path

    path = asyncio.run(play())
    return {"path": path, "env": {"DATABASE_URL": database_url, "EXPORT_DIR": str(path.parent)}}


def edit(path: Path, old: str, new: str) -> int:
    """Replace `old` on the one line holding it; the line's number."""
    lines = path.read_text().split("\n")
    number = next(n for n, line in enumerate(lines) if old in line)
    lines[number] = lines[number].replace(old, new)
    path.write_text("\n".join(lines))
    return number + 1


def test_an_export_verifies_on_its_own_with_no_database(exported, tmp_path):
    result = run("verify", str(exported["path"]), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    said = result.stdout.split("\n")
    assert said[:2] == [
        f"{exported['path']}: every generated line matches (the default template)",
        f"{exported['path']}: lines 84–86 below the marker are the team's own writing, "
        "not verified"]
    assert said[2].startswith(f"{exported['path']}: 16 events, chain intact, head ")
    assert said[2].endswith(", timeline rows match") and said[3:] == [""]


def test_an_edited_timeline_row_is_reported_at_its_line(exported):
    line = edit(exported["path"], "<br>killed idle sessions | bob |", "<br>nothing to see | bob |")
    result = run("verify", str(exported["path"]))
    assert result.returncode == 1
    assert result.stdout.startswith(f"{exported['path']}:{line}: timeline row differs from event 5 (log)")


def test_an_edited_event_in_the_timeline_block_breaks_the_chain_at_its_line(exported):
    line = edit(exported["path"], '"details":"errors back to normal"', '"details":"all fine"')
    result = run("verify", str(exported["path"]))
    assert result.returncode == 1
    assert result.stdout.strip() == (f"{exported['path']}:{line}: event 12 (status_update): "
                                     "its content no longer matches its hash")


def test_a_wrong_chain_head_line_is_reported(exported):
    lines = exported["path"].read_text().split("\n")
    exported["path"].write_text("\n".join(lines[:-2] + ["timeline-sha256: " + "0" * 64, ""]))
    result = run("verify", str(exported["path"]))
    assert result.returncode == 1
    assert result.stdout.startswith(f"{exported['path']}:{len(lines) - 1}: the chain head is ")


def test_a_file_without_a_timeline_block_is_refused_in_one_line(tmp_path):
    file = tmp_path / "old.md"
    file.write_text("# INC-1\n\ntimeline-sha256: abc\n")
    result = run("verify", str(file))
    assert result.returncode == 1
    assert result.stdout.strip() == f"{file}:4: no timeline block"


def test_a_chain_rewritten_whole_in_the_database_no_longer_matches_its_export(exported):
    async def rewrite() -> None:
        store = Store.from_url(exported["env"]["DATABASE_URL"], clock=ManualClock().now)
        async with store.reading() as tx:
            events = await tx.events(1)
        await store.close()
        events[4].details = "nothing happened"
        for previous, event in zip(events[3:], events[4:], strict=False):
            chain(event, previous)
        engine = create_engine(sync_url(exported["env"]["DATABASE_URL"]))
        with engine.begin() as connection:
            for event in events[4:]:
                connection.execute(text("UPDATE timeline_events SET details = :d, prev_hash = :p, "
                                        "hash = :h WHERE incident_id = 1 AND seq = :s"),
                                   {"d": event.details, "p": event.prev_hash, "h": event.hash,
                                    "s": event.seq})
        engine.dispose()

    before = run("verify", "INC-1", env=exported["env"])
    assert before.returncode == 0, before.stdout + before.stderr
    assert f"INC-1: matches {exported['path']}" in before.stdout
    asyncio.run(rewrite())
    after = run("verify", "INC-1", env=exported["env"])
    assert after.returncode == 1
    assert after.stdout.split("\n")[0].startswith("INC-1: 16 events, chain intact")  # on its own
    assert after.stdout.split("\n")[1] == (
        f"INC-1: event 5 (log, 2026-03-14T14:37:00Z) differs in the database since "
        f"{exported['path']} was written")
