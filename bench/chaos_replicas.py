"""Two serve replicas behind a load balancer, for bench/chaos.py: each started again under its
name after a kill, and a line sent to the next one up, as a balancer sends it."""

import asyncio
from collections.abc import Sequence
from pathlib import Path

from chaos_figures import Line
from load import Served, answer_text, sender_for, spawn, stop

from bot.standin.slack_api import FakeSlackAPI
from bot.standin.slack_sender import SlackSender

SEND_TIMEOUT = 10.0


class Replica:
    """One serve process, started again under the same name after each kill."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], workdir: Path,
                 slack: FakeSlackAPI) -> None:
        self.name, self.argv, self.env, self.workdir, self.slack = name, argv, env, workdir, slack
        self.served: Served | None = None
        self.sender: SlackSender | None = None
        self.starts = 0

    @property
    def up(self) -> bool:
        return self.served is not None and self.served.process.returncode is None

    async def start(self) -> None:
        self.starts += 1
        # A log per start: a kill leaves the last one as it was.
        self.served = await spawn(f"{self.name}-{self.starts:02d}", self.argv, self.env, self.workdir)
        self.sender = sender_for(self.slack, self.served)

    async def kill(self) -> None:
        served, self.served, self.sender = self.served, None, None
        if served is not None and served.process.returncode is None:
            served.process.kill()
            await served.process.wait()

    async def stop(self) -> None:
        if self.served is not None:
            await stop(self.served)


class Balancer:
    """The replicas in turn, passing over one that is down, as a load balancer sends."""

    def __init__(self, replicas: Sequence[Replica]) -> None:
        self.replicas, self.turn = replicas, 0

    def pick(self, passed_over: Replica | None = None) -> Replica | None:
        self.turn += 1
        for k in range(len(self.replicas)):
            replica = self.replicas[(self.turn + k) % len(self.replicas)]
            if replica.up and replica is not passed_over:
                return replica
        return None


async def send_line(balancer: Balancer, line: Line) -> None:
    tried: Replica | None = None
    for _ in range(2):  # refused by one that just went down: the balancer tries the other
        replica = balancer.pick(passed_over=tried)
        sender = replica.sender if replica else None
        if replica is None or sender is None:
            line.answer = "no replica up"
            return
        try:
            line.answer = await asyncio.wait_for(
                answer_text(sender, "/incident", f"log {line.marker}", user=line.user,
                            channel=line.channel), SEND_TIMEOUT)
        except TimeoutError:
            line.answer = f"no answer within {SEND_TIMEOUT:.0f} s"
        if "ClientConnectorError" not in line.answer:
            return
        tried = replica
