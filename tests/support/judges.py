"""Judges for tests that call the use cases directly: the shipped default policy (what
every story ran under before policies existed), compiled once per set of approvers."""

import functools

from bot.authz.judge import PolicyJudge
from bot.authz.policy_files import compile_policy


@functools.cache
def default_judge(approvers: tuple[str, ...] = ()) -> PolicyJudge:
    return PolicyJudge(compile_policy(None, list(approvers)), approvers=approvers)
