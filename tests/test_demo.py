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
    assert "alice pins it with :pushpin:" in shown and "to the timeline" in shown
    text = export.read_text()
    assert "| escalated |" in text and "| access_approved |" in text and "| alert_firing |" in text
    assert "batch worker on app-7 holds 80 transactions open" in text  # the pinned message
    assert "\ndetected: 20" in text
    # The root cause added the morning after landed in the committed draft.
    assert "its retry loop opened a transaction per attempt" in text
    assert "draft updated" in shown
    commits = [line for line in said if line.startswith("  ") and "postmortem draft" in line]
    assert len(commits) == 2 and all("INC-1: postmortem draft (db-outage)" in c for c in commits)
    assert text.rstrip("\n").split("\n")[-1].startswith("timeline-sha256: ")
