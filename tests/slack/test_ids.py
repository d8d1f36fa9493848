"""The ids the bot puts on buttons, blocks and forms and the ids its listeners answer to are
the same strings, built and read in one module, and Slack's app manifest names the same ones."""

from pathlib import Path

import pytest
import yaml

from bot.slack import ids

MANIFEST = yaml.safe_load((Path(__file__).resolve().parents[2] / "manifest.yml").read_text())


def test_the_manifest_declares_every_shortcut_and_slash_command_the_bot_answers():
    features = MANIFEST["features"]
    assert sorted(s["callback_id"] for s in features["shortcuts"]) == sorted(ids.SHORTCUTS)
    assert sorted(c["command"] for c in features["slash_commands"]) == sorted(
        [ids.INCIDENT_COMMAND, ids.APPROVE_COMMAND])


def test_buttons_already_posted_in_slack_keep_working():
    # A message posted last week still carries these ids: changing one would leave its
    # buttons answering nothing.
    assert (ids.JOIN, *ids.ACCESS_BUTTONS, ids.STATUSPAGE_RESOLVE, ids.STATUSPAGE_KEEP_OPEN) == (
        "incident_join", "access_approve", "access_deny", "access_extend", "access_revoke",
        "statuspage_resolve", "statuspage_keep_open")
    assert ids.step_action(12, 3, "done") == "step:12:3:done"
    assert ids.abort_action(12) == "runbook:12:abort"
    assert ids.step_failed_callback(12, 3) == "step_failed:12:3"
    assert ids.abort_callback(12) == "runbook_abort:12"
    assert (ids.DECLARE_CALLBACK, ids.UPDATE_CALLBACK) == ("declare_incident", "status_update_form")


@pytest.mark.parametrize("click", ids.STEP_CLICKS)
def test_a_step_button_is_read_back_as_the_click_it_was_built_for(click):
    action_id = ids.step_action(41, 7, click)
    assert ids.STEP_ACTION.match(action_id)
    assert ids.read_step_action(action_id) == ids.StepClick(41, 7, click)


@pytest.mark.parametrize("part", ids.STEP_PARTS)
def test_a_steps_blocks_are_told_apart_from_its_buttons(part):
    block_id = ids.step_block(41, 7, part)
    assert ids.STEP_BLOCK.match(block_id) and not ids.STEP_ACTION.match(block_id)


def test_the_abort_button_and_the_forms_asking_why_name_what_they_are_about():
    assert ids.read_abort_action(ids.abort_action(41)) == 41
    assert ids.read_step_failed_callback(ids.step_failed_callback(41, 7)) == (41, 7)
    assert ids.read_abort_callback(ids.abort_callback(41)) == 41


@pytest.mark.parametrize(("read", "other"), [
    (ids.read_step_action, ids.abort_action(1)),
    (ids.read_step_action, "step:1:2:dance"),
    (ids.read_abort_action, ids.step_action(1, 2, "done")),
    (ids.read_step_failed_callback, ids.abort_callback(1)),
    (ids.read_abort_callback, ids.step_failed_callback(1, 2)),
])
def test_a_reader_refuses_an_id_that_is_not_its_own(read, other):
    with pytest.raises(ValueError):
        read(other)


def test_every_block_id_of_one_message_is_distinct():
    # Slack refuses a message whose block_ids repeat.
    built = [ids.access_block(3), ids.home_access_block("3"), ids.notice_block("access_warning", "3"),
             ids.runbook_controls_block(3), *(ids.step_block(3, 1, part) for part in ids.STEP_PARTS),
             ids.lines_block(3)]
    assert len(set(built)) == len(built)
