from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.channel_names import MAX_LENGTH, channel_name, normalize_slug
from bot.domain.durations import format_duration, parse_duration
from bot.domain.errors import IncidentError
from bot.domain.incident import Incident
from bot.domain.lifecycle import Status, check_transition, parse_status
from bot.domain.severity import parse_severity

SLACK_NAME = set("abcdefghijklmnopqrstuvwxyz0123456789-_")


@pytest.mark.parametrize(("text", "expected"), [
    ("30s", timedelta(seconds=30)), ("15m", timedelta(minutes=15)), ("2h", timedelta(hours=2)),
    ("1d", timedelta(days=1)), ("1h30m", timedelta(minutes=90)), ("1H", timedelta(hours=1)),
])
def test_durations_people_type_are_understood(text, expected):
    assert parse_duration(text) == expected
    assert parse_duration(format_duration(expected)) == expected


@pytest.mark.parametrize("text", ["", "15", "m", "1x", "1h 30m", "-5m", "0s", "1.5h", "h1"])
def test_anything_else_is_not_a_duration(text):
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize(("text", "level"), [("sev1", 1), ("SEV4", 4), ("p2", 2), ("P3", 3),
                                             ("Sev-2", 2)])
def test_severities_in_either_house_style(text, level):
    assert parse_severity(text) == level


@pytest.mark.parametrize("text", ["sev0", "sev5", "p", "critical", "1"])
def test_unknown_severities_are_refused(text):
    with pytest.raises(ValueError):
        parse_severity(text)


def test_moving_forward_and_skipping_ahead_need_no_reason():
    check_transition(Status.NEW, Status.ACKNOWLEDGED, "")
    check_transition(Status.NEW, Status.MONITORING, "")


def test_going_back_needs_a_rationale():
    with pytest.raises(IncidentError, match="needs a rationale"):
        check_transition(Status.MONITORING, Status.MITIGATING, "")
    check_transition(Status.MONITORING, Status.MITIGATING, "errors came back")


def test_staying_put_is_not_a_transition():
    with pytest.raises(IncidentError, match="already mitigating"):
        check_transition(Status.MITIGATING, Status.MITIGATING, "")


def test_nobody_sets_an_incident_back_to_new():
    with pytest.raises(ValueError):
        parse_status("new")


def test_milestones_are_stamped_when_first_reached_and_cleared_on_reopen():
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    incident = Incident(id=1, slug="x", title="x", severity=1, declared_at=t0, declared_by="U1")
    incident.move_to(Status.MONITORING, t0 + timedelta(minutes=5))
    assert incident.acknowledged_at == incident.mitigated_at == t0 + timedelta(minutes=5)
    incident.move_to(Status.RESOLVED, t0 + timedelta(minutes=9))
    assert incident.resolved_at == t0 + timedelta(minutes=9)
    incident.move_to(Status.MITIGATING, t0 + timedelta(minutes=12))
    assert incident.resolved_at is None and incident.mitigated_at is None
    assert incident.acknowledged_at == t0 + timedelta(minutes=5)


def test_channel_name_keeps_the_id_and_cuts_only_the_slug():
    slug = "a" * 85
    name = channel_name(12, slug)
    assert name.startswith("inc-12-") and len(name) == MAX_LENGTH
    assert channel_name(12, slug, attempt=3).endswith("-3")
    assert len(channel_name(12, slug, attempt=3)) == MAX_LENGTH


@given(st.text(max_size=120), st.integers(min_value=1, max_value=10**6),
       st.integers(min_value=1, max_value=50))
def test_every_channel_name_is_one_slack_accepts(text, number, attempt):
    slug = normalize_slug(text) or "x"
    name = channel_name(number, slug, attempt)
    assert len(name) <= MAX_LENGTH
    assert set(name) <= SLACK_NAME
    assert name.startswith(f"inc-{number}-")


def test_slugs_are_made_slack_safe():
    assert normalize_slug("DB.Outage  EU!") == "db-outage-eu"
    assert normalize_slug("---") == ""
