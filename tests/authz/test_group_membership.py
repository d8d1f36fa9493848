"""A policy that decides by Slack user group: membership is read from Slack and kept a few
minutes; when it cannot be read, the policy is never asked with a guess (fail closed)."""

from datetime import timedelta

from tests.support.world import ALICE, BOB, CAROL

# Only the on-call group may page; the rest is anyone's.
ONCALL_PAGES = """package incident.authz
import rego.v1

default allow := false

allow if input.action != "page"

allow if {
	input.action == "page"
	"S0ONCALL" in input.user.groups
}

reason := "Only the on-call group (@oncall) pages." if not allow
"""


async def oncall_world(make_world, tmp_path, **settings):
    policy = tmp_path / "oncall.rego"
    policy.write_text(ONCALL_PAGES)
    world = await make_world(policy_file=policy, **settings)
    world.slack.add_usergroup("S0ONCALL", "oncall", [BOB])
    world.slack.add_usergroup("S0DBA", "dba", [CAROL])
    return world


async def test_a_member_of_the_group_pages_and_others_are_told_why(make_world, tmp_path):
    world = await oncall_world(make_world, tmp_path)
    channel = await world.declare(user=ALICE)

    bob = await world.incident(f"page <@{CAROL}> come look", channel=channel, user=BOB)
    carol = await world.incident(f"page <@{ALICE}> come look", channel=channel, user=CAROL)

    assert bob.json["text"].startswith("Paging <@U0CAROL>")
    assert carol.json["text"] == "Only the on-call group (@oncall) pages."


async def test_membership_is_read_once_for_a_while(make_world, tmp_path):
    world = await oncall_world(make_world, tmp_path)
    channel = await world.declare(user=ALICE)

    for _ in range(3):
        await world.incident(f"page <@{CAROL}> come look", channel=channel, user=BOB)

    assert len(world.slack.calls_to("usergroups.list")) == 1


async def test_unreadable_groups_refuse_and_say_why(make_world, tmp_path):
    world = await oncall_world(make_world, tmp_path, groups_cache=timedelta(seconds=0))
    channel = await world.declare(user=ALICE)
    world.slack.fault("usergroups.list", status=503, times=10)

    answer = await world.incident(f"page <@{CAROL}> come look", channel=channel, user=BOB)

    assert answer.json["text"].startswith("Your Slack user groups could not be read (")
    assert "nothing was changed" in answer.json["text"]
    assert not [e for e in (await world.record()).events if e.action == "paged"]


async def test_a_policy_that_never_reads_groups_never_asks_slack(make_world):
    world = await make_world()
    channel = await world.declare(user=ALICE)
    await world.incident("log checking the replicas", channel=channel, user=BOB)

    assert world.slack.calls_to("usergroups.list") == []
