"""Secrets stay out of the record: what people type, the messages they capture and what
alerts say are scanned before they are recorded; a secret is recorded, posted and exported
as `[redacted: <kind>]`, the person is told privately, and /metrics counts it by kind.

Every secret here is made up for these tests; none is, or was, a real credential."""

import copy
import json
from collections.abc import Iterator

import aiohttp
import pytest
from sqlmodel import SQLModel, select

from bot import redaction
from bot.redaction import REDACTIONS, redact, told
from bot.standin.alertmanager import AlertmanagerSender
from bot.storage.tables import CommandRow
from tests.support.waiting import eventually
from tests.support.world import ALICE, BOB, CAROL

AWS_KEY = "AKIAQX7RT2WZ5KLM4N8P"
SLACK_TOKEN = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
GITHUB_TOKEN = "ghp_aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5"
DATABASE_URL = "postgres://user:password@db.internal:5432/app"
SECRETS = (AWS_KEY, SLACK_TOKEN, GITHUB_TOKEN, "user:password@")
PRIVATE_KEY = ("-----BEGIN RSA PRIVATE KEY-----\n"
               "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
               "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n"
               "-----END RSA PRIVATE KEY-----")
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJvbmNhbGwifQ."
       "Qk9HVVMtc2lnbmF0dXJlLWZvci10ZXN0cy1vbmx5")

# What incidents are full of, none of it a secret.
PROSE = [
    "deploy 3f9c2a1b7e4d8c6a5b3f2e1d0c9b8a7f6e5d4c3b rolled back to a1b2c3d",
    "image sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 pulled",
    "request 123e4567-e89b-12d3-a456-426614174000 timed out on api-7f9c.prod.internal:8443",
    "node ip-10-0-3-17.ec2.internal NotReady; 52.94.236.248 unreachable from eu-west-1",
    'Traceback (most recent call last):\n  File "/srv/app/db/pool.py", line 212, in acquire\n'
    '    raise PoolTimeout(f"pool exhausted after {timeout}s")\npool.PoolTimeout: 30s',
    'psycopg.OperationalError: connection to server at "10.0.3.17", port 5432 failed: '
    'FATAL:  password authentication failed for user "app"',
    'Error from server (NotFound): secrets "db-creds" not found',
    "Password: reset for everyone; the secret rotation job failed at 03:12Z (ACME-4821)",
    "set max_connections=500, see https://grafana.internal/d/x1y2z3/api?orgId=1&from=now-1h",
    "bearer authentication is off for the health endpoint, api_key rotation is weekly",
]


@pytest.fixture(autouse=True)
def redaction_on() -> Iterator[None]:
    """Every story starts with redaction on, as the bot does, and leaves it on."""
    redaction.configure(enabled=True)
    yield
    redaction.configure(enabled=True)


def counted(kind: str) -> float:
    return next((s.value for m in REDACTIONS.collect() for s in m.samples
                 if s.name == "incident_bot_redactions_total" and s.labels["kind"] == kind), 0.0)


# The scanner on its own.

@pytest.mark.parametrize(("typed", "kept"), [
    (f"rotated {AWS_KEY} at 03:12", "rotated [redacted: aws-access-key] at 03:12"),
    (f"bot token {SLACK_TOKEN} leaked", "bot token [redacted: slack-token] leaked"),
    (f"pushed with {GITHUB_TOKEN}.", "pushed with [redacted: github-token]."),
    (f"writes fail on {DATABASE_URL}",
     "writes fail on postgres://user:[redacted: url-credentials]@db.internal:5432/app"),
    (f"session {JWT} replayed", "session [redacted: jwt] replayed"),
    ("stripe sk_live_4eC39HqLyjWDarjtT1zdp7dc in the log", "stripe [redacted: stripe-key] in the log"),
    ("env had DB_PASSWORD=hunter2", "env had DB_PASSWORD=[redacted: password]"),
    ('chart sets password: "Zq9vT4pLm2"', 'chart sets password: "[redacted: password]"'),
    ("curl -H 'Authorization: Bearer 9f8e7d6c5b4a39281706'",
     "curl -H 'Authorization: Bearer [redacted: bearer-token]'"),
])
def test_each_kind_of_secret_is_replaced_by_its_kind(typed: str, kept: str):
    assert redact(typed).text == kept


def test_a_private_key_goes_whole_from_begin_to_end():
    redacted = redact(f"found in the repo:\n{PRIVATE_KEY}\nrotated since")
    assert redacted.text == "found in the repo:\n[redacted: private-key]\nrotated since"
    assert redacted.kinds == ("private-key",)


def test_a_private_key_pasted_without_its_end_goes_to_the_end_of_the_text():
    cut_short = PRIVATE_KEY.rsplit("\n", 1)[0]
    assert redact(f"key: {cut_short}").text == "key: [redacted: private-key]"


def test_every_occurrence_goes_and_each_kind_is_named_once_in_order():
    redacted = redact(f"{SLACK_TOKEN} then {AWS_KEY} and again {SLACK_TOKEN}")
    assert redacted.text == ("[redacted: slack-token] then [redacted: aws-access-key] and again "
                             "[redacted: slack-token]")
    assert redacted.kinds == ("slack-token", "aws-access-key")


def test_a_short_password_is_not_cut_out_of_other_words():
    redacted = redact("https://ops:pw@dash.internal shows pwned counts")
    assert redacted.text == "https://ops:[redacted: url-credentials]@dash.internal shows pwned counts"


@pytest.mark.parametrize("line", PROSE)
def test_ordinary_incident_prose_is_kept_as_typed(line: str):
    assert redact(line) == redaction.Redacted(line)


def test_each_keyword_detect_secrets_looks_for_lets_its_line_be_read():
    from detect_secrets.plugins.keyword import DENYLIST

    from bot.redaction import _KEYWORD_STEMS

    assert all(_KEYWORD_STEMS.search(keyword) for keyword in DENYLIST)


def test_the_person_is_told_what_went_and_why():
    assert told(["aws-access-key"]) == (
        "Redacted before recording: an AWS access key. Secrets never enter the incident "
        "record; rotate it if it was real.")
    assert told(["slack-token", "github-token", "url-credentials"]).startswith(
        "Redacted before recording: a Slack token, a GitHub token and a password in a URL. ")


def test_redactions_are_counted_by_kind():
    aws, slack = counted("aws-access-key"), counted("slack-token")
    redact(f"{AWS_KEY} {SLACK_TOKEN}")
    redact(AWS_KEY)
    assert (counted("aws-access-key") - aws, counted("slack-token") - slack) == (2, 1)


def test_switched_off_text_is_kept_as_typed_and_nothing_is_counted():
    redaction.configure(enabled=False)
    before = counted("aws-access-key")
    assert redact(f"rotated {AWS_KEY}") == redaction.Redacted(f"rotated {AWS_KEY}")
    assert counted("aws-access-key") == before


# The bot over Slack.

async def stored(world) -> str:
    """Everything the database holds, every row of every table, as text."""
    async with world.bot.store.reading() as tx:
        return repr([(await tx.session.execute(table.select())).all()
                     for table in SQLModel.metadata.sorted_tables])


def sent_to_slack(world) -> str:
    """Every Web API call, response_url answer and upload the bot made."""
    return repr([c.params for c in world.slack.calls]) + repr(world.slack.responses) + repr(
        [f.content for f in world.slack.files])


async def metrics(world) -> dict[str, float]:
    async with aiohttp.ClientSession() as session, session.get(f"{world.bot.url}/metrics") as r:
        text = await r.text()
    return {line.split('"')[1]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
            if line.startswith("incident_bot_redactions_total{")}


async def test_secrets_pasted_into_a_log_never_reach_the_record_slack_or_the_export(world):
    before = await metrics(world)
    channel = await world.declare()
    response = await world.incident(
        f"log rotated {AWS_KEY}, {SLACK_TOKEN} and {GITHUB_TOKEN}; app used {DATABASE_URL}",
        channel=channel, user=BOB)
    assert response.json["text"] == "Logged.\n" + told(
        ["aws-access-key", "slack-token", "github-token", "url-credentials"])
    await world.incident("resolve keys rotated", channel=channel)
    await world.delivered()

    logged = ("rotated [redacted: aws-access-key], [redacted: slack-token] and "
              "[redacted: github-token]; app used "
              "postgres://user:[redacted: url-credentials]@db.internal:5432/app")
    [entry] = [e for e in (await world.record()).events if e.action == "log"]
    assert entry.details == logged
    async with world.bot.store.reading() as tx:
        commands = [row.text for row in (await tx.session.execute(select(CommandRow))).scalars()]
    assert f"log {logged}" in commands
    assert any(logged in shown for shown in world.posted(channel))
    export = next(world.export_dir.glob("*.md")).read_text()
    assert logged in export

    everywhere = await stored(world) + sent_to_slack(world) + export
    assert [secret for secret in SECRETS if secret in everywhere] == []
    after = await metrics(world)
    assert {kind: n - before.get(kind, 0) for kind, n in after.items() if n > before.get(kind, 0)} == {
        "aws-access-key": 1, "slack-token": 1, "github-token": 1, "url-credentials": 1}


async def test_ordinary_prose_in_a_log_is_recorded_as_typed(world):
    channel = await world.declare()
    for line in PROSE[:4]:
        response = await world.incident(f"log {line}", channel=channel)
        assert response.json["text"] == "Logged."
    await world.delivered()
    assert [e.details for e in (await world.record()).events if e.action == "log"] == PROSE[:4]


async def test_a_secret_in_an_update_form_is_redacted_and_the_person_told_in_the_channel(world):
    channel = await world.declare()
    _, view = await world.form("update", channel=channel)
    await world.sender.view_submission(user=ALICE, view={**view, "id": "VSECRET1", "state": {
        "values": {
            "impact": {"value": {"type": "plain_text_input", "value": "writes failing"}},
            "doing": {"value": {"type": "plain_text_input", "value": f"rotating {AWS_KEY}"}},
            "next": {"value": {"type": "plain_text_input", "value": "30m"}},
        }}})

    async def told_privately() -> bool:
        return {"channel": channel, "user": ALICE, "text": told(["aws-access-key"])} in [
            {k: e[k] for k in ("channel", "user", "text")} for e in world.slack.ephemerals]

    await eventually(told_privately)
    await world.delivered()
    [update] = [e for e in (await world.record()).events if e.action == "status_update"]
    assert "rotating [redacted: aws-access-key]" in update.details
    assert AWS_KEY not in await stored(world) + sent_to_slack(world).replace(
        repr(told(["aws-access-key"])), "")


async def test_a_pinned_message_with_a_secret_is_captured_redacted_and_the_pinner_told(world):
    channel = await world.declare()
    await world.slack.join(channel, BOB)
    ts = world.slack.say(channel, CAROL, f"try with {SLACK_TOKEN}")
    await world.sender.event(world.slack.react(channel, ts, BOB, "pushpin"))

    async def captured() -> bool:
        await world.delivered()
        return any(e.action == "log" for e in (await world.record()).events)

    await eventually(captured)
    [entry] = [e for e in (await world.record()).events if e.action == "log"]
    assert entry.details.startswith("try with [redacted: slack-token]\n")
    assert [(e["user"], e["text"]) for e in world.slack.ephemerals] == [
        (BOB, told(["slack-token"]))]
    assert SLACK_TOKEN not in await stored(world)


async def test_the_shortcut_captures_a_message_redacted_and_tells_who_used_it(world):
    channel = await world.declare()
    ts = world.slack.say(channel, CAROL, f"temporary creds {AWS_KEY} for the migration")
    await world.sender.message_shortcut(user=ALICE, channel=channel, message_ts=ts)

    async def answered() -> bool:
        return any(r["text"] == told(["aws-access-key"]) for r in world.slack.responses)

    await eventually(answered)
    await world.delivered()
    [entry] = [e for e in (await world.record()).events if e.action == "log"]
    assert entry.details.startswith("temporary creds [redacted: aws-access-key] for the migration")
    # The outbox row that carried the capture held the redacted text too.
    assert AWS_KEY not in await stored(world)


async def test_a_secret_in_an_alert_is_redacted_and_only_counted(make_world):
    world = await make_world(alert_webhook_token="alert-token-123")
    body = copy.deepcopy(json.loads(
        (__import__("pathlib").Path(__file__).parent / "alerts" / "alertmanager_firing.json")
        .read_text()))
    leak = "https://probe:Zq9vT4pLm2@api.internal/health"
    body["commonAnnotations"]["summary"] = f"API p99 above 1s via {leak}"
    body["alerts"][0]["annotations"]["summary"] = f"API p99 above 1s via {leak}"
    body["alerts"][0]["labels"]["dsn"] = DATABASE_URL
    before = counted("url-credentials")
    sender = AlertmanagerSender(url=f"{world.bot.url}/alerts/alertmanager", token="alert-token-123")
    assert (await sender.send(body)).status == 200
    await world.delivered()

    [incident] = await world.incidents()
    assert incident.title == ("API p99 above 1s via "
                              "https://probe:[redacted: url-credentials]@api.internal/health")
    everywhere = await stored(world) + sent_to_slack(world)
    assert "Zq9vT4pLm2" not in everywhere and "user:password@" not in everywhere
    assert counted("url-credentials") > before
    assert world.slack.ephemerals == []


async def test_with_redaction_switched_off_text_is_recorded_as_typed(make_world):
    world = await make_world(redact_secrets=False)
    channel = await world.declare()
    response = await world.incident(f"log rotated {AWS_KEY}", channel=channel)
    assert response.json["text"] == "Logged."
    await world.delivered()
    [entry] = [e for e in (await world.record()).events if e.action == "log"]
    assert entry.details == f"rotated {AWS_KEY}"
