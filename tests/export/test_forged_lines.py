"""Whatever people type, the export's greppable lines say exactly what the record holds."""

import asyncio
import re
from datetime import UTC, datetime, timedelta
from hashlib import sha256

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.alerts import Alert, AlertGroup
from bot.domain.policy import Policy
from bot.export import canonical
from bot.export.lines import inline
from bot.export.people import MARKER
from bot.export.render import CHAIN_LINE, Renderer
from bot.export.verify import check_export
from bot.runbooks.library import Library
from bot.runbooks.parse import parse_runbook
from bot.services import access, alerts, incidents, people, runbooks
from bot.services.caller import Caller
from bot.services.exporter import Exporter
from bot.storage.store import Store
from tests.support.clock import ManualClock
from tests.support.judges import default_judge

POLICY = Policy(approvers=("U9",))
SECTIONS = ["## Summary", "## Timeline", "## Alerts", "## Approvals", "## Runbook", "## Snapshots", "## Participants",
            "## Roles", "## Root cause", "## Action items", "## Analysis", "## Lessons learned"]
FRONT_MATTER_KEYS = ["id", "title", "severity", "status", "detected", "started", "acknowledged", "mitigated",
                     "resolved", "commander", "declared_by", "channel"]
# What a forger would type, mixed into arbitrary text.
FRAGMENTS = ["\n", "\r\n", "|", "`", "```", "---", "<!--", "-->", "## Timeline", "# ", "- [ ] ",
             "- [x] ", "severity: SEV1", "id: INC-1", "timeline-sha256: ", "| 00:00 | x | declared | y | z |",
             "> ", "\\", "&", "<", ">", "\u2028", "\x85", "\t", "  ", ": ", "{", "\"", "'", "é☃🔥"]
text = st.lists(st.one_of(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=8),
                          st.sampled_from(FRAGMENTS)), min_size=1, max_size=12).map("".join)
typed = text.filter(lambda t: t.strip())
_trigger = iter(range(10**9))
_channel = iter(range(10**9))


def by(user: str, name: str, channel: str) -> Caller:
    return Caller(user_id=user, user_name=name, channel_id=channel, trigger_id=f"f-{next(_trigger)}", judge=default_judge(POLICY.approvers))


def alert_into(store: Store, incident_id: int, fields: dict):
    """An alert that fires and resolves into the incident, its text typed by whoever wrote
    the alerting rule."""

    async def deliver() -> None:
        async with store.transaction() as tx:
            group_id, _ = await tx.alert_group(sha256(fields["alert_group"].encode()).hexdigest(),
                                               fields["alert_group"])
            await tx.set_alert_group_incident(group_id, incident_id)
        for status, ends in (("firing", None), ("resolved", datetime(2026, 3, 14, 14, 10, tzinfo=UTC))):
            alert = Alert(status=status, labels={"alertname": fields["alertname"],
                                                 "instance": fields["alert_label"]},
                          annotations={"summary": fields["alert_summary"]},
                          starts_at=datetime(2026, 3, 14, 13, 55, tzinfo=UTC), ends_at=ends,
                          generator_url=fields["alert_source"], fingerprint="fp1")
            group = AlertGroup(group_key=fields["alert_group"], status=status, alerts=[alert])
            await alerts.receive(store, group=group, body_sha256=f"{status}-{next(_trigger)}", severities={},
                                 policy=POLICY, library=Library(), judge=default_judge())

    return deliver()


def runbook_with(title: str, step: str):
    step_title = " ".join(step.split()) or "x"
    meta = yaml.safe_dump({"title": title}, allow_unicode=True, width=10**9).rstrip("\n")
    source = (f"---\nid: RUN-900\n{meta}\nmatch: [never]\n---\n## Procedure\n"
              f"### Step 1: {step_title}\nrisk: low\n")
    runbook, _ = parse_runbook(source, "runbooks/forged.md")
    return runbook


async def play(database_url: str, tmp_path, fields: dict) -> tuple[str, object]:
    clock = ManualClock()
    store = Store.from_url(database_url, clock=clock.now)
    exporter = Exporter(export_dir=tmp_path / f"out-{next(_channel)}", renderer=Renderer())
    channel = f"C0F{next(_channel)}"
    try:
        incident = await incidents.declare(store, caller=by("U1", fields["declarer"], "C0OPS"),
                                           severity=2, slug="forged", title=fields["title"],
                                           policy=POLICY)
        async with store.transaction() as tx:
            opened = await tx.incident(incident.id, lock=True)
            opened.channel_id, opened.channel_name = channel, f"inc-{incident.id}-forged"
            await tx.save_incident(opened)
            runbook = runbook_with(fields["runbook_title"], fields["step_title"])
            if runbook is not None:
                await runbooks.attach(tx, opened, runbook, "U1")
        await incidents.assign_commander(store, caller=by("U1", fields["declarer"], channel),
                                         user_id="U2", name=fields["commander"])
        await people.assign_role(store, caller=by("U2", fields["commander"], channel), role="scribe",
                                 user_id="U5", name=fields["scribe"], policy=POLICY)
        await incidents.log(store, caller=by("U2", fields["commander"], channel), text=fields["log"])
        await alert_into(store, incident.id, fields)
        await incidents.set_severity(store, caller=by("U2", fields["commander"], channel), severity=1,
                                     rationale=fields["rationale"], policy=POLICY)
        await incidents.post_update(store, caller=by("U2", fields["commander"], channel),
                                    text=fields["update"], policy=POLICY)
        request = await access.request_access(store, caller=by("U3", fields["requester"], channel),
                                              what=fields["what"], duration=timedelta(hours=1),
                                              reason=fields["reason"], policy=POLICY)
        await access.deny(store, caller=by("U9", fields["approver"], channel), ref=request.ref,
                          note=fields["note"], policy=POLICY)
        for item, owner in fields["items"]:
            await incidents.add_action_item(store, caller=by("U1", fields["declarer"], channel),
                                            text=item, owner_id="U4", owner_name=owner)
        result = await incidents.resolve(store, caller=by("U2", fields["commander"], channel),
                                         root_cause=fields["root_cause"], exporter=exporter,
                                         policy=POLICY)
        async with store.reading() as tx:
            record = await tx.record(incident.id)
        return result.export.path.read_text(encoding="utf-8"), record
    finally:
        await store.close()


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=st.fixed_dictionaries({
    "title": typed, "declarer": typed, "commander": typed, "requester": typed, "approver": typed,
    "scribe": typed,
    "log": typed, "rationale": typed, "update": typed, "what": typed, "reason": text, "note": text,
    "root_cause": typed, "runbook_title": typed, "step_title": typed,
    "alertname": typed, "alert_summary": text, "alert_source": text, "alert_label": text,
    "alert_group": typed,
    "items": st.lists(st.tuples(typed, typed), min_size=1, max_size=3),
}))
def test_every_grep_of_the_export_finds_exactly_what_the_record_holds(database_url, tmp_path, fields):
    doc, record = asyncio.run(play(database_url, tmp_path, fields))
    lines = doc.split("\n")
    incident = record.incident

    # Front matter: two fences, each key once, and YAML reading back what was typed.
    assert [n for n, line in enumerate(lines) if line == "---"] == [0, 13]
    meta = yaml.safe_load("\n".join(lines[1:13]))
    assert list(meta) == FRONT_MATTER_KEYS
    assert meta["title"] == fields["title"]
    assert meta["commander"] == record.name("U2") and meta["declared_by"] == record.name("U1")
    assert (meta["id"], meta["severity"], meta["status"]) == (incident.ref, "SEV1", "resolved")
    assert "detected: 2026-03-14T13:55:00Z" in lines
    for key in FRONT_MATTER_KEYS:
        assert sum(line.startswith(f"{key}:") for line in lines) == 1, key
    assert sum(line == "severity: SEV1" for line in lines) == 1

    # Headings: ours, in order, and nothing else.
    headings = [line for line in lines if line.startswith("#")]
    assert headings[0] == f"# {incident.ref}: {inline(incident.title)}"
    assert [h for h in headings if h.startswith("## ")] == SECTIONS
    assert all(re.match(r"^### (RUN-900: |\d\d:\d\d )", h) for h in headings if h.startswith("### "))
    assert len(headings) == 1 + len(SECTIONS) + len(record.runbooks)

    # Table rows: a header, a rule and one row per event; the same for approvals.
    rows = [line for line in lines if line.startswith("|")]
    assert len(rows) == 2 + len(record.events) + 3 + 2 + len(record.access_requests)
    start, end = lines.index("## Alerts"), lines.index("## Approvals")
    assert [line.split(" | ")[:2] for line in lines[start + 1:end] if line.startswith("| ")
            and not line.startswith("| fired")] == [["| 13:55", "14:10"]]

    # Action items: one line each, as recorded.
    items = [line for line in lines if re.match(r"^- \[[ x]\]", line)]
    assert items == [f"- [ ] {inline(item.text)} @{inline(record.name(item.owner_id))}"
                     for item in record.action_items]

    # Roles: a line per assignment, in order; a holder's name never starts a line of its own.
    start, end = lines.index("## Roles"), lines.index("## Root cause")
    since = f"{record.events[0].at:%H:%M}"
    assert [line for line in lines[start + 1:end] if line] == [
        f"- commander: {inline(record.name('U2'))} (from {since})",
        f"- scribe: {inline(record.name('U5'))} (from {since})"]
    assert sum(line.startswith(("- commander: ", "- scribe: ")) for line in lines) == 2

    # The hash line: once, last, the chain head.
    assert [line for line in lines if line.startswith(CHAIN_LINE)] == [lines[-2]]
    assert lines[-2] == CHAIN_LINE + record.events[-1].hash and lines[-1] == ""

    # The marker and the timeline block: one each, the block closed once, and the file
    # verifies on its own, every generated line of it.
    assert [line for line in lines if line.startswith("<!--")] == [MARKER, canonical.BEGIN]
    assert sum(line == canonical.END for line in lines) == 1
    checked = check_export(doc)
    assert checked.line is None, checked.problem
    assert checked.notes[0] == "every generated line matches (the default template)"
    assert [e.hash for e in checked.events] == [e.hash for e in record.events]

    # Multi-line text is quoted: every line of the root cause section starts with `>`.
    start, end = lines.index("## Root cause"), lines.index("## Action items")
    assert all(line.startswith(">") for line in lines[start + 1:end] if line)


async def test_the_forgeries_people_tried_no_longer_count(store, clock, tmp_path):
    exporter = Exporter(export_dir=tmp_path, renderer=Renderer())
    incident = await incidents.declare(store, caller=by("U1", "alice", "C0OPS"), severity=2,
                                       slug="db-outage", title="db", policy=POLICY)
    async with store.transaction() as tx:
        opened = await tx.incident(incident.id, lock=True)
        opened.channel_id = "C0REAL"
        await tx.save_incident(opened)
    await incidents.add_action_item(store, caller=by("U1", "alice", "C0REAL"),
                                    text="x\n- [ ] forged action two @mallory", owner_id=None,
                                    owner_name="")
    forged_root = "root\n## Timeline\n| 00:00 | x | declared | forged | eve |\nseverity: SEV1"
    result = await incidents.resolve(store, caller=by("U1", "alice", "C0REAL"),
                                     root_cause=forged_root, exporter=exporter, policy=POLICY)
    lines = result.export.path.read_text().split("\n")
    assert [line for line in lines if line.startswith("- [ ]")] == [
        "- [ ] x ↵ - [ ] forged action two @mallory"]
    assert sum(line.startswith("severity:") for line in lines) == 1
    assert lines.count("## Timeline") == 1
    assert not any(line.startswith("| 00:00 | x |") for line in lines)
    assert "> root\n> ## Timeline\n> | 00:00 | x | declared | forged | eve |\n> severity: SEV1" \
        in "\n".join(lines)
