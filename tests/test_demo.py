"""`incident-bot demo`: a whole incident against the stand-ins, as a newcomer first sees it."""

from bot.demo import run_demo


async def test_the_demo_opens_from_an_alert_escalates_and_an_approver_decides_from_a_dm():
    said: list[str] = []
    export = await run_demo(said.append)
    shown = "\n".join(said)
    assert said[0].startswith("Alertmanager > POST /alerts/alertmanager")
    assert '"opened": true' in said[0] and "joins #inc-1-db-outage" in said[2]
    assert "Not acknowledged* within 2s: escalated" in shown
    assert "PagerDuty < trigger INC-1" in shown and "PagerDuty < acknowledge INC-1" in shown
    assert "PagerDuty < resolve INC-1" in shown
    assert "DM to carol:" in shown
    assert "dave clicks [Approve] in his DM" in shown
    assert "was approved by dave" in shown
    text = export.read_text()
    assert "| escalated |" in text and "| access_approved |" in text and "| alert_firing |" in text
    assert "\ndetected: 20" in text
    assert text.rstrip("\n").split("\n")[-1].startswith("timeline-sha256: ")
