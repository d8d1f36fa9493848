"""`incident-bot demo`: a whole incident against the stand-ins, as a newcomer first sees it,
and the command line tried on what it left, as its last lines suggest."""

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings
from bot.demo import MARK, DemoError, fresh_folder

CLI = [sys.executable, "-m", "bot"]


def environment(**extra: str) -> dict[str, str]:
    """This machine's environment without any of the bot's settings: a newcomer's shell."""
    settings = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k.upper() not in settings}
    env.update(extra)
    return env


class Played:
    def __init__(self, folder: Path, output: str) -> None:
        self.folder, self.output = folder, output
        self.said = output.splitlines()

    def after(self, heading: str) -> list[str]:
        """The indented lines under a heading the demo printed."""
        start = self.said.index(heading) + 1
        lines = []
        for line in self.said[start:]:
            if not line.startswith("  "):
                break
            lines.append(line.strip())
        return lines

    @property
    def export(self) -> Path:
        where = dict(line.split(None, 1) for line in self.after(
            "The demo left its files in incident-bot-demo/ (emptied when the demo runs again):"))
        return self.folder / where["export"]


@pytest.fixture(scope="module")
def played(tmp_path_factory) -> Played:
    """`incident-bot demo` run once from an empty folder, as a newcomer would."""
    cwd = tmp_path_factory.mktemp("newcomer")
    done = subprocess.run([*CLI, "demo"], cwd=cwd, env=environment(), capture_output=True,
                          text=True, timeout=180, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return Played(cwd, done.stdout)


def test_the_demo_opens_from_an_alert_escalates_and_an_approver_decides_from_a_dm(played):
    said, shown = played.said, played.output
    assert said[0].startswith("A SEV1 from alert to committed postmortem") and said[1] == ""
    assert said[2] == ("Alertmanager > POST /alerts/alertmanager DbOutage (critical): "
                       "HTTP 200, opened INC-1")
    # The alert names its service: the owning team and who is on call are brought in.
    assert said[3].startswith("   bot > #inc-1-db-outage: :fire: Alert firing: *DbOutage*")
    assert "tied the incident to *orders-db*. Its team @dba is invited." in said[4]
    assert said[5].endswith("On call for *orders-db*: @erin, invited.")
    assert "joins #inc-1-db-outage" in said[6]
    assert "services: [orders-db]" in said
    # The action item became an issue in the team's repository.
    assert any(line.endswith("Action item #1 is GitHub issue #1: Alert on idle-in-transaction "
                             "sessions") for line in said)
    assert "Not acknowledged* within 2s: escalated" in shown
    assert "PagerDuty < trigger INC-1" in shown and "PagerDuty < acknowledge INC-1" in shown
    assert "PagerDuty < resolve INC-1" in shown
    assert "DM to carol:" in shown
    assert "dave clicks [Approve] in his DM" in shown
    assert "was approved by dave" in shown
    assert "alice pins it with :pushpin:" in shown and "to the timeline" in shown
    text = played.export.read_text()
    assert "| escalated |" in text and "| access_approved |" in text and "| alert_firing |" in text
    assert "batch worker on app-7 holds 80 transactions open" in text  # the pinned message
    assert "\ndetected: 20" in text
    # The root cause added the morning after landed in the committed draft.
    assert "its retry loop opened a transaction per attempt" in text
    assert "draft updated" in shown
    commits = played.after("git log in incident-bot-demo/record:")
    assert len(commits) == 2 and all("INC-1: postmortem draft (db-outage)" in c for c in commits)
    assert text.rstrip("\n").split("\n")[-1].startswith("timeline-sha256: ")


def test_each_click_names_its_step_and_people_are_shown_by_name(played):
    shown = played.output
    assert "bob clicks [Start] on step 1: Confirm the alert" in shown
    assert "bob clicks [Done] on step 2: Find who holds the connections" in shown
    assert "bob clicks [Request access] on step 4: Terminate idle-in-transaction sessions" in shown
    assert "alice > /incident commander @bob\n" in shown
    assert "@bob is now the incident commander." in shown
    assert "DM to @carol" in shown and "INC-1 (#inc-1-db-outage)" in shown
    assert "<@" not in shown and "<#" not in shown and "|a message>" not in shown


def test_the_export_is_shown_for_people_and_its_hashed_events_are_summed_up(played):
    said = played.said
    assert ("- [ ] Alert on idle-in-transaction sessions @carol "
            "([#1](https://github.com/acme/ops/issues/1))") in said
    assert "<!-- 30 events in the form their hashes were computed from, for `incident-bot verify` -->" in said
    assert not any(line.startswith('{"action":') for line in said)


def test_the_three_commands_it_ends_with_work_on_what_it_left(played):
    export_line, *commands = played.after("Try next, from this folder:")
    assert export_line.startswith("export ") and len(commands) == 3
    settings = dict(pair.split("=", 1) for pair in shlex.split(export_line)[1:])
    assert set(settings) == {"DATABASE_URL", "EXPORT_DIR"}
    # verify INC-<n> finds the export too, with the same two settings.
    commands.append("incident-bot verify INC-1")
    running = {}
    for command in commands:
        program, *args = shlex.split(command)
        assert program == "incident-bot"
        running[command] = subprocess.Popen([*CLI, *args], cwd=played.folder,
                                            env=environment(**settings), text=True,
                                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    outputs = []
    for command, process in running.items():
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, f"{command}: {out}{err}"
        outputs.append(out)
    listed, verified, stats, verified_by_id = outputs
    assert [c.split()[1] for c in commands] == ["list", "verify", "stats", "verify"]
    assert "INC-1" in listed and "Primary database refuses connections" in listed
    assert "chain intact" in verified and "timeline rows match" in verified
    assert stats.splitlines()[-1].split()[:3] == ["all", "all", "1"]
    assert "INC-1: matches" in verified_by_id


def test_the_demo_keeps_one_folder_and_empties_what_its_last_run_left(tmp_path):
    folder = tmp_path / "incident-bot-demo"
    fresh_folder(folder)
    (folder / "incident-bot.db").write_text("the last run's database")
    fresh_folder(folder)
    assert [p.name for p in folder.iterdir()] == [MARK]


def test_a_folder_of_that_name_the_demo_did_not_make_is_left_alone(tmp_path):
    folder = tmp_path / "incident-bot-demo"
    folder.mkdir()
    (folder / "notes.md").write_text("mine")
    with pytest.raises(DemoError, match="was not made by the demo"):
        fresh_folder(folder)
    assert (folder / "notes.md").read_text() == "mine"


def test_a_folder_the_demo_cannot_write_in_is_said_in_one_line(tmp_path):
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")
    with pytest.raises(DemoError, match="run the demo from a folder you can write to"):
        fresh_folder(not_a_folder / "incident-bot-demo")
