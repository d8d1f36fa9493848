"""User stories for who works an incident: roles, handoff, inviting responders."""

import re

import pytest

from bot.config import ConfigError, load_settings
from tests.support.clock import ShiftedClock
from tests.support.waiting import eventually
from tests.support.world import ALICE, BOB, CAROL, DAVE, SHIPPED_RUNBOOKS


def summary_fields(world, channel: str) -> str:
    return " ".join(f["text"] for f in world.slack.messages(channel)[0].blocks[1]["fields"])


def invited_in(world, channel: str) -> list[str]:
    return [user for call in world.slack.calls_to("conversations.invite")
            if call.params.get("channel") == channel and call.ok
            for user in call.params["users"].split(",")]


async def test_a_role_invites_the_person_shows_in_the_summary_and_the_export(world):
    channel = await world.declare()
    answer = await world.incident("role comms <@U0BOB|bob>", channel=channel)
    assert answer.json["text"] == "<@U0BOB> is now *comms*."
    await world.delivered()
    assert BOB in world.slack.channels[channel].members
    assert "*Roles*\nCommander: _not assigned_ · Comms: <@U0BOB>" in summary_fields(world, channel)
    assert any("<@U0BOB> is now *comms* (set by alice)." in text for text in world.posted(channel))

    assert (await world.incident("role Commander <@U0CAROL|carol>", channel=channel)).json["text"] \
        == "<@U0CAROL> is now the incident commander."
    await world.delivered()
    record = await world.record()
    assert record.incident.commander_id == CAROL
    assert [(e.action, e.data) for e in record.events if e.action == "role_assigned"] == [
        ("role_assigned", {"role": "comms", "user": BOB}),
        ("role_assigned", {"role": "commander", "user": CAROL})]
    assert "Commander: <@U0CAROL> · Comms: <@U0BOB>" in summary_fields(world, channel)

    await world.incident("resolve replica lag alarm was missing", channel=channel)
    text = next(world.export_dir.glob("*-db-outage.md")).read_text()
    assert re.search(r"\n## Roles\n\n- comms: bob \(from \d\d:\d\d\)\n"
                     r"- commander: carol \(from \d\d:\d\d\)\n", text)
    assert text.index("## Participants") < text.index("## Roles") < text.index("## Root cause")


async def test_someone_already_in_the_channel_is_not_invited_again(world):
    channel = await world.declare()
    await world.sender.event({"type": "member_joined_channel", "user": CAROL, "channel": channel,
                              "channel_type": "C", "team": "T0001"})

    async def joined() -> bool:
        return bool((await world.record()).participants)

    await eventually(joined)
    await world.incident("role scribe <@U0CAROL|carol>", channel=channel)
    await world.incident("commander <@U0BOB|bob>", channel=channel)
    await world.delivered()
    assert invited_in(world, channel) == [ALICE, BOB]
    assert "Commander: <@U0BOB> · Scribe: <@U0CAROL>" in summary_fields(world, channel)


async def test_an_unknown_role_is_refused_with_the_roles_and_nothing_recorded(make_world):
    world = await make_world(roles="incident-lead,liaison")
    channel = await world.declare()
    refused = await world.incident("role chef <@U0BOB|bob>", channel=channel)
    assert refused.json["response_type"] == "ephemeral"
    assert "There is no role `chef`. Roles: commander, comms, scribe, ops, incident-lead, " \
        "liaison." in refused.json["text"]
    again = await world.incident("role comms <@U0BOB|bob>", channel=channel)
    assert again.json["text"] == "<@U0BOB> is now *comms*."
    twice = await world.incident("role comms <@U0BOB|bob>", channel=channel)
    assert twice.json["text"] == "bob is already the comms."
    assert (await world.incident("role incident-lead <@U0DAVE|dave>", channel=channel)).json[
        "text"] == "<@U0DAVE> is now *incident-lead*."
    usage = await world.incident("role comms bob", channel=channel)
    assert "Usage:" in usage.json["text"]
    await world.delivered()
    assert [e.action for e in (await world.record()).events] == [
        "declared", "role_assigned", "role_assigned"]
    assert "Comms: <@U0BOB> · Incident-lead: <@U0DAVE>" in summary_fields(world, channel)


@pytest.mark.parametrize(("setting", "value"), [("roles", "Comms Lead"), ("roles", "lead,9x"),
                                                ("invite_sev1", "U0BOB,#ops")])
def test_malformed_roles_and_invite_settings_stop_start_up(setting, value):
    with pytest.raises(ConfigError, match=f"^{setting.upper()} is malformed: "):
        load_settings(**{setting: value})


async def test_the_status_update_nudge_goes_to_comms_when_someone_holds_it(make_world):
    clock = ShiftedClock()
    world = await make_world(clock=clock)
    channel = await world.declare()  # SEV1: a nudge every 10 minutes
    clock.advance(minutes=10, seconds=1)

    def nudges() -> list[str]:  # messages said together share a post: one line each
        return [line for shown in world.posted(channel) for line in shown.split("\n")
                if "time for a status update" in line]

    async def nudged(times: int):
        async def check() -> bool:
            await world.delivered()
            return len(nudges()) >= times
        return check

    await eventually(await nudged(1))
    assert nudges()[0].startswith(f":alarm_clock: <@{ALICE}>, time for a status update")
    await world.incident("role comms <@U0BOB|bob>", channel=channel)
    clock.advance(minutes=10, seconds=1)
    await eventually(await nudged(2))
    assert nudges()[-1].startswith(f":alarm_clock: <@{BOB}>, time for a status update")


async def test_handoff_posts_where_things_stand_and_moves_command(make_world):
    world = await make_world(runbooks_dir=SHIPPED_RUNBOOKS)
    channel = await world.declare("sev1 app-down Checkout returns 502")
    await world.incident("commander <@U0BOB|bob>", channel=channel)
    await world.incident("role comms <@U0CAROL|carol>", channel=channel)
    await world.incident("access request prod DB write for 2h because kill sessions",
                         channel=channel, user=BOB)
    assert "approved" in (await world.sender.slash("/approve", "AR-1", user=DAVE,
                                                   channel=channel)).json["text"]
    await world.incident("access request root on db-2 for 1h", channel=channel, user=BOB)
    await world.incident("action add 502 alerting <@U0CAROL|carol>", channel=channel)
    await world.incident("update failover started", channel=channel, user=CAROL)

    answer = await world.incident("handoff <@U0DAVE|dave> watch replica lag <!channel>",
                                  channel=channel, user=BOB)
    assert answer.json["text"] == "Handed off: <@U0DAVE> is now the incident commander."
    await world.delivered()
    shown = next(t for t in world.posted(channel) if "*Handoff*" in t)
    brief = shown[shown.index(":handshake:"):]  # the last thing said: what ends the post
    assert brief.startswith(f":handshake: *Handoff*: <@{DAVE}> takes over as incident "
                            f"commander from <@{BOB}> (handed over by bob).")
    for part in ("*Status* new · *Severity* SEV1", "*Roles* Commander: dave · Comms: carol",
                 "*Open runbook steps*\n• RUN-004 step 1: ", "*Live access*\n• AR-1 prod DB write "
                 "for bob, until ", "*Open action items*\n• #1 add 502 alerting (owner carol)",
                 "*Last update* ", ": failover started",
                 "*Notes* watch replica lag &lt;!channel&gt;"):
        assert part in brief, part
    assert "root on db-2" not in brief  # pending, not live
    assert re.findall(r"<[@!][^>]*>", brief) == [f"<@{DAVE}>", f"<@{BOB}>"]  # no crowd pinged
    assert DAVE in world.slack.channels[channel].members

    record = await world.record()
    assert record.incident.commander_id == DAVE
    assert [(e.action, e.data) for e in record.events[-2:]] == [
        ("role_assigned", {"role": "commander", "user": DAVE}),
        ("handoff", {"to": DAVE, "from": BOB})]
    assert record.events[-1].details == "watch replica lag <!channel>"
    assert "Commander: <@U0DAVE> · Comms: <@U0CAROL>" in summary_fields(world, channel)

    refused = await world.incident("handoff <@U0DAVE|dave>", channel=channel, user=DAVE)
    assert refused.json["text"] == "dave is already the commander: hand off to someone else."
    assert len((await world.record()).events) == len(record.events)


async def test_invite_people_and_a_user_group_expanded_by_slack(world):
    world.slack.add_usergroup("S0DBA", "dba", [CAROL, DAVE])
    channel = await world.declare()
    await world.slack.join(channel, DAVE)  # already there: skipped, never failing the others
    first = await world.sender.slash("/incident", "invite <@U0BOB|bob> <!subteam^S0DBA|@dba>",
                                     user=ALICE, channel=channel, trigger_id="333.444.same")
    again = await world.sender.slash("/incident", "invite <@U0BOB|bob> <!subteam^S0DBA|@dba>",
                                     user=ALICE, channel=channel, trigger_id="333.444.same")
    assert first.json["text"] == "Inviting <@U0BOB>, <!subteam^S0DBA> to the channel."
    assert again.json["text"] == "Already recorded: Slack delivered this command twice."
    await world.delivered()
    assert {ALICE, BOB, CAROL, DAVE} <= world.slack.channels[channel].members
    assert [c.params["usergroup"] for c in world.slack.calls_to("usergroups.users.list")] == ["S0DBA"]
    record = await world.record()
    invited = [e for e in record.events if e.action == "invited"]
    assert [(e.details, e.data) for e in invited] == [
        ("@bob @dba", {"users": [BOB], "groups": ["S0DBA"]})]

    usage = await world.incident("invite bob", channel=channel)
    assert "Usage:" in usage.json["text"]


async def test_a_user_group_slack_does_not_know_leaves_the_others_invited(world):
    channel = await world.declare()
    await world.incident("invite <!subteam^S0GONE|@gone> <@U0BOB|bob>", channel=channel)
    await world.delivered()
    assert BOB in world.slack.channels[channel].members
    assert [c.error for c in world.slack.calls_to("usergroups.users.list")] == ["no_such_subteam"]


async def test_invite_sev_settings_bring_people_in_on_declare(make_world):
    world = await make_world(invite_sev1=f"{BOB},S0DBA")
    world.slack.add_usergroup("S0DBA", "dba", [CAROL, ALICE])
    channel = await world.declare("sev1 db-outage Primary DB down")
    assert {ALICE, BOB, CAROL} <= world.slack.channels[channel].members
    assert DAVE not in world.slack.channels[channel].members
    events = (await world.record()).events
    assert [(e.action, e.data) for e in events] == [
        ("declared", {}),
        ("invited", {"users": [BOB], "groups": ["S0DBA"], "setting": "INVITE_SEV1"})]
    quiet = await world.declare("sev2 cdn-errors")
    assert world.slack.channels[quiet].members == {ALICE, "UBOT"}
    assert [e.action for e in (await world.record(2)).events] == ["declared"]


async def test_an_invite_refused_as_a_whole_is_asked_again_person_by_person(world):
    channel = await world.declare()
    world.slack.fault("conversations.invite", error="already_in_channel")
    await world.incident("invite <@U0BOB|bob> <@U0CAROL|carol>", channel=channel)
    await world.delivered()
    assert {BOB, CAROL} <= world.slack.channels[channel].members
    asked = [c.params["users"] for c in world.slack.calls_to("conversations.invite")][1:]
    assert asked == [f"{BOB},{CAROL}", BOB, CAROL]
