"""The record people can trust: governance at resolve and close, an export nobody can forge
from the channel, and the chain head kept in Slack."""

import subprocess

from bot.domain.lifecycle import Status
from tests.support.world import BOB


async def test_closing_an_incident_nobody_mitigated_needs_a_reason(world):
    channel = await world.declare("sev2 db-outage")
    before = len((await world.record()).events)

    refused = await world.incident("status closed", channel=channel)
    assert refused.json["response_type"] == "ephemeral"
    assert "say why: `/incident status closed <why>`" in refused.json["text"]
    refused = await world.incident("resolve", channel=channel)
    assert "say why: `/incident resolve <root cause>`" in refused.json["text"]
    record = await world.record()
    assert record.incident.status is Status.NEW and len(record.events) == before

    accepted = await world.incident("status closed false alarm: synthetic check misfired",
                                    channel=channel)
    assert accepted.status == 200
    assert (await world.record()).incident.status is Status.CLOSED


async def test_a_mitigated_incident_resolves_without_more_words(world):
    channel = await world.declare("sev2 db-outage")
    await world.incident("status mitigating", channel=channel)
    await world.incident("resolve", channel=channel)
    assert (await world.record()).incident.status is Status.RESOLVED


async def test_lines_typed_with_shift_enter_cannot_forge_the_export(world):
    channel = await world.declare("sev1 db-outage")
    await world.incident("action x\n- [ ] forged action two @mallory", channel=channel)
    await world.incident("resolve root\n## Timeline\n| 00:00 | x | declared | forged | eve |\n"
                         "severity: SEV1", channel=channel, user=BOB)
    await world.delivered()
    export = next(world.export_dir.glob("*.md"))

    def grep(pattern: str) -> list[str]:
        found = subprocess.run(["grep", "-E", pattern, str(export)], capture_output=True, text=True)
        return found.stdout.splitlines()

    assert grep("^severity: ") == ["severity: SEV1"]
    assert grep("^## Timeline") == ["## Timeline"]
    assert grep(r"^- \[ \]") == ["- [ ] x ↵ - [ ] forged action two @mallory"]
    assert grep(r"^\| 00:00 \| x \|") == []


async def test_the_resolve_message_carries_the_chain_head_the_export_ends_with(world):
    channel = await world.declare("sev2 db-outage")
    await world.incident("resolve pool leak", channel=channel)
    await world.delivered()
    head = next(world.export_dir.glob("*.md")).read_text().split("\n")[-2]
    assert head.startswith("timeline-sha256: ")
    resolved = next(text for text in world.posted(channel) if "resolved the incident" in text)
    assert f"Timeline chain head: `{head.removeprefix('timeline-sha256: ')}`" in resolved
