"""With SLACK_APP_TOKEN set, the bot takes Slack's requests over Socket Mode instead of HTTP."""

from tests.support.world import ALICE


async def test_a_slash_command_over_socket_mode_is_acked_and_recorded(make_world):
    world = await make_world(slack_app_token="xapp-standin")
    ack = await world.slack.socket_request("slash_commands", {
        "token": "x", "team_id": "T0001", "channel_id": world.ops, "channel_name": "ops",
        "user_id": ALICE, "user_name": "alice", "command": "/incident",
        "text": "declare sev2 socket-test Over the socket", "api_app_id": "A0001",
        "response_url": world.slack.response_url("s1"), "trigger_id": "1.2.socket"})
    assert ack["payload"]["text"].startswith("INC-1 declared (SEV2, socket-test).")
    await world.delivered()
    assert world.slack.channel_by_name("inc-1-socket-test") is not None
    assert world.slack.calls_to("apps.connections.open")
