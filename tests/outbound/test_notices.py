"""Every kind of notice is stored and read back as itself, has a delivery, and, when it is a line
said in Slack, a renderer; a row that fits no kind is refused as such."""

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bot.export.deliveries
import bot.oncall.deliveries
import bot.paging.deliveries
import bot.slack.deliveries
import bot.statuspage.deliveries
import bot.tickets.deliveries
from bot.domain import notices as n
from bot.outbound.codec import TooNew, Unreadable, decode
from bot.outbound.registry import Registry
from bot.slack.deliveries.workspace import Workspace
from bot.slack.render.announced import ANNOUNCED
from bot.slack.render.messages import message
from bot.slack.render.said import renders

KINDS = sorted(n.KINDS.values(), key=lambda kind: kind.KIND)
LINES = [kind for kind in KINDS if issubclass(kind, n.ChannelLine | n.DirectMessage)]
ANNOUNCEMENTS = [kind for kind in KINDS if issubclass(kind, n.Announcement | n.ToExecutives)]
# Stored as JSON: text without lone surrogates, times to the microsecond, with or without a zone.
st.register_type_strategy(str, st.text(st.characters(exclude_categories=["Cs"]), max_size=20))
st.register_type_strategy(datetime, st.datetimes(timezones=st.sampled_from([None, UTC])))


def wired() -> Registry:
    registry = Registry()
    bot.slack.deliveries.register(registry, Workspace(store=None, api=None))
    bot.paging.deliveries.register(registry, store=None, pager=None)
    bot.statuspage.deliveries.register(registry, store=None, statuspage=None)
    bot.export.deliveries.register(registry, store=None, git=None)
    bot.oncall.deliveries.register(registry, store=None, oncall=None)
    bot.tickets.deliveries.register(registry, store=None, tracker=None)
    return registry


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.KIND)
def test_every_kind_has_a_delivery(kind):
    assert wired().delivery(kind) is not None


@pytest.mark.parametrize("kind", LINES, ids=lambda kind: kind.KIND)
def test_every_line_said_in_slack_has_a_renderer(kind):
    assert renders(kind)


@pytest.mark.parametrize("kind", ANNOUNCEMENTS, ids=lambda kind: kind.KIND)
def test_every_line_said_in_the_workspaces_channels_has_a_renderer(kind):
    assert kind in ANNOUNCED


@given(st.sampled_from(KINDS).flatmap(st.from_type))
def test_a_notice_is_read_back_from_its_row_as_itself(notice):
    row = notice.payload
    assert row["v"] == notice.VERSION
    assert decode(notice.kind, row, notice.lane) == notice


@given(st.sampled_from(LINES).flatmap(st.from_type))
def test_every_line_renders_whatever_it_says(notice):
    text, blocks = message(notice, {})
    assert text and (blocks is None or blocks[-1]["type"] == "actions")


def test_a_row_missing_a_field_is_unreadable():
    with pytest.raises(Unreadable, match="text"):
        decode("log", {"v": 2, "incident_id": 1, "user": "U1", "at": "2026-12-06T10:00:00"},
               "INC-1")


def test_an_unversioned_row_of_the_release_before_is_read_as_the_notice_it_was():
    assert decode("announce", {"message": "closed", "user": "U1"}, "INC-4") == \
        n.AnnounceStatus(incident_id=4, user="U1", status="closed")
    assert decode("statuspage_resolve_offer", {"incident": 4, "status": "monitoring"},
                  "INC-4") == n.StatuspageResolveOffer(incident_id=4, status="monitoring")
    assert decode("lookup_user", {"user": "U1"}, "user:U1") == n.LookupUser(user="U1")


def test_a_row_of_a_newer_release_is_left_for_it():
    """A kind this release does not know, or a version above its own."""
    with pytest.raises(TooNew):
        decode("carrier_pigeon", {"v": 2}, "INC-1")
    with pytest.raises(TooNew):
        decode("log", {"v": n.Logged.VERSION + 1, "incident_id": 1, "user": "U1", "text": "x",
                       "at": "2026-12-06T10:00:00"}, "INC-1")
