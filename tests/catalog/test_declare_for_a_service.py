"""A response starts from what is broken: declaring for a service brings in the team that owns
it and the person on call for it, attaches its runbooks, and names it in the summary and the
export; `/incident oncall` says who is on call; an alert's `service` label does the same."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.standin.alertmanager import AlertmanagerSender, FiredAlert
from bot.standin.pagerduty import FakePagerDuty
from bot.standin.statuspage import FakeStatuspage
from tests.support.world import ALICE, BOB, CAROL, DAVE, SHIPPED_RUNBOOKS
from tests.test_cli import run

API_TOKEN = "u+pd-rest-token-0123456789"
ALERT_TOKEN = "alert-token-catalog"
ERIN = "U0ERIN"


def write_catalog(folder: Path) -> Path:
    folder.mkdir()
    (folder / "checkout.yaml").write_text(
        "name: checkout\n"
        "aliases: [cart]\n"
        "owner_group: S0CHECKOUT\n"
        "escalation_policy: PCHK001\n"
        "runbooks: [RUN-004]\n")
    (folder / "search.yaml").write_text("name: search\nowner_group: S0SEARCH\n")
    (folder / "types.yaml").write_text(
        "security:\n"
        "  description: Suspected breach.\n"
        "  severity: sev2\n"
        "  private: true\n"
        "  announce: false\n"
        "  statuspage: false\n"
        "  invite: [U0DAVE]\n"
        "  runbooks: [RUN-008]\n")
    return folder


@pytest.fixture
async def pagerduty():
    async with FakePagerDuty(api_token=API_TOKEN) as api:
        yield api


@pytest.fixture
async def world(make_world, pagerduty, tmp_path):
    world = await make_world(catalog_dir=str(write_catalog(tmp_path / "catalog")),
                             runbooks_dir=str(SHIPPED_RUNBOOKS),
                             pagerduty_api_token=API_TOKEN, pagerduty_api_url=pagerduty.rest_url,
                             meeting_url="https://meet.example.com/{channel}",
                             announce_channel="ops", alert_webhook_token=ALERT_TOKEN)
    world.slack.add_usergroup("S0CHECKOUT", "checkout-team", [BOB, CAROL])
    world.slack.add_usergroup("S0SEARCH", "search-team", [CAROL])
    world.slack.add_user(ERIN, "erin", real_name="Erin Example", email="erin@example.com")
    pagerduty.on_call("PCHK001", 1, "Erin Example", "erin@example.com")
    pagerduty.on_call("PCHK001", 2, "Dave Manager", "dave@example.com")
    return world


def summary_text(world, channel: str) -> str:
    return " ".join(f["text"] for f in world.slack.messages(channel)[0].blocks[1]["fields"])


async def test_declaring_for_a_service_brings_in_its_team_and_who_is_on_call(world):
    answer = await world.incident("declare sev2 checkout-errors Checkout 500s --service cart")
    assert answer.json["text"].startswith("INC-1 declared (SEV2, checkout-errors, checkout).")
    await world.delivered()
    incident = (await world.incidents())[0]
    channel = incident.channel_id
    assert incident.services == ["checkout"]
    # the owning team, and the first level of the escalation policy, found in Slack by email
    assert {ALICE, BOB, CAROL, ERIN} <= world.slack.channels[channel].members
    assert DAVE not in world.slack.channels[channel].members
    said = "\n".join(world.posted(channel))
    assert "tied the incident to *checkout*" in said and "Its runbooks: RUN-004" in said
    assert "On call for *checkout*: <@U0ERIN>, invited." in said
    record = await world.record()
    assert [e.runbook_id for e in record.runbooks] == ["RUN-004"]
    found = next(e for e in record.events if e.action == "oncall_found")
    assert found.data["users"] == [ERIN] and "erin@example.com" not in str(found.data)
    pinned = summary_text(world, channel)
    assert "checkout · on call: <@U0ERIN>" in pinned
    assert "https://meet.example.com/inc-1-checkout-errors" in pinned
    # who takes over, and whoever is paged by DM, is told where the call is
    await world.incident(f"handoff <@{BOB}|bob> rollback half done", channel=channel)
    await world.incident(f"page <@{DAVE}|dave> need a DBA", channel=channel)
    await world.delivered()
    call = ":telephone_receiver: Call: https://meet.example.com/inc-1-checkout-errors"
    assert call in world.posted(channel)[-1]
    dm = next(c for c in world.slack.channels.values() if c.im_user == DAVE)
    assert call in world.posted(dm.id)[-1]

    await world.incident("resolve bad deploy rolled back", channel=channel)
    await world.delivered()
    export = next(world.export_dir.glob("*.md")).read_text()
    assert "\nservices: [checkout]\n" in export


async def test_pagerduty_failing_never_holds_up_the_declare_and_is_said_once(world, pagerduty):
    pagerduty.oncall_fault(status=500, times=2)
    answer = await world.incident("declare sev2 checkout-errors --service checkout")
    assert answer.json["text"].startswith("INC-1 declared")
    await world.delivered()
    channel = (await world.incidents())[0].channel_id
    said = "\n".join(world.posted(channel))
    assert said.count("Could not find who is on call for *checkout*") == 1
    assert "Asking again" in said
    assert "On call for *checkout*: <@U0ERIN>, invited." in said
    assert ERIN in world.slack.channels[channel].members


async def test_a_service_added_later_and_who_is_on_call(world):
    channel = await world.declare("sev3 search-slow Search is slow")
    answer = await world.incident("service checkout", channel=channel, user=BOB)
    assert answer.json["text"] == "Tied to checkout. Asking PagerDuty who is on call."
    again = await world.incident("service cart", channel=channel, user=BOB)
    assert again.json["text"] == "INC-1 is already tied to checkout."
    unknown = await world.incident("service chekout", channel=channel)
    assert unknown.json["text"].startswith("No service called 'chekout'. Did you mean: `checkout`")
    await world.delivered()
    assert (await world.incidents())[0].services == ["checkout"]

    here = await world.incident("oncall", channel=channel)
    assert here.json["text"] == "On call now:\n*checkout*: Erin Example (erin@example.com)"
    named = await world.incident("oncall search")
    assert named.json["text"] == "On call now:\n*search*: no escalation_policy in the catalog."
    nowhere = await world.incident("oncall")
    assert "Name a service" in nowhere.json["text"]


async def test_an_alerts_service_label_ties_the_incident(world):
    alertmanager = AlertmanagerSender(url=f"{world.bot.url}/alerts/alertmanager",
                                      token=ALERT_TOKEN)
    answer = await alertmanager.notify([FiredAlert(
        labels={"alertname": "CheckoutLatencyHigh", "severity": "critical",
                "instance": "checkout-1:9100", "service": "cart"},
        annotations={"summary": "Checkout p99 latency above 2s"},
        starts_at=datetime.now(UTC) - timedelta(minutes=3))])
    assert answer.status == 200, answer.body
    await world.delivered()
    incident = (await world.incidents())[0]
    assert incident.services == ["checkout"]
    assert ERIN in world.slack.channels[incident.channel_id].members


async def test_a_security_incident_is_private_never_announced_and_kept_off_statuspage(world):
    answer = await world.incident("declare --type security leaked-key AWS key in a gist")
    assert answer.json["text"].startswith("INC-1 declared (SEV2, leaked-key, type security).")
    await world.delivered()
    incident = (await world.incidents())[0]
    assert incident.private and incident.kind == "security" and not incident.announce
    assert DAVE in world.slack.channels[incident.channel_id].members
    assert world.posted(world.ops) == []
    record = await world.record()
    assert [e.runbook_id for e in record.runbooks] == ["RUN-008"]
    unknown = await world.incident("declare --type securty leak")
    assert unknown.json["text"].startswith("No incident type called 'securty'. Types: `security`")


async def test_statuspage_marks_the_services_components_and_clears_them_on_resolve(
        make_world, tmp_path):
    async with FakeStatuspage(page_id="pg0catalog", api_key="sp-key-catalog") as statuspage:
        catalog = write_catalog(tmp_path / "catalog")
        (catalog / "checkout.yaml").write_text(
            "name: checkout\nowner_group: S0CHECKOUT\ncomponents: [cmp_checkout, cmp_cart]\n")
        world = await make_world(catalog_dir=str(catalog), statuspage_api_url=statuspage.url,
                                 statuspage_page_id="pg0catalog", statuspage_api_key="sp-key-catalog")
        channel = await world.declare("sev1 checkout-down Checkout is down --service checkout")
        await world.incident("statuspage investigating Checkout is unavailable", channel=channel)
        await world.delivered()
        [public] = statuspage.incidents.values()
        assert public.component_ids == ["cmp_checkout", "cmp_cart"]
        assert statuspage.component_status == {"cmp_checkout": "major_outage",
                                               "cmp_cart": "major_outage"}
        await world.incident("statuspage resolved Checkout works again", channel=channel)
        await world.delivered()
        assert statuspage.component_status == {"cmp_checkout": "operational",
                                               "cmp_cart": "operational"}
        record = await world.record()
        marked = [e.data.get("components") for e in record.events if e.action == "statuspage_update"]
        assert marked[0] == {"cmp_checkout": "major_outage", "cmp_cart": "major_outage"}
        await world.stop()


async def test_an_incident_type_writes_its_export_with_its_own_template(make_world, tmp_path):
    catalog = write_catalog(tmp_path / "catalog")
    (catalog / "security.md.j2").write_text(
        "# {{ incident.ref }} (security review) {{ incident.severity_label }}\n"
        "{% for row in timeline %}{{ row.line }}\n{% endfor %}")
    (catalog / "types.yaml").write_text(
        "security:\n  severity: sev2\n  private: true\n  export_template: security.md.j2\n")
    world = await make_world(catalog_dir=str(catalog))
    await world.incident("declare --type security leaked-key Key in a gist")
    await world.delivered()
    channel = (await world.incidents())[0].channel_id
    await world.incident("resolve key rotated", channel=channel)
    await world.delivered()
    [path] = world.export_dir.glob("*.md")
    assert path.read_text().startswith("# INC-1 (security review) SEV2\n")
    # verify finds the template by the type the file names, in CATALOG_DIR
    checked = run("verify", str(path), env={"CATALOG_DIR": str(catalog)})
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "security.md.j2" in checked.stdout


async def test_oncall_answers_in_time_when_pagerduty_does_not(world, pagerduty):
    pagerduty.oncall_fault(delay=3)
    answer = await world.incident("oncall checkout")
    assert answer.json["text"] == ("On call now:\n*checkout*: PagerDuty did not answer "
                                   "(timed out); try again.")


async def test_a_type_that_is_not_announced_says_nothing_to_stakeholders(make_world, tmp_path):
    catalog = write_catalog(tmp_path / "catalog")
    (catalog / "types.yaml").write_text(
        "internal:\n  severity: sev3\n  announce: false\n  postmortem_from: sev2\n")
    world = await make_world(catalog_dir=str(catalog), announce_channel="ops")
    await world.incident("declare --type internal ci-flaky CI is flaky")
    await world.delivered()
    incident = (await world.incidents())[0]
    assert not incident.private and not incident.owes_postmortem
    assert world.posted(world.ops) == []
    await world.declare("sev3 search-slow")  # without the type, stakeholders hear of it
    assert any("INC-2" in line for line in world.posted(world.ops))
