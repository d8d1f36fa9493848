from dataclasses import dataclass, field

from bot.catalog.library import Catalog
from bot.config import Settings
from bot.domain.authz import Judge
from bot.domain.policy import Policy
from bot.oncall import OnCall
from bot.runbooks.library import Library
from bot.services.exporter import Exporter
from bot.storage.store import Store


@dataclass
class Deps:
    """What listeners need from the middle of the bot."""

    settings: Settings
    store: Store
    exporter: Exporter
    policy: Policy
    library: Library
    judge: Judge
    catalog: Catalog = field(default_factory=Catalog)
    # Who is on call, from PagerDuty; None without PAGERDUTY_API_TOKEN.
    oncall: OnCall | None = None
