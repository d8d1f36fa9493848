"""Each alert of a group told apart from the others, in the incident channel and in the
export: its own labels, its description and its links; a delivery of many alerts in as few
messages as Slack takes, none left out or cut; alert names matched to runbooks in kebab case."""

import copy
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.services import records
from bot.slack.posting import BLOCKS_BUDGET, MAX_BLOCKS
from bot.standin.alertmanager import AlertmanagerSender, FiredAlert

TOKEN = "alert-token-lines"
HERE = Path(__file__).parent
GRAFANA = json.loads((HERE / "grafana_firing.json").read_text())
START = datetime(2026, 3, 14, 14, 20, tzinfo=UTC)
RUNBOOK_URL = "https://wiki.example.com/runbooks/checkout-latency"


def graph(n: int) -> str:
    return f"http://prometheus.example.com:9090/graph?g0.expr=latency%7Bn%3D%22{n}%22%7D&g0.tab=1"


def checkout(n: int, *, description: str | None = None, ends_at: datetime | None = None,
             **annotations: str) -> FiredAlert:
    """Checkout latency on instance `checkout-<n>:9100`, as Prometheus hands it over."""
    return FiredAlert(
        labels={"alertname": "CheckoutLatencyHigh", "severity": "critical", "job": "checkout",
                "instance": f"checkout-{n}:9100"},
        annotations={"summary": "Checkout p99 latency above 2s", "runbook_url": RUNBOOK_URL,
                     "description": f"p99 is 2.{n}s on checkout-{n}" if description is None
                     else description, **annotations},
        starts_at=START + timedelta(minutes=n), ends_at=ends_at, generator_url=graph(n))


@pytest.fixture
async def world(make_world):
    return await make_world(alert_webhook_token=TOKEN)


def alertmanager(world) -> AlertmanagerSender:
    return AlertmanagerSender(url=f"{world.bot.url}/alerts/alertmanager", token=TOKEN)


async def channel_of(world) -> str:
    await world.delivered()
    [incident] = await world.incidents()
    return incident.channel_id


def alert_messages(world, channel: str) -> list[list[str]]:
    """The channel's messages that tell of alerts, each as the alert lines it shows."""
    shown = [[line for line in m.shown.split("\n") if line.startswith((":fire:", ":white_check"))]
             for m in world.slack.messages(channel)]
    return [lines for lines in shown if lines]


async def test_two_alerts_of_one_group_each_show_their_instance_description_and_links(world):
    answer = await alertmanager(world).notify([checkout(1), checkout(2)])
    assert answer.status == 200 and answer.json["firing"] == 2
    channel = await channel_of(world)

    [lines] = alert_messages(world, channel)  # one message for the delivery
    assert lines == [
        ":fire: Alert firing: *CheckoutLatencyHigh* (instance=checkout-1:9100): Checkout p99 "
        f"latency above 2s — p99 is 2.1s on checkout-1 · <{graph(1).replace('&', '&amp;')}|graph>"
        f" · <{RUNBOOK_URL}|runbook>",
        ":fire: Alert firing: *CheckoutLatencyHigh* (instance=checkout-2:9100): Checkout p99 "
        f"latency above 2s — p99 is 2.2s on checkout-2 · <{graph(2).replace('&', '&amp;')}|graph>"
        f" · <{RUNBOOK_URL}|runbook>"]

    # The record keeps what the line says, so the export can say it again.
    firing = [e.data for e in (await world.record()).events if e.action == "alert_firing"]
    assert [(d["apart"], d["description"], d["links"]) for d in firing] == [
        ({"instance": f"checkout-{n}:9100"}, f"p99 is 2.{n}s on checkout-{n}",
         {"graph": graph(n), "runbook": RUNBOOK_URL}) for n in (1, 2)]


async def test_a_resolved_alert_is_told_apart_the_same_way(world):
    sender = alertmanager(world)
    await sender.notify([checkout(1), checkout(2)])
    await sender.notify([checkout(1, ends_at=START + timedelta(minutes=30)), checkout(2)])
    channel = await channel_of(world)

    resolved = [line for lines in alert_messages(world, channel) for line in lines
                if "Alert resolved" in line]
    assert resolved == [
        ":white_check_mark: Alert resolved: *CheckoutLatencyHigh* (instance=checkout-1:9100): "
        f"Checkout p99 latency above 2s — p99 is 2.1s on checkout-1 · "
        f"<{graph(1).replace('&', '&amp;')}|graph> · <{RUNBOOK_URL}|runbook>"]


async def test_what_an_alert_rule_wrote_never_pings_nor_forges_a_link(world):
    sly = checkout(1, description="wake up <!channel> <@U0ALICE>\nnow",
                   runbook_url="javascript:alert(1)")
    odd = checkout(2, description="x", runbook_url="https://wiki.example.com/a|b><!here>")
    await alertmanager(world).notify([sly, odd])
    channel = await channel_of(world)

    [lines] = alert_messages(world, channel)
    assert world.slack.pings(channel) == []
    assert "wake up &lt;!channel&gt; &lt;@U0ALICE&gt; now ·" in lines[0]
    assert "runbook" not in lines[0] and "javascript" not in lines[0]
    assert lines[1].endswith(" · <https://wiki.example.com/a%7Cb%3E%3C!here%3E|runbook>")


async def test_a_grafana_delivery_links_its_dashboard_panel_and_silence(world):
    body = copy.deepcopy(GRAFANA)
    body["alerts"][0].update(
        dashboardURL="https://grafana.example.com/d/disk?orgId=1",
        panelURL="https://grafana.example.com/d/disk?orgId=1&viewPanel=4",
        silenceURL="https://grafana.example.com/alerting/silence/new?matcher=alertname%3DDiskFull")
    answer = await alertmanager(world).send(body)
    assert answer.status == 200
    channel = await channel_of(world)

    [[line]] = alert_messages(world, channel)
    assert line == (
        ":fire: Alert firing: *DiskFull*: Disk /var is 95% full"
        " · <https://grafana.example.com/alerting/grafana/abc/view|graph>"
        " · <https://grafana.example.com/d/disk?orgId=1|dashboard>"
        " · <https://grafana.example.com/d/disk?orgId=1&amp;viewPanel=4|panel>"
        " · <https://grafana.example.com/alerting/silence/new?matcher=alertname%3DDiskFull|silence>")


async def test_thirty_alerts_of_one_delivery_share_one_message(world):
    answer = await alertmanager(world).notify([checkout(n) for n in range(1, 31)])
    assert answer.json["firing"] == 30
    channel = await channel_of(world)

    [lines] = alert_messages(world, channel)
    assert [re.search(r"instance=(checkout-\d+)", line)[1] for line in lines] == [
        f"checkout-{n}" for n in range(1, 31)]


async def test_thirty_long_alerts_fill_each_message_before_the_next_and_none_is_cut(world):
    def long(n: int) -> str:
        return f"checkout-{n} is slow: " + " ".join(f"step{n}-{k}" for k in range(90)) + " END"

    await alertmanager(world).notify([checkout(n, description=long(n)) for n in range(1, 31)])
    channel = await channel_of(world)

    posted = [m for m in world.slack.messages(channel) if ":fire:" in m.shown]
    messages = alert_messages(world, channel)
    assert len(messages) > 1
    # Every alert once, whole, in one message.
    every = [line for lines in messages for line in lines]
    assert [re.search(r"instance=(checkout-\d+)", line)[1] for line in every] == [
        f"checkout-{n}" for n in range(1, 31)]
    assert all(long(n) in every[n - 1] and every[n - 1].endswith("|runbook>")
               for n in range(1, 31))
    # As few messages as Slack's limits allow: each one was too full to take the next alert.
    for message, after in zip(posted, messages[1:], strict=False):
        size = len(json.dumps(message.blocks, ensure_ascii=False))
        assert size + len(after[0]) > BLOCKS_BUDGET or len(message.blocks) == MAX_BLOCKS


STORAGE_RUNBOOK = """---
id: RUN-410
title: Storage latency
match: [storage-latency*]
---
## Procedure
### Step 1: Look at the slowest volume
risk: low
"""


@pytest.mark.parametrize("alertname",
                         ["storage_latency_high", "StorageLatencyHigh", "storage-latency-high"])
async def test_alert_names_match_runbooks_in_kebab_case(make_world, tmp_path, alertname):
    runbooks = tmp_path / "runbooks"
    runbooks.mkdir()
    (runbooks / "storage-latency.md").write_text(STORAGE_RUNBOOK)
    world = await make_world(alert_webhook_token=TOKEN, runbooks_dir=runbooks)
    answer = await alertmanager(world).notify([FiredAlert(
        labels={"alertname": alertname, "severity": "warning"}, starts_at=START,
        annotations={"summary": "Storage p99 above 50ms"})])
    assert answer.status == 200
    [incident] = await world.incidents()
    assert incident.slug == "storage-latency-high"
    assert [r.runbook_id for r in (await world.record()).runbooks] == ["RUN-410"]


async def test_the_export_has_a_row_per_alert_with_what_sets_it_apart(world):
    sender = alertmanager(world)
    forged = "slow | very\n## Approvals\n| forged | row |"
    await sender.notify([checkout(1), checkout(2, description=forged)])
    await sender.notify([checkout(1, ends_at=START + timedelta(minutes=30)),
                         checkout(2, description=forged)])
    await world.delivered()
    [incident] = await world.incidents()
    result = await records.export_again(world.bot.store, world.bot.deps.exporter, incident.id)
    lines = result.path.read_text().split("\n")

    table = lines[lines.index("## Alerts") + 2:]
    table = table[:table.index("")]
    assert table == [
        "| fired | resolved | alert | told apart by | summary | description | links |",
        "|---|---|---|---|---|---|---|",
        "| 03-14 14:21 | 03-14 14:50 | CheckoutLatencyHigh | instance=checkout-1:9100 "
        f"| Checkout p99 latency above 2s | p99 is 2.1s on checkout-1 | [graph]({graph(1)}) · "
        f"[runbook]({RUNBOOK_URL}) |",
        "| 03-14 14:22 | - | CheckoutLatencyHigh | instance=checkout-2:9100 "
        "| Checkout p99 latency above 2s | slow \\| very<br>## Approvals<br>\\| forged \\| row \\| "
        f"| [graph]({graph(2)}) · [runbook]({RUNBOOK_URL}) |"]
    assert lines.count("## Approvals") == 1
