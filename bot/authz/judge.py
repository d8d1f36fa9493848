"""The judge every action asks: the policy in force (embedded Rego, or an OPA server), fed
the person's Slack user groups and approver flag. Whatever goes wrong on the way to an
answer is a refusal that says why, never an allowance: the policy fails closed."""

import logging
from collections.abc import Awaitable, Callable, Collection
from typing import Protocol

from bot.authz.engine import PolicyError
from bot.domain.authz import Decision, Question, default_reason

log = logging.getLogger(__name__)


class Unreadable(Exception):
    """The person's user groups could not be read; the message says why."""


class Evaluator(Protocol):
    # Which parts of the input the policy reads at all ("groups", "roles", "member"): the
    # rest is never worked out for it.
    reads: frozenset[str]

    async def evaluate(self, document: dict) -> tuple[bool, str]: ...


GroupsOf = Callable[[str], Awaitable[list[str]]]


class PolicyJudge:
    def __init__(self, policy: Evaluator, *, approvers: Collection[str],
                 groups_of: GroupsOf | None = None) -> None:
        self.policy = policy
        self.reads = policy.reads
        self._approvers = frozenset(approvers)
        self._groups_of = groups_of

    async def decide(self, question: Question) -> Decision:
        groups: list[str] = []
        if "groups" in self.reads:
            try:
                if self._groups_of is None:
                    raise Unreadable("the bot has no way to read them here")
                groups = await self._groups_of(question.user.id)
            except Unreadable as error:
                return Decision(False, f"Your Slack user groups could not be read ({error}), "
                                       "and the incident policy needs them: nothing was "
                                       "changed. Try again in a minute.")
        document = question.document(groups, approver=question.user.id in self._approvers)
        try:
            allow, reason = await self.policy.evaluate(document)
        except PolicyError as error:
            log.error("policy failed on %s by %s: %s", question.action, question.user.id, error)
            return Decision(False, f"The incident policy could not decide ({error}): nothing "
                                   "was changed. Tell the bot's operators.")
        return Decision(allow, reason or ("" if allow else default_reason(question.action)))
