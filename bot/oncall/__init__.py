"""Who is on call for a service's escalation policy."""

from bot.oncall.pagerduty import Busy, OnCall, OnCallPerson, Refused
from bot.org_settings import OrgSettings
from bot.outbound.metrics import OutboundCalls

__all__ = ["Busy", "OnCall", "OnCallPerson", "Refused", "oncall_of"]


def oncall_of(settings: OrgSettings, calls: OutboundCalls | None = None) -> OnCall | None:
    """The on-call lookup, or None when `PAGERDUTY_API_TOKEN` is not set."""
    if not settings.pagerduty_api_token:
        return None
    return OnCall(token=settings.pagerduty_api_token, url=settings.pagerduty_api_url, calls=calls)
