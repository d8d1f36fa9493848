"""After resolve: later changes rewrite the export once a burst, and the postmortem falls due."""

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from bot.domain import notices as n
from bot.domain.lifecycle import Status
from bot.domain.reminders import ReminderKind
from bot.export.render import Renderer
from bot.export.verify import check_export
from bot.services import incidents
from bot.services.exporter import Exporter
from bot.services.reminders import fire_due
from bot.storage.tables import ReminderRow
from tests.services.support import POLICY, by, channel_posts, open_incident, owed

ALICE, BOB = "U0ALICE", "U0BOB"
# Only what follows resolve: no nudges, deadlines or escalations in the way.
QUIET = replace(POLICY, ack_deadlines={}, escalate_after={})


def exporter_in(tmp_path, *, git: bool = False) -> Exporter:
    return Exporter(export_dir=tmp_path / "incidents", renderer=Renderer(), git=git)


async def pending(store, kind: ReminderKind) -> list[ReminderRow]:
    async with store.reading() as tx:
        return list((await tx.session.execute(select(ReminderRow).where(
            ReminderRow.kind == kind, ReminderRow.fired_at.is_(None),
            ReminderRow.cancelled_at.is_(None)))).scalars())


async def resolved(store, exporter: Exporter) -> None:
    await open_incident(store, policy=QUIET)
    await incidents.resolve(store, caller=by(ALICE), root_cause="pool too small",
                            exporter=exporter, policy=QUIET)


async def test_changes_after_resolve_rewrite_the_export_once_after_the_debounce(store, clock,
                                                                                tmp_path):
    exporter = exporter_in(tmp_path)
    await resolved(store, exporter)
    first = next((tmp_path / "incidents").glob("*.md"))
    assert await pending(store, ReminderKind.EXPORT_AGAIN) == []  # resolving is the export

    await incidents.log(store, caller=by(BOB), text="found the pool limit in the config")
    clock.advance(seconds=10)
    await incidents.set_root_cause(store, caller=by(BOB), text="pool limit of 10")
    await incidents.add_action_item(store, caller=by(ALICE), text="raise the limit",
                                    owner_id=BOB, owner_name="bob")
    [again] = await pending(store, ReminderKind.EXPORT_AGAIN)  # a burst owes one rewrite
    assert again.due_at == clock.now() - timedelta(seconds=10) + timedelta(seconds=30)

    clock.advance(seconds=19)
    assert await fire_due(store, QUIET, exporter=exporter) == 0
    clock.advance(seconds=1)
    assert await fire_due(store, QUIET, exporter=exporter) == 1

    assert list((tmp_path / "incidents").glob("*.md")) == [first]  # the same file, rewritten
    text = first.read_text()
    assert "pool limit of 10" in text and "- [ ] raise the limit @bob" in text
    assert check_export(text).line is None
    uploads = await owed(store, n.UploadExport)
    assert [u.updated for u in uploads] == [False, True]
    assert uploads[-1].content == text and uploads[-1].filename == first.name
    # Rewriting records nothing, so it never calls for another rewrite.
    assert await pending(store, ReminderKind.EXPORT_AGAIN) == []
    clock.advance(minutes=5)
    assert await fire_due(store, QUIET, exporter=exporter) == 0
    assert len(await owed(store, n.UploadExport)) == 2


async def test_a_change_after_the_rewrite_is_followed_by_another(store, clock, tmp_path):
    exporter = exporter_in(tmp_path)
    await resolved(store, exporter)
    await incidents.log(store, caller=by(BOB), text="first finding")
    clock.advance(seconds=30)
    assert await fire_due(store, QUIET, exporter=exporter) == 1
    await incidents.log(store, caller=by(BOB), text="second finding")
    clock.advance(seconds=30)
    assert await fire_due(store, QUIET, exporter=exporter) == 1
    assert "second finding" in next((tmp_path / "incidents").glob("*.md")).read_text()
    assert len(await owed(store, n.UploadExport)) == 3


async def test_changes_while_open_owe_no_rewrite(store, clock, tmp_path):
    await open_incident(store, policy=QUIET)
    await incidents.log(store, caller=by(BOB), text="still digging")
    assert await pending(store, ReminderKind.EXPORT_AGAIN) == []


async def test_closing_writes_the_export_itself_and_drops_a_pending_rewrite(store, clock,
                                                                           tmp_path):
    exporter = exporter_in(tmp_path)
    await resolved(store, exporter)
    await incidents.log(store, caller=by(BOB), text="one more finding")
    await incidents.set_status(store, caller=by(ALICE), target=Status.CLOSED, rationale="",
                               exporter=exporter, policy=QUIET)
    assert await pending(store, ReminderKind.EXPORT_AGAIN) == []
    clock.advance(minutes=1)
    assert await fire_due(store, QUIET, exporter=exporter) == 0
    uploads = await owed(store, n.UploadExport)
    assert [u.updated for u in uploads] == [False, False]
    assert "status: closed" in uploads[-1].content and "one more finding" in uploads[-1].content


async def test_a_rewrite_due_after_a_reopen_waits_for_the_next_resolve(store, clock, tmp_path):
    exporter = exporter_in(tmp_path)
    await resolved(store, exporter)
    await incidents.set_status(store, caller=by(ALICE), target=Status.MITIGATING,
                               rationale="errors are back", exporter=exporter, policy=QUIET)
    clock.advance(seconds=30)
    assert await fire_due(store, QUIET, exporter=exporter) == 1
    assert len(await owed(store, n.UploadExport)) == 1
    assert "status: resolved" in next((tmp_path / "incidents").glob("*.md")).read_text()


async def test_a_process_without_an_exporter_leaves_the_rewrite_due(store, clock, tmp_path):
    exporter = exporter_in(tmp_path)
    await resolved(store, exporter)
    await incidents.log(store, caller=by(BOB), text="late finding")
    clock.advance(seconds=30)
    assert await fire_due(store, QUIET) == 0
    assert await fire_due(store, QUIET, exporter=exporter) == 1


async def test_with_git_each_export_owes_a_commit_of_its_file(store, clock, tmp_path):
    exporter = exporter_in(tmp_path, git=True)
    await resolved(store, exporter)
    await incidents.log(store, caller=by(BOB), text="late finding")
    clock.advance(seconds=30)
    await fire_due(store, QUIET, exporter=exporter)
    path = str(next((tmp_path / "incidents").glob("*.md")).resolve())
    message = "INC-1: postmortem draft (db-outage)"
    assert await owed(store, n.CommitExport) == [
        n.CommitExport(incident_id=1, path=path, message=message)] * 2


# the postmortem falls due ------------------------------------------------------------------
async def test_the_postmortem_falls_due_once_with_the_commander(store, clock, tmp_path):
    exporter = exporter_in(tmp_path)
    await open_incident(store, policy=QUIET)
    await incidents.assign_commander(store, caller=by(ALICE), user_id=BOB, name="bob")
    await incidents.resolve(store, caller=by(ALICE), root_cause="pool too small",
                            exporter=exporter, policy=QUIET)
    clock.advance(hours=23, minutes=59)
    assert await fire_due(store, QUIET, exporter=exporter) == 0
    clock.advance(minutes=1)
    assert await fire_due(store, QUIET, exporter=exporter) == 1
    nudge = (await channel_posts(store))[-1]
    assert nudge == n.PostmortemDue(incident_id=1, commander=BOB, after="1d")
    clock.advance(days=3)
    assert await fire_due(store, QUIET, exporter=exporter) == 0


async def test_without_a_commander_the_declarer_is_asked(store, clock, tmp_path):
    await resolved(store, exporter_in(tmp_path))
    clock.advance(hours=24)
    await fire_due(store, QUIET)
    assert (await owed(store, n.PostmortemDue))[-1].commander == ALICE


async def test_closing_cancels_the_postmortem_reminder(store, clock, tmp_path):
    exporter = exporter_in(tmp_path)
    await resolved(store, exporter)
    await incidents.set_status(store, caller=by(ALICE), target=Status.CLOSED, rationale="",
                               exporter=exporter, policy=QUIET)
    clock.advance(days=2)
    assert await fire_due(store, QUIET, exporter=exporter) == 0
    assert await owed(store, n.PostmortemDue) == []


async def test_reopened_and_resolved_again_it_falls_due_after_the_last_resolve(store, clock,
                                                                              tmp_path):
    exporter = exporter_in(tmp_path)
    await resolved(store, exporter)
    clock.advance(hours=12)
    await incidents.set_status(store, caller=by(ALICE), target=Status.MITIGATING,
                               rationale="errors are back", exporter=exporter, policy=QUIET)
    clock.advance(hours=1)
    await incidents.resolve(store, caller=by(ALICE), root_cause="", exporter=exporter,
                            policy=QUIET)
    [due] = await pending(store, ReminderKind.POSTMORTEM_DUE)
    assert due.due_at == clock.now() + timedelta(hours=24)


async def test_the_postmortem_reminder_never_fires_twice(store, clock, tmp_path):
    exporter = exporter_in(tmp_path)
    await resolved(store, exporter)
    clock.advance(hours=24)
    assert await fire_due(store, QUIET, exporter=exporter) == 1
    await incidents.set_status(store, caller=by(ALICE), target=Status.MITIGATING,
                               rationale="errors are back", exporter=exporter, policy=QUIET)
    await incidents.resolve(store, caller=by(ALICE), root_cause="", exporter=exporter,
                            policy=QUIET)
    assert await pending(store, ReminderKind.POSTMORTEM_DUE) == []
