"""Stakeholders hear every turn; the update form; private incidents. Driven as Slack drives
the bot: signed requests, and a stand-in Web API that grants the manifest's scopes."""

import re
from datetime import timedelta

from sqlalchemy import select

from bot.domain.reminders import ReminderKind
from bot.slack import ids
from bot.storage.tables import CommandRow, ReminderRow
from tests.support.world import ALICE, BOB, CAROL, DAVE


def _update_form(view: dict, impact: str, doing: str, next_in: str, view_id: str) -> dict:
    return {**view, "id": view_id, "state": {"values": {
        "impact": {"value": {"type": "plain_text_input", "value": impact}},
        "doing": {"value": {"type": "plain_text_input", "value": doing}},
        "next": {"value": {"type": "plain_text_input", "value": next_in}},
    }}}


async def test_the_announce_channel_hears_every_turn_in_order_each_linking_the_channel(make_world):
    world = await make_world(announce_channel="ops")
    channel = await world.declare("sev2 cdn-errors Images fail to load")
    await world.incident("severity sev1 all regions <!channel>", channel=channel)
    await world.incident("update rolled back <!here> & waiting", channel=channel)
    await world.incident("status mitigating", channel=channel)
    await world.incident("resolve bad config push", channel=channel)
    await world.incident("status closed", channel=channel)
    await world.delivered()

    lines = world.posted(world.ops)
    assert len(lines) == 5, lines
    assert all(f"<#{channel}>" in line and "INC-1" in line for line in lines)
    declared, severity, update, resolved, closed = lines
    assert "declared" in declared
    assert "SEV2 → SEV1" in severity and "&lt;!channel&gt;" in severity
    assert "rolled back &lt;!here&gt; &amp; waiting" in update
    assert "is resolved, by alice" in resolved and "is closed, by alice" in closed
    # A status change short of resolve is the channel's business only.
    assert not any("mitigating" in line for line in lines)
    # Names, not mentions, and no typed ping reaches the announce channel.
    # The declare line names its declarer; nothing else pings anyone.
    assert [token for _, _, token in world.slack.pings(world.ops)] == [f"<@{ALICE}>"]
    assert not any(re.search(r"<!(channel|here|everyone)>", line) for line in lines[1:])
    assert not any("<@" in line for line in lines[1:])


async def test_update_without_text_opens_the_form_and_submitting_posts_a_composed_update(make_world):
    world = await make_world(announce_channel="ops")
    channel = await world.declare()
    response, view = await world.form("update", channel=channel, user=BOB)
    assert response.status == 200 and not (response.body or "").strip()
    assert view["callback_id"] == ids.UPDATE_CALLBACK
    assert view["private_metadata"] == channel
    assert [b["block_id"] for b in view["blocks"]] == ["impact", "doing", "next"]

    submitted = await world.sender.view_submission(user=BOB, view=_update_form(
        view, "EU checkout fails", "rolling back <!channel>", "30m", "VUPD1"))
    assert submitted.status == 200 and not (submitted.body or "").strip()
    await world.delivered()

    record = await world.record()
    update = record.events[-1]
    assert (update.action, update.actor_id) == ("status_update", BOB)
    assert re.fullmatch(r"\*Impact:\* EU checkout fails \*Now:\* rolling back <!channel> "
                        r"\*Next update:\* in 30 min \(by \d\d:\d\d UTC\)", update.details)
    assert record.incident.last_update_text == update.details
    assert "*Impact:* EU checkout fails" in world.posted(channel)[-1]
    assert "&lt;!channel&gt;" in world.posted(channel)[-1]
    announced = world.posted(world.ops)[-1]
    assert "*Impact:* EU checkout fails" in announced and f"<#{channel}>" in announced

    # The form offers the last update as a reminder of what was said.
    _, view = await world.form("update", channel=channel, user=BOB)
    assert "EU checkout fails" in str(view["blocks"][0])


async def test_the_update_form_refuses_a_bad_duration_on_its_field_and_records_nothing(world):
    channel = await world.declare()
    _, view = await world.form("update", channel=channel)
    submitted = await world.sender.view_submission(user=ALICE, view=_update_form(
        view, "slow search", "adding a replica", "soon", "VUPD2"))
    assert submitted.json["response_action"] == "errors"
    assert list(submitted.json["errors"]) == ["next"]
    record = await world.record()
    assert [e.action for e in record.events] == ["declared"]
    assert record.incident.last_update_at is None


async def test_a_repeated_update_form_submission_records_once(world):
    channel = await world.declare()
    _, view = await world.form("update", channel=channel)
    form = _update_form(view, "slow search", "adding a replica", "1h", "VUPD3")
    first = await world.sender.view_submission(user=ALICE, view=form)
    again = await world.sender.view_submission(user=ALICE, view=form)
    assert first.status == again.status == 200
    await world.delivered()
    record = await world.record()
    assert [e.action for e in record.events].count("status_update") == 1
    # The pinned summary (first) shows the last update too; the channel has it once.
    assert sum("*Impact:* slow search" in line for line in world.posted(channel)[1:]) == 1


async def test_the_update_form_resets_the_nudge_clock(world):
    channel = await world.declare()
    _, view = await world.form("update", channel=channel)
    await world.sender.view_submission(user=ALICE, view=_update_form(
        view, "none yet", "watching", "15m", "VUPD4"))
    incident = (await world.incidents())[0]
    assert incident.last_update_at is not None
    async with world.bot.store.transaction() as tx:
        nudges = (await tx.session.execute(select(ReminderRow).where(
            ReminderRow.kind == str(ReminderKind.STATUS_NUDGE),
            ReminderRow.cancelled_at.is_(None)))).scalars().all()  # type: ignore[union-attr]
        commands = (await tx.session.execute(select(CommandRow))).scalars().all()
    assert [n.due_at for n in nudges] == [incident.last_update_at + timedelta(minutes=10)]
    assert any(row.command == "update form" for row in commands)


async def test_update_form_outside_an_incident_channel_says_so(world):
    response = await world.incident("update")
    assert "not an incident channel" in response.json["text"]
    assert world.slack.views == []


async def test_a_private_incident_gets_a_private_channel_and_is_never_announced(make_world):
    world = await make_world(announce_channel="ops")
    response = await world.incident("declare sev1 key-leak Signing key in a log --private")
    assert "private channel" in response.json["text"]
    await world.delivered()
    incident = (await world.incidents())[0]
    assert incident.private and incident.title == "Signing key in a log"
    channel = world.slack.channels[incident.channel_id]
    assert channel.is_private and ALICE in channel.members
    assert world.slack.calls_to("conversations.create")[-1].params["is_private"] in (
        True, "true", "1", "True")

    await world.incident("invite <@U0CAROL|carol>", channel=channel.id)
    await world.incident("severity sev2 contained", channel=channel.id)
    await world.incident("update rotated the key", channel=channel.id)
    _, view = await world.form("update", channel=channel.id)
    await world.sender.view_submission(user=ALICE, view=_update_form(
        view, "none outside", "auditing", "1h", "VPRIV1"))
    await world.incident("resolve key rotated", channel=channel.id)
    await world.delivered()

    assert world.posted(world.ops) == []
    assert [c for c in world.slack.calls if c.error == "missing_scope"] == []
    assert CAROL in channel.members
    assert any("rotated the key" in line for line in world.posted(channel.id))
    exported = next(world.export_dir.glob("*.md")).read_text()
    front = exported.split("---")[1]
    assert "\nvisibility: private\n" in front


async def test_a_public_export_does_not_speak_of_visibility(world):
    channel = await world.declare()
    await world.incident("resolve a cause", channel=channel)
    await world.delivered()
    assert "visibility:" not in next(world.export_dir.glob("*.md")).read_text()


async def test_the_declare_form_can_make_a_private_incident(world):
    _, view = await world.form("declare")
    assert any(b.get("block_id") == "private" for b in view["blocks"])
    await world.sender.view_submission(user=BOB, view={**view, "id": "VPRIV2", "state": {"values": {
        "severity": {"value": {"type": "static_select", "selected_option": {"value": "sev2"}}},
        "slug": {"value": {"type": "plain_text_input", "value": "payroll"}},
        "title": {"value": {"type": "plain_text_input", "value": None}},
        "private": {"value": {"type": "checkboxes",
                              "selected_options": [{"value": "private"}]}},
    }}})
    await world.delivered()
    incident = (await world.incidents())[0]
    assert incident.private
    assert world.slack.channels[incident.channel_id].is_private


async def test_the_declare_form_declares_public_when_the_box_is_left_unticked(world):
    _, view = await world.form("declare")
    await world.sender.view_submission(user=BOB, view={**view, "id": "VPUB", "state": {
        "values": {
            "severity": {"value": {"type": "static_select", "selected_option": {"value": "sev2"}}},
            "slug": {"value": {"type": "plain_text_input", "value": "payroll"}},
            "title": {"value": {"type": "plain_text_input", "value": None}},
            "private": {"value": {"type": "checkboxes", "selected_options": []}},
        }}})
    await world.delivered()
    incident = (await world.incidents())[0]
    assert not incident.private
    assert not world.slack.channels[incident.channel_id].is_private


async def test_a_private_channel_whose_create_answer_was_lost_is_adopted_not_made_twice(world):
    world.slack.fault("conversations.create", delay=2.5)
    await world.incident("declare sev1 key-leak --private")
    await world.delivered()
    incident = (await world.incidents())[0]
    assert incident.channel_id == world.slack.channel_by_name("inc-1-key-leak").id
    assert world.slack.channel_by_name("inc-1-key-leak-2") is None
    listed = world.slack.calls_to("conversations.list")
    assert listed and all(c.params.get("types") == "private_channel" for c in listed)
    assert [c for c in world.slack.calls if c.error == "missing_scope"] == []
    assert DAVE not in world.slack.channels[incident.channel_id].members
