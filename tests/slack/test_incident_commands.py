"""User stories for `/incident`, driven the way Slack drives the bot: signed requests."""

import asyncio

from sqlalchemy import select

from bot.domain.lifecycle import Status
from bot.slack import ids
from bot.storage.tables import CommandRow
from tests.support.waiting import eventually
from tests.support.world import ALICE, BOB, CAROL


async def test_declare_opens_a_channel_invites_the_declarer_and_pins_a_summary(world):
    response = await world.incident("declare sev1 db-outage Primary DB refuses connections")

    assert response.status == 200
    assert response.json["response_type"] == "ephemeral"
    assert response.json["text"].startswith("INC-1 declared (SEV1, db-outage).")
    await world.delivered()
    channel = world.slack.channel_by_name("inc-1-db-outage")
    assert channel is not None and ALICE in channel.members
    summary = world.slack.messages(channel.id)[0]
    assert summary.ts in world.slack.pins[channel.id]
    assert summary.blocks[0]["text"]["text"] == "INC-1 · SEV1 · Primary DB refuses connections"
    incident = (await world.incidents())[0]
    assert (incident.channel_id, incident.summary_ts) == (channel.id, summary.ts)


async def test_declare_makes_a_handful_of_web_api_calls_and_none_before_the_ack(world):
    before = len(world.slack.calls)
    response = await world.incident("declare p2 cdn-errors")
    calls_before_ack = len(world.slack.calls) - before
    await world.delivered()
    methods = [call.method for call in world.slack.calls[before:]]
    assert calls_before_ack == 0 and response.status == 200
    assert methods == ["conversations.create", "conversations.invite", "chat.postMessage",
                       "pins.add"]


async def test_declare_is_announced_when_an_announce_channel_is_set(make_world):
    world = await make_world(announce_channel="ops")
    await world.declare("sev2 cdn-errors Images fail to load")
    announcement = world.posted(world.ops)[-1]
    channel = world.slack.channel_by_name("inc-1-cdn-errors")
    assert "INC-1" in announcement and "SEV2" in announcement
    assert f"<#{channel.id}>" in announcement and f"<@{ALICE}>" in announcement


async def test_declare_without_arguments_opens_the_form_and_submitting_declares(world):
    response, view = await world.form("declare")
    assert response.status == 200 and not (response.body or "").strip().startswith("{\"text\"")
    assert view["callback_id"] == ids.DECLARE_CALLBACK

    submitted = await world.sender.view_submission(user=BOB, view={
        **view, "id": "V123", "state": {"values": {
            "severity": {"value": {"type": "static_select", "selected_option": {"value": "sev3"}}},
            "slug": {"value": {"type": "plain_text_input", "value": "Search Slow"}},
            "title": {"value": {"type": "plain_text_input", "value": "Search p99 at 4s"}},
        }}})
    assert submitted.status == 200
    await world.delivered()
    incident = (await world.incidents())[0]
    assert (incident.severity, incident.slug, incident.title) == (3, "search-slow", "Search p99 at 4s")
    assert world.slack.channel_by_name("inc-1-search-slow") is not None


async def test_the_answer_to_declare_never_waits_for_slack_to_open_the_form(world):
    world.slack.fault("views.open", delay=0.7)  # slow, yet inside the client's timeout
    response = await world.incident("declare")
    assert response.status == 200
    assert world.slack.views == []  # answered while the form was still on its way

    async def opened() -> bool:
        return len(world.slack.views) == 1

    await eventually(opened)


async def test_the_declare_form_says_what_each_severity_means(world):
    _, view = await world.form("declare")
    severity = next(b for b in view["blocks"] if b["block_id"] == "severity")
    options = [(o["text"]["text"], o["description"]["text"]) for o in severity["element"]["options"]]
    assert [name for name, _ in options] == ["SEV1 Critical", "SEV2 Major", "SEV3 Minor", "SEV4 Low"]
    assert "no workaround" in options[1][1] and "no customer impact" in options[3][1]


async def test_the_declare_form_refuses_an_empty_slug(world):
    _, view = await world.form("declare")
    submitted = await world.sender.view_submission(user=BOB, view={
        **view, "id": "V124", "state": {"values": {
            "severity": {"value": {"type": "static_select", "selected_option": {"value": "sev1"}}},
            "slug": {"value": {"type": "plain_text_input", "value": "!!!"}},
            "title": {"value": {"type": "plain_text_input", "value": None}},
        }}})
    assert submitted.json["response_action"] == "errors"
    assert "slug" in submitted.json["errors"]
    assert await world.incidents() == []


async def test_log_is_recorded_and_posted_in_the_channel(world):
    channel = await world.declare()
    response = await world.incident("log restarted pgbouncer on db-2", channel=channel, user=BOB)
    assert response.json["text"] == "Logged."
    await world.delivered()
    assert "*bob*: restarted pgbouncer on db-2" in world.posted(channel)[-1]
    record = await world.record()
    assert [e.action for e in record.events] == ["declared", "log"]
    assert record.events[-1].details == "restarted pgbouncer on db-2"


async def test_what_people_type_never_pings_anyone(world):
    channel = await world.declare()
    await world.incident("log <!channel> <!here> <!everyone> <@U0BOB> & friends", channel=channel)
    await world.incident("update all clear <!channel>", channel=channel)
    await world.delivered()
    assert world.slack.pings(channel) == []
    assert any("&lt;!channel&gt; &lt;!here&gt;" in shown for shown in world.posted(channel))
    record = await world.record()
    assert record.events[1].details == "<!channel> <!here> <!everyone> <@U0BOB> & friends"


async def test_status_moves_forward_freely_and_back_only_with_a_reason(world):
    channel = await world.declare()
    assert (await world.incident("status monitoring", channel=channel)).json["text"] == \
        "Status is now monitoring."
    refused = await world.incident("status mitigating", channel=channel)
    assert "needs a rationale" in refused.json["text"]
    accepted = await world.incident("status mitigating error rate climbing again", channel=channel)
    assert accepted.json["text"] == "Status is now mitigating."
    record = await world.record()
    assert [e.details for e in record.events if e.action == "status_changed"] == [
        "new -> monitoring", "monitoring -> mitigating: error rate climbing again"]
    assert record.incident.status is Status.MITIGATING


async def test_every_change_re_renders_the_pinned_summary(world):
    channel = await world.declare()
    await world.incident("severity sev2 blast radius is one region", channel=channel)
    await world.incident("commander <@U0BOB|bob>", channel=channel)
    await world.incident("update failover done, watching", channel=channel)
    await world.incident("status monitoring", channel=channel)
    await world.delivered()
    summary = world.slack.messages(channel)[0]
    fields = " ".join(f["text"] for f in summary.blocks[1]["fields"])
    assert "SEV2" in fields and "<@U0BOB>" in fields and "monitoring" in fields
    assert "failover done, watching" in fields
    assert summary.blocks[0]["text"]["text"].startswith("INC-1 · SEV2")


async def test_commander_and_action_items(world):
    channel = await world.declare()
    assert (await world.incident("commander <@U0BOB|bob>", channel=channel)).json["text"] == \
        "<@U0BOB> is now the incident commander."
    response = await world.incident("action add pool alerting <@U0CAROL|carol>", channel=channel)
    assert response.json["text"] == "Action item #1 recorded."
    await world.delivered()
    assert any("<@U0BOB> is now the incident commander" in text for text in world.posted(channel))
    record = await world.record()
    assert record.incident.commander_id == BOB
    assert [(a.text, a.owner_id) for a in record.action_items] == [("add pool alerting", CAROL)]


async def test_resolve_writes_the_export_and_uploads_it_to_the_channel(world):
    channel = await world.declare()
    await world.incident("log failed over to replica", channel=channel)
    response = await world.incident("resolve replica lag alarm was missing", channel=channel)
    assert response.json["text"].startswith("Resolved. Postmortem draft written to ")
    await world.delivered()
    export = next(world.export_dir.glob("*-db-outage.md"))
    assert "status: resolved" in export.read_text()
    upload = world.slack.files[-1]
    assert upload.filename == export.name and channel in upload.channels
    assert upload.content.decode() == export.read_text()
    again = await world.incident("resolve", channel=channel)
    assert "already resolved" in again.json["text"]


async def test_a_participant_joining_is_recorded_with_their_name(world):
    channel = await world.declare()
    await world.sender.event({"type": "member_joined_channel", "user": CAROL, "channel": channel,
                              "channel_type": "C", "team": "T0001"})

    async def joined() -> bool:
        return bool((await world.record()).participants)

    await eventually(joined)
    await world.delivered()
    record = await world.record()
    assert [(p.user_id, record.name(p.user_id)) for p in record.participants] == [(CAROL, "carol")]
    assert record.events[-1].action == "participant_joined"


async def test_usage_errors_answer_with_usage_and_record_nothing(world):
    channel = await world.declare()
    for text in ("log", "severity sev2", "status sideways", "commander bob", "teleport"):
        response = await world.incident(text, channel=channel)
        assert response.json["response_type"] == "ephemeral"
        assert "Usage:" in response.json["text"], text
    assert [e.action for e in (await world.record()).events] == ["declared"]


async def test_incident_commands_outside_an_incident_channel_say_where_to_go(world):
    await world.declare()
    response = await world.incident("log hello")
    assert "not an incident channel" in response.json["text"]


async def test_help_lists_every_command(world):
    response = await world.incident("help")
    for sub in ("declare", "log", "status", "severity", "commander", "update", "action", "resolve"):
        assert f"/incident {sub}" in response.json["text"]
    # and what each severity means, with the deadlines this bot keeps for it
    severity = response.json["text"].split("Severity:\n", 1)[1].splitlines()
    assert len(severity) == 4 and severity[0].startswith("• SEV1 Critical: a service down")
    assert "acknowledge within 5m, status updates every 10m" in severity[0]


async def test_a_taken_channel_name_gets_a_suffix_and_someone_elses_channel_is_left_alone(world):
    squatter = world.slack.add_channel("inc-1-db-outage", creator=CAROL, members=[CAROL])
    channel = await world.declare()
    assert world.slack.channels[channel].name == "inc-1-db-outage-2"
    assert world.slack.messages(squatter) == []


async def test_an_85_character_slug_still_makes_a_valid_channel(world):
    slug = "very-long-" + "x" * 75
    channel = await world.declare(f"sev3 {slug}")
    name = world.slack.channels[channel].name
    assert len(name) == 80 and name.startswith("inc-1-very-long-")
    assert (await world.record()).incident.slug == slug


async def test_slack_delivering_the_same_command_twice_records_it_once(world):
    channel = await world.declare()
    first = await world.sender.slash("/incident", "log once only", user=BOB, channel=channel,
                                     trigger_id="111.222.same")
    again = await world.sender.slash("/incident", "log once only", user=BOB, channel=channel,
                                     trigger_id="111.222.same")
    assert (first.json["text"], again.json["text"]) == (
        "Logged.", "Already recorded: Slack delivered this command twice.")
    assert [e.action for e in (await world.record()).events].count("log") == 1


async def test_a_retried_event_records_the_join_once(world):
    channel = await world.declare()
    event = {"type": "member_joined_channel", "user": CAROL, "channel": channel,
             "channel_type": "C", "team": "T0001"}
    await world.sender.event(event, event_id="EvSAME")
    await world.sender.event(event, event_id="EvSAME", retry_num=1)

    async def joined() -> bool:
        return bool((await world.record()).participants)

    await eventually(joined)
    await asyncio.sleep(0.3)
    assert [e.action for e in (await world.record()).events].count("participant_joined") == 1


async def test_every_command_in_an_incident_channel_is_itself_recorded(world):
    channel = await world.declare()
    await world.incident("log pool at 100%", channel=channel, user=BOB)
    await world.incident("severity sev2 contained", channel=channel)
    async with world.bot.store.reading() as tx:
        rows = (await tx.session.execute(select(CommandRow).order_by(CommandRow.id))).scalars().all()
    assert [(r.user_id, r.command, r.text, r.incident_id) for r in rows] == [
        (ALICE, "/incident", "declare sev1 db-outage Primary DB down", None),
        (BOB, "/incident", "log pool at 100%", 1),
        (ALICE, "/incident", "severity sev2 contained", 1),
    ]


async def test_a_persons_first_commands_at_the_same_moment_all_go_through(world):
    answers = await asyncio.gather(*(world.incident(f"declare sev3 race-{n}", user=CAROL)
                                     for n in range(6)))
    assert all(a.json["text"].startswith("INC-") for a in answers), [a.json["text"] for a in answers]
    assert len(await world.incidents()) == 6
