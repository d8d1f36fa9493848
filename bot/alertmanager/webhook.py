"""`POST /alerts/alertmanager`: record the delivery, then answer (200 only once committed)."""

import hashlib
import hmac
import logging
from collections import Counter
from collections.abc import Iterator, Mapping

from aiohttp import web
from prometheus_client.metrics_core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.alertmanager.payload import BadPayload, parse
from bot.catalog.library import Catalog
from bot.catalog.model import Service
from bot.domain.alerts import AlertGroup
from bot.domain.authz import Denied, Judge
from bot.domain.errors import DuplicateDelivery
from bot.domain.policy import Policy
from bot.runbooks.library import Library
from bot.services import alerts
from bot.storage.store import Store

log = logging.getLogger(__name__)
PATH = "/alerts/alertmanager"
MAX_BODY = 1024 * 1024  # bytes; Alertmanager caps a group far below this


class AlertWebhook(Collector):
    """The route, and its tally read at scrape time."""

    def __init__(self, *, store: Store, token: str | None, severities: Mapping[str, int],
                 policy: Policy, library: Library, judge: Judge, catalog: Catalog | None = None,
                 service_label: str = "service", find_oncall: bool = False) -> None:
        self.store, self.token, self.severities = store, token, severities
        self.policy, self.library, self.judge = policy, library, judge
        self.catalog, self.service_label = catalog or Catalog(), service_label
        self.find_oncall = find_oncall
        self.received = 0  # alerts in recorded deliveries
        self.opened = 0  # incidents opened by a delivery
        self.refused: Counter[str] = Counter()  # deliveries answered with an error, by reason

    def _services(self, group: AlertGroup) -> list[Service]:
        """The catalog's services its alerts name by ALERT_SERVICE_LABEL (a name or an alias);
        a value the catalog does not know ties nothing."""
        values = {alert.labels.get(self.service_label) for alert in group.alerts}
        values.add(group.common_labels.get(self.service_label))
        found = (self.catalog.find(value) for value in sorted(v for v in values if v))
        return list(dict.fromkeys(service for service in found if service is not None))

    def collect(self) -> Iterator[Metric]:
        received = CounterMetricFamily("incident_bot_alerts_received",
                                       "Alerts in alert webhook deliveries recorded")
        received.add_metric([], self.received)
        opened = CounterMetricFamily("incident_bot_alert_incidents_opened",
                                     "Incidents opened by an alert webhook delivery")
        opened.add_metric([], self.opened)
        refused = CounterMetricFamily("incident_bot_alert_deliveries_refused",
                                      "Alert webhook deliveries refused, by reason",
                                      labels=["reason"])
        for reason, count in sorted(self.refused.items()):
            refused.add_metric([reason], count)
        yield from (received, opened, refused)

    def _refuse(self, status: int, reason: str, message: str) -> web.Response:
        self.refused[reason] += 1
        return web.json_response({"ok": False, "error": message}, status=status)

    def _authorized(self, request: web.Request) -> bool:
        assert self.token
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), self.token.encode())

    async def _body(self, request: web.Request) -> bytes | None:
        """The body, or None when it is larger than MAX_BODY (declared or actual)."""
        if request.content_length is not None and request.content_length > MAX_BODY:
            return None
        body = await request.content.read(MAX_BODY + 1)
        return None if len(body) > MAX_BODY else body

    async def handle(self, request: web.Request) -> web.Response:
        if not self.token:
            # 503, not 404: Alertmanager retries a 5xx, so alerts sent before the token is
            # configured still arrive once it is.
            return self._refuse(503, "disabled", "alerts are not accepted: ALERT_WEBHOOK_TOKEN "
                                                 "is not set on the bot")
        if not self._authorized(request):
            return self._refuse(401, "unauthorized", "missing or wrong bearer token")
        body = await self._body(request)
        if body is None:
            return self._refuse(413, "too_large", f"the body is larger than {MAX_BODY} bytes")
        try:
            group = parse(body)
        except BadPayload as error:
            return self._refuse(400, "malformed", str(error))
        try:
            received = await alerts.receive(
                self.store, group=group, body_sha256=hashlib.sha256(body).hexdigest(),
                severities=self.severities, policy=self.policy, library=self.library,
                judge=self.judge, services=self._services(group), find_oncall=self.find_oncall)
        except DuplicateDelivery:
            return web.json_response({"ok": True, "recorded": "already"})
        except Denied as denied:
            # 403 and not 5xx: sending it again would be refused again.
            return self._refuse(403, "denied", f"the incident policy refused: {denied.reason}")
        except Exception:
            log.exception("alert delivery for group %r not recorded", group.group_key)
            return self._refuse(500, "failed", "the delivery could not be recorded; send it again")
        self.received += len(group.alerts)
        self.opened += received.opened
        answer: dict[str, object] = {"ok": True, "recorded": "now", "opened": received.opened,
                                     "firing": received.firing, "resolved": received.resolved}
        if received.incident_id is not None:
            answer["incident"] = f"INC-{received.incident_id}"
        return web.json_response(answer)
