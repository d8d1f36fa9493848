"""A refusal of the incident policy changes nothing and is kept once, whatever path the
action took: alone, or stored together with other people's lines in one transaction."""

import asyncio
from dataclasses import replace

import pytest

from bot.domain.authz import Action, Decision, Denied, Question
from bot.services import incidents
from tests.services.support import by, open_incident


class NoLogsFrom:
    """A policy that refuses one person's log lines and allows everything else."""

    reads: frozenset[str] = frozenset()

    def __init__(self, user: str) -> None:
        self.user = user

    async def decide(self, question: Question) -> Decision:
        if question.action is Action.LOG and question.user.id == self.user:
            return Decision(False, "Mallory may not log here.")
        return Decision(True)


async def test_a_refused_line_among_others_stored_together_is_kept_once(store):
    incident_id = await open_incident(store)
    judge = NoLogsFrom("U0MALLORY")
    callers = [replace(by(user), judge=judge) for user in ("U0BOB", "U0MALLORY", "U0CAROL")]

    outcomes = await asyncio.gather(
        *(incidents.log(store, caller=caller, text=f"line by {caller.user_id}")
          for caller in callers), return_exceptions=True)

    assert [type(o).__name__ for o in outcomes] == ["NoneType", "Denied", "NoneType"]
    async with store.reading() as tx:
        logged = [e.details for e in await tx.events(incident_id) if e.action == "log"]
        kept = await tx.denials()
    assert sorted(logged) == ["line by U0BOB", "line by U0CAROL"]
    assert [(d.user_id, d.action, d.reason) for d in kept] == [
        ("U0MALLORY", "log", "Mallory may not log here.")]


async def test_the_same_refused_delivery_again_is_kept_once(store):
    await open_incident(store)
    mallory = replace(by("U0MALLORY"), judge=NoLogsFrom("U0MALLORY"))

    for _ in range(2):  # Slack delivering the same command twice
        with pytest.raises(Denied):
            await incidents.log(store, caller=mallory, text="again")

    async with store.reading() as tx:
        assert len(await tx.denials()) == 1
