"""Owed to systems other than Slack: PagerDuty and the public status page."""

from dataclasses import dataclass

from bot.domain.notices.base import IncidentNotice


@dataclass(frozen=True, kw_only=True)
class PagerDutyEvent(IncidentNotice):
    """A trigger, acknowledge or resolve of the incident's alert on `service` ("" for
    PAGERDUTY_ROUTING_KEY). One lane per incident keeps them in order."""

    KIND = "pagerduty"
    LANE = ":pagerduty"
    action: str
    service: str = ""
    message: str = ""
    reason: str = ""
    by: str = ""


@dataclass(frozen=True, kw_only=True)
class StatuspagePublish(IncidentNotice):
    """A public update (the first one opens the public incident), in order, in its own lane."""

    KIND = "statuspage"
    LANE = ":statuspage"
    status: str
    text: str
