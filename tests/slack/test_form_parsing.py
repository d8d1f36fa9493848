"""A submitted form as Slack sends its state → the request it makes, or the errors it shows
under each field while it stays open. Pure: no Slack, no database."""

from datetime import timedelta

import pytest

from bot.slack import ids, parsing


def typed(value: str | None) -> dict:
    return {ids.INPUT: {"type": "plain_text_input", "value": value}}


def picked(value: str) -> dict:
    return {ids.INPUT: {"type": "static_select", "selected_option": {"value": value}}}


def ticked(*values: str) -> dict:
    return {ids.INPUT: {"type": "checkboxes", "selected_options": [{"value": v} for v in values]}}


def test_the_declare_form_makes_a_declare_with_the_options_ticked():
    form = parsing.declare_form({
        ids.SEVERITY_FIELD: picked("sev3"), ids.SLUG_FIELD: typed(" Search Slow "),
        ids.TITLE_FIELD: typed("Search p99 at 4s"), ids.RUNBOOK_FIELD: picked("RUN-101"),
        ids.OPTIONS_FIELD: ticked(ids.DRILL_OPTION)})
    assert form == parsing.DeclareForm(3, "search-slow", "Search p99 at 4s", "RUN-101",
                                       private=False, drill=True)


def test_the_declare_form_names_each_field_to_fix():
    with pytest.raises(parsing.FormErrors) as caught:
        parsing.declare_form({ids.SLUG_FIELD: typed("!!!"), ids.TITLE_FIELD: typed(None)})
    assert set(caught.value.errors) == {ids.SEVERITY_FIELD, ids.SLUG_FIELD}


def test_the_update_form_makes_an_update_with_the_next_one_due():
    form = parsing.update_form({ids.IMPACT_FIELD: typed("EU checkout fails"),
                                ids.DOING_FIELD: typed("rolling back"), ids.NEXT_FIELD: typed("1h30m")})
    assert form == parsing.UpdateForm("EU checkout fails", "rolling back", timedelta(minutes=90), "1h30m")


def test_the_update_form_refuses_blanks_and_a_time_that_is_no_duration():
    with pytest.raises(parsing.FormErrors) as caught:
        parsing.update_form({ids.IMPACT_FIELD: typed("  "), ids.DOING_FIELD: typed("x"),
                             ids.NEXT_FIELD: typed("soon")})
    assert set(caught.value.errors) == {ids.IMPACT_FIELD, ids.NEXT_FIELD}


def test_the_forms_asking_why_read_what_they_are_about_from_their_callback_id():
    state = {ids.REASON_FIELD: typed("permission denied")}
    assert parsing.step_failed_form(ids.step_failed_callback(4, 2), state) == \
        parsing.StepFailedForm(4, 2, "permission denied")
    assert parsing.abort_form(ids.abort_callback(4), state) == parsing.AbortForm(4, "permission denied")


def test_a_reason_of_blanks_only_is_asked_for_again():
    # Slack lets blanks through a required field.
    with pytest.raises(parsing.FormErrors) as caught:
        parsing.abort_form(ids.abort_callback(4), {ids.REASON_FIELD: typed("   ")})
    assert caught.value.errors == {ids.REASON_FIELD: "Say why."}
