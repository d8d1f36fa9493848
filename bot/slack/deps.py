from dataclasses import dataclass

from bot.config import Settings
from bot.domain.authz import Judge
from bot.domain.policy import Policy
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
