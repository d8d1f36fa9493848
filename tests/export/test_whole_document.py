"""A reviewer trusts the whole postmortem, not only its timeline: every generated line is
rendered again from the events the file carries, and the team's own writing below the marker
is kept across re-exports and said to be theirs."""

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.lifecycle import Status
from bot.export.people import MARKER
from bot.export.render import Renderer
from bot.export.verify import check_export
from bot.runbooks.parse import parse_runbook
from bot.services import access, action_items, incidents, people, records, runbooks
from bot.services.exporter import Exporter
from bot.storage.store import Store
from tests.export.test_export import POLICY, by
from tests.export.test_runbook_sections import RUNBOOK
from tests.support.clock import ManualClock
from tests.test_cli import run

CHANNEL = "C0INC1"


async def play(store: Store, clock: ManualClock, exporter: Exporter) -> Path:
    """An incident with most of what a postmortem shows: a runbook followed step by step with
    a snapshot, access granted, denied and revoked, roles, a root cause and action items."""
    runbook, _ = parse_runbook(RUNBOOK, "runbooks/queue-backlog.md")
    assert runbook is not None
    incident = await incidents.declare(store, caller=by("U1", "alice", "C0OPS"), severity=2,
                                       slug="queue-backlog", title="Orders queue backlog",
                                       policy=POLICY, runbooks=[runbook])
    async with store.transaction() as tx:
        opened = await tx.incident(incident.id, lock=True)
        opened.channel_id, opened.channel_name = CHANNEL, "inc-1-queue-backlog"
        await tx.save_incident(opened)
        attached = (await tx.attached_runbooks(incident.id))[0].id
    clock.advance(minutes=1)
    await incidents.participant_joined(store, event_id="Ev1", channel_id=CHANNEL, user_id="U2")
    await incidents.set_status(store, caller=by("U2", "bob", CHANNEL), target=Status.ACKNOWLEDGED,
                               rationale="", exporter=exporter, policy=POLICY)
    await incidents.assign_commander(store, caller=by("U1", "alice", CHANNEL), user_id="U2",
                                     name="bob")
    await people.assign_role(store, caller=by("U2", "bob", CHANNEL), role="comms", user_id="U3",
                             name="carol", policy=POLICY)
    clock.advance(minutes=2)
    await runbooks.mark_step(store, caller=by("U2", "bob", CHANNEL), attached_id=attached,
                             number=1, status="started")
    await runbooks.check(store, caller=by("U2", "bob", CHANNEL), attached_id=attached, number=1,
                         snapshot=True, allow_commands=True)
    await runbooks.mark_step(store, caller=by("U2", "bob", CHANNEL), attached_id=attached,
                             number=1, status="done")
    granted = await access.request_access(store, caller=by("U2", "bob", CHANNEL),
                                          what="prod queue admin", duration=timedelta(hours=1),
                                          reason="restart consumers", policy=POLICY)
    clock.advance(minutes=2)
    await access.approve(store, caller=by("U9", "dave", CHANNEL), ref=granted.ref, duration=None,
                         policy=POLICY)
    await access.request_access(store, caller=by("U1", "alice", CHANNEL), what="root on mq-1",
                                duration=timedelta(minutes=30), reason="", policy=POLICY)
    await access.deny(store, caller=by("U9", "dave", CHANNEL), ref=None, note="use the runbook",
                      policy=POLICY)
    await runbooks.mark_step(store, caller=by("U2", "bob", CHANNEL), attached_id=attached,
                             number=2, status="done")
    clock.advance(minutes=6)
    await access.revoke(store, caller=by("U2", "bob", CHANNEL), ref=granted.ref, policy=POLICY)
    await incidents.set_status(store, caller=by("U2", "bob", CHANNEL), target=Status.MITIGATING,
                               rationale="", exporter=exporter, policy=POLICY)
    await incidents.add_action_item(store, caller=by("U1", "alice", CHANNEL),
                                    text="alert on consumer count", owner_id="U2", owner_name="bob")
    await incidents.add_action_item(store, caller=by("U1", "alice", CHANNEL),
                                    text="load-test the purge", owner_id=None, owner_name="")
    await action_items.mark_done(store, caller=by("U2", "bob", CHANNEL), number=1)
    clock.advance(minutes=20)
    resolution = await incidents.resolve(store, caller=by("U2", "bob", CHANNEL),
                                         root_cause="consumer crash loop", exporter=exporter,
                                         policy=POLICY)
    assert resolution is not None
    return resolution.export.path


@pytest.fixture
def exported(database_url, tmp_path) -> dict:
    async def write() -> Path:
        clock = ManualClock()
        store = Store.from_url(database_url, clock=clock.now)
        path = await play(store, clock, Exporter(export_dir=tmp_path / "incidents",
                                                 renderer=Renderer()))
        await store.close()
        return path

    path = asyncio.run(write())
    return {"path": path, "text": path.read_text(), "url": database_url}


def numbered(text: str, starts: str) -> int:
    return next(n for n, line in enumerate(text.split("\n"), 1) if line.startswith(starts))


def doctor(path: Path, old: str, new: str) -> int:
    """What a doctored postmortem looks like: `old` replaced on its one line; that line's number."""
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))
    return numbered(text, next(line for line in text.split("\n") if old in line))


def test_the_export_verifies_whole_and_says_what_it_does_not_cover(exported):
    result = run("verify", str(exported["path"]))
    assert result.returncode == 0, result.stdout + result.stderr
    marker = numbered(exported["text"], MARKER)
    assert result.stdout.split("\n")[:2] == [
        f"{exported['path']}: every generated line matches (the default template)",
        f"{exported['path']}: lines {marker + 1}–{marker + 3} below the marker are the team's "
        "own writing, not verified"]
    assert result.stdout.split("\n")[2].endswith(", chain intact, head "
                                                  f"{exported['text'].split()[-1]}, "
                                                  "timeline rows match")
    lines = exported["text"].split("\n")
    assert lines[marker - 1:marker + 3] == [MARKER, "## Analysis", "", "## Lessons learned"]
    assert lines[-2].startswith("timeline-sha256: ") and lines[-1] == ""


@pytest.mark.parametrize(("old", "new"), [
    ("resolved: 2026-03-14T15:01:00Z", "resolved: 2026-03-14T14:40:00Z"),
    ("> consumer crash loop", "> a cosmic ray"),
    ("- [ ] load-test the purge", "- [x] load-test the purge"),
    ("- Access: 1 granted, all revoked", "- Access: none granted"),
    ("- Step 3: Purge poison messages (high risk): **pending**",
     "- Step 3: Purge poison messages (high risk): **done**"),
])
def test_a_doctored_postmortem_fails_at_the_line_changed(exported, old, new):
    line = doctor(exported["path"], old, new)
    result = run("verify", str(exported["path"]))
    assert result.returncode == 1
    assert result.stdout.strip() == f"{exported['path']}:{line}: expected `{old}`, found `{new}`"


def test_a_record_doctored_to_match_is_held_to_its_events(exported):
    doctor(exported["path"], "> consumer crash loop", "> a cosmic ray")
    line = doctor(exported["path"], '"root_cause":"consumer crash loop"', '"root_cause":"a cosmic ray"')
    result = run("verify", str(exported["path"]))
    assert result.returncode == 1
    assert result.stdout.strip() == (
        f"{exported['path']}:{line}: the carried record says the root cause is 'a cosmic ray', "
        "its events say 'consumer crash loop'")


def test_what_the_team_writes_below_the_marker_survives_a_re_export(exported):
    path = exported["path"]
    ours = "## Analysis\n\nThe purge ran twice.\n| not | a | row |\n\n## Lessons learned\n\n- [ ] ours"
    path.write_text(path.read_text().replace("## Analysis\n\n## Lessons learned", ours))

    async def later() -> None:
        clock = ManualClock()
        store = Store.from_url(exported["url"], clock=clock.now)
        clock.advance(days=1)
        exporter = Exporter(export_dir=path.parent, renderer=Renderer())
        await incidents.set_root_cause(store, caller=by("U2", "bob", CHANNEL),
                                       text="consumers crash on one poison message")
        await action_items.mark_done(store, caller=by("U2", "bob", CHANNEL), number=2)
        await records.export_again(store, exporter, 1)
        await store.close()

    asyncio.run(later())
    text = path.read_text()
    assert f"{MARKER}\n{ours}\n\n<!-- incident-bot timeline v2" in text
    assert "> consumers crash on one poison message" in text and "- [x] load-test the purge" in text
    result = run("verify", str(path))
    assert result.returncode == 0, result.stdout
    start = numbered(text, MARKER) + 1
    assert f"lines {start}–{start + ours.count(chr(10))} below the marker are the team's own " \
        "writing, not verified" in result.stdout


def test_an_operator_template_is_verified_with_it_and_named(database_url, tmp_path):
    template = tmp_path / "ours.md.j2"
    template.write_text("# {{ incident.ref }} {{ incident.severity_label }}\n"
                        "{% for row in timeline %}{{ row.line }}\n{% endfor %}"
                        "resolved {{ incident.resolved_at | iso }}\n")

    async def write() -> Path:
        clock = ManualClock()
        store = Store.from_url(database_url, clock=clock.now)
        path = await play(store, clock, Exporter(export_dir=tmp_path / "out",
                                                 renderer=Renderer(template)))
        await store.close()
        return path

    path = asyncio.run(write())
    ours = run("verify", "--template", str(template), str(path))
    assert ours.returncode == 0, ours.stdout
    assert "every generated line matches (template ours.md.j2 (sha256 " in ours.stdout
    by_setting = run("verify", str(path), env={"EXPORT_TEMPLATE": str(template)})
    assert by_setting.returncode == 0, by_setting.stdout
    default = run("verify", str(path))
    assert default.returncode == 1
    assert default.stdout.startswith(f"{path}:1: expected `---`, found `# INC-1 SEV2`")
    assert "written with template ours.md.j2" in default.stdout


def test_an_export_from_before_whole_document_verification_says_what_it_checks(tmp_path):
    old = tmp_path / "old.md"
    old.write_text((Path(__file__).parent / "golden" / "written-before-v2.md").read_text())
    result = run("verify", str(old))
    assert result.returncode == 0, result.stdout
    assert result.stdout.split("\n")[0] == (
        f"{old}: written before exports carried their record: only its chain and timeline rows "
        "are checked (export it again to cover the rest)")


def test_any_one_line_edit_above_the_marker_fails_at_that_line(exported):
    text = exported["text"]
    lines = text.split("\n")
    above = numbered(text, MARKER)  # the marker's own line counts as generated
    assert check_export(text).line is None

    def first_difference(edited: list[str]) -> int:
        return next((n for n, (a, b) in enumerate(zip(lines, edited, strict=False), 1) if a != b),
                    min(len(lines), len(edited)) + 1)

    @settings(max_examples=150, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(kind=st.sampled_from(["replace", "delete", "swap"]),
           at=st.integers(0, above - 1), other=st.integers(0, above - 1),
           new=st.one_of(st.text(max_size=40).map(lambda t: t.replace("\n", " ")),
                         st.sampled_from(lines[:above])))
    def edit_fails(kind: str, at: int, other: int, new: str) -> None:
        edited = list(lines)
        if kind == "replace":
            edited[at] = new
        elif kind == "delete":
            del edited[at]
        else:
            edited[at], edited[other] = edited[other], edited[at]
        if edited == lines:
            return
        found = check_export("\n".join(edited))
        expected = at + 1 if kind == "replace" else first_difference(edited)
        assert found.line == expected, (kind, at, other, new, found.problem)

    edit_fails()


def test_edits_below_the_marker_keep_it_passing(exported):
    text = exported["text"]
    lines = text.split("\n")
    marker = lines.index(MARKER)

    @settings(max_examples=60, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(written=st.lists(st.text(max_size=60).filter(
        lambda t: not t.startswith(("<!-- incident-bot timeline", "timeline-sha256:"))),
        max_size=8).map(lambda rows: [r.replace("\n", " ").replace("\r", " ") for r in rows]))
    def still_passes(written: list[str]) -> None:
        block = next(n for n in range(marker, len(lines)) if lines[n].startswith("<!-- incident"))
        edited = lines[:marker + 1] + written + [""] + lines[block:]
        found = check_export("\n".join(edited))
        assert found.line is None, found.problem

    still_passes()


def test_a_drill_passed_off_as_a_real_incident_is_caught(database_url, tmp_path):
    async def write() -> Path:
        clock = ManualClock()
        store = Store.from_url(database_url, clock=clock.now)
        exporter = Exporter(export_dir=tmp_path / "incidents", renderer=Renderer())
        drill = await incidents.declare(store, caller=by("U1", "alice", "C0OPS"), severity=1,
                                        slug="failover", title="Failover practice",
                                        policy=POLICY, drill=True)
        async with store.transaction() as tx:
            opened = await tx.incident(drill.id, lock=True)
            opened.channel_id, opened.channel_name = CHANNEL, "drill-1-failover"
            await tx.save_incident(opened)
        clock.advance(minutes=5)
        resolution = await incidents.resolve(store, caller=by("U1", "alice", CHANNEL),
                                             root_cause="practised", exporter=exporter,
                                             policy=POLICY)
        await store.close()
        assert resolution.export is not None
        return resolution.export.path

    path = asyncio.run(write())
    assert path.parent.name == "drills"
    doctor(path, "drill: true", "drill: false")
    line = doctor(path, '"declared_by":"U1","drill":true', '"declared_by":"U1","drill":false')
    result = run("verify", str(path))
    assert result.returncode == 1
    assert result.stdout.strip() == (
        f"{path}:{line}: the carried record says drill is False, its events say True")


def test_a_service_added_to_the_front_matter_and_the_record_is_caught(exported):
    path = exported["path"]
    doctor(path, "declared_by: alice", "declared_by: alice\nservices: [checkout]")
    line = doctor(path, '"services":[]', '"services":["checkout"]')
    result = run("verify", str(path))
    assert result.returncode == 1
    assert result.stdout.strip() == (
        f"{path}:{line}: the carried record says the services are ['checkout'], its events say "
        "[]")
