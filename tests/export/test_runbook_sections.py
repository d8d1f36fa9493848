"""The export's runbook and snapshot sections, compared with a golden file."""

import os
from pathlib import Path

from bot.export.render import Renderer
from bot.runbooks.parse import parse_runbook
from bot.services import incidents, runbooks
from bot.services.exporter import Exporter
from tests.services.support import POLICY, by

GOLDEN = Path(__file__).parent / "golden" / "runbook-sections.md"
RUNBOOK = """---
id: RUN-077
title: Queue backlog
match: [queue-*]
checks:
  depth: {run: "printf 'depth=1200\\nconsumers=0\\n'", timeout: 5s}
---
## Procedure
### Step 1: Measure the backlog
risk: low
check: depth
### Step 2: Restart consumers
risk: medium
### Step 3: Purge poison messages
risk: high
"""


async def test_runbook_and_snapshot_sections_match_the_golden_file(store, clock, tmp_path):
    runbook, problems = parse_runbook(RUNBOOK, "runbooks/queue-backlog.md")
    assert problems == []
    incident = await incidents.declare(store, caller=by("U0ALICE", "C0OPS"), severity=2,
                                       slug="queue-backlog", title="Orders queue backlog",
                                       policy=POLICY, runbooks=[runbook])
    async with store.transaction() as tx:
        opened = await tx.incident(incident.id, lock=True)
        opened.channel_id, opened.channel_name = "C0INC1", "inc-1-queue-backlog"
        await tx.save_incident(opened)
        attached = (await tx.attached_runbooks(incident.id))[0].id
    clock.advance(minutes=2)
    await runbooks.mark_step(store, caller=by("U0BOB"), attached_id=attached, number=1,
                             status="started")
    clock.advance(minutes=1)
    await runbooks.check(store, caller=by("U0BOB"), attached_id=attached, number=1,
                         snapshot=True, allow_commands=True)
    await runbooks.mark_step(store, caller=by("U0BOB"), attached_id=attached, number=1,
                             status="done")
    clock.advance(minutes=5)
    await runbooks.mark_step(store, caller=by("U0CAROL"), attached_id=attached, number=2,
                             status="failed")
    await runbooks.mark_step(store, caller=by("U0CAROL"), attached_id=attached, number=3,
                             status="skipped")
    result = await incidents.resolve(store, caller=by("U0BOB"), root_cause="consumer crash loop",
                                     exporter=Exporter(export_dir=tmp_path, renderer=Renderer()),
                                     policy=POLICY)
    text = result.export.path.read_text()
    sections = text[text.index("## Runbook"):text.index("## Participants")]
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(sections)
    assert sections == GOLDEN.read_text()
    assert "| 14:33 | RUN-077#1 | snapshot | depth: ok | bob |" in text
