"""Catch-up after chaos: replicas killed in turn while Slack fails about one call in four.

    .venv/bin/python bench/chaos.py --database-url postgresql+psycopg://…/empty_db
        [--chaos 60] [--kill-every 8] [--faults-per-second 0.6] [--rate 10] [--incidents 3]
        [--seed 1] [--bot-cwd PATH] [--bot-python PATH]

Two `incident-bot serve` replicas share one PostgreSQL database (reset first) in front of the
Slack Web API stand-in (250 ms an answer; the bots' SLACK_TIMEOUT is 2 s). A few incidents
are declared and their channels opened. Then, for `--chaos` seconds: `/incident log <marker>`
goes out at `--rate` lines a second, to the replicas in turn as a load balancer sends them
(one that is down is passed over; a line is acknowledged when answered "Logged."); every
`--kill-every` seconds one replica, the other one each time, is killed with SIGKILL and
started again at once; and Slack meets about `--faults-per-second` calls a second with a
fault: 503, 429 with Retry-After 1, or a hang past SLACK_TIMEOUT (answered, and landed, 5 s
on). When the chaos is over (faults stopped, both replicas up) the clock runs until every
acknowledged line shows in its channel (240 s at most); a few seconds later the lines shown
twice and those never shown are counted. The replicas' logs tell why the wait was what it
was: how long the deliveries they deferred were put off, and when.

`--bot-cwd` is the checkout whose `bot` package the replicas run (on PYTHONPATH), and
`--bot-python` the interpreter that runs them, so the same bench measures an older checkout.
Everything runs on 127.0.0.1, and everything it started is stopped when it ends.
"""

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import aiohttp
from chaos_figures import FAULTS, Chaos, Line, keep_record, print_channels, print_figures, shown_in
from chaos_logs import print_log_figures
from chaos_outbox import print_owed, read_owed
from chaos_replicas import Balancer, Replica, send_line
from load import (
    REPO,
    USERS,
    Database,
    Notes,
    bot_env,
    new_slack,
    open_incidents,
)
from load.report import shown_command

from bot.standin.slack_api import FakeSlackAPI

LATENCY = 0.25
SLACK_TIMEOUT = 2.0
HANG = SLACK_TIMEOUT + 3.0  # a hung call is answered, and lands, this long after it came
CATCH_UP_LIMIT = 240.0
SETTLE = 5.0  # after the last line shows: time for a late duplicate to show too
POLL = 0.25


@dataclass
class Options:
    database_url: str
    chaos: float
    kill_every: float
    faults_per_second: float
    rate: float
    incidents: int
    seed: int
    bot_cwd: Path
    bot_python: str


def parse_options(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True,
                        help="an empty PostgreSQL database (postgresql+psycopg://…); reset first")
    parser.add_argument("--chaos", type=float, default=60.0, help="seconds of kills and faults")
    parser.add_argument("--kill-every", type=float, default=8.0,
                        help="seconds between SIGKILLs, the replicas in turn")
    parser.add_argument("--faults-per-second", type=float, default=0.6,
                        help="Web API calls a second met with a fault")
    parser.add_argument("--rate", type=float, default=10.0, help="log lines a second, in all")
    parser.add_argument("--incidents", type=int, default=3, help="incident channels logged into")
    parser.add_argument("--seed", type=int, default=1, help="for the faults' kinds and times")
    parser.add_argument("--bot-cwd", type=Path, default=REPO,
                        help="the checkout whose bot package the replicas run (default: this one)")
    parser.add_argument("--bot-python", default=sys.executable,
                        help="the interpreter that runs the replicas (default: this one)")
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgres"):
        parser.error("--database-url is for PostgreSQL: two replicas share it")
    if not (args.bot_cwd / "bot" / "__init__.py").is_file():
        parser.error(f"--bot-cwd {args.bot_cwd}: no bot package there")
    return Options(args.database_url, args.chaos, args.kill_every, args.faults_per_second,
                   args.rate, args.incidents, args.seed, args.bot_cwd.resolve(), args.bot_python)


# the chaos --------------------------------------------------------------------------------------
async def send_load(chaos: Chaos, balancer: Balancer, channels: Sequence[str], rate: float,
                    seconds: float) -> None:
    started, sending = time.monotonic(), set[asyncio.Task[None]]()
    while (at := len(chaos.lines) / rate) < seconds:
        await asyncio.sleep(max(0.0, started + at - time.monotonic()))
        seq = len(chaos.lines)
        line = Line(seq, channels[seq % len(channels)], USERS[seq % len(USERS)][0])
        chaos.lines.append(line)
        sending.add(asyncio.create_task(send_line(balancer, line)))
    await asyncio.gather(*sending)


async def kill_in_turn(chaos: Chaos, replicas: Sequence[Replica], every: float,
                       seconds: float) -> None:
    """SIGKILL one replica, the other one each time, and start it again at once."""
    started = time.monotonic()
    while (at := (len(chaos.killed_at) + 1) * every) < seconds:
        await asyncio.sleep(max(0.0, started + at - time.monotonic()))
        victim = replicas[len(chaos.killed_at) % len(replicas)]
        await victim.kill()
        chaos.killed_at.append(time.time())
        await victim.start()


async def inject_faults(chaos: Chaos, slack: FakeSlackAPI, rng: random.Random, per_second: float,
                        seconds: float) -> None:
    """About `per_second` faults a second, each met by the next Web API call. While no call
    comes, none is added: faults do not pile up to meet a burst all at once."""
    started, at, seen = time.monotonic(), 0.0, len(slack.calls)
    while (at := at + rng.uniform(0.5, 1.5) / per_second) < seconds:
        await asyncio.sleep(max(0.0, started + at - time.monotonic()))
        if len(slack.calls) == seen:
            continue
        seen = len(slack.calls)
        kind = rng.choice(FAULTS)
        if kind == "hang":
            slack.fault("*", delay=HANG)
        else:
            slack.fault("*", status=int(kind), retry_after=1)
        chaos.injected[kind] += 1


async def flush_faults(slack: FakeSlackAPI) -> Counter[str]:
    """Meet the faults no bot call met before the chaos ended; returns them by kind."""
    left: Counter[str] = Counter()
    async with aiohttp.ClientSession() as session:
        for _ in range(50):
            started = time.monotonic()
            async with session.post(f"{slack.url}api.test",
                                    timeout=aiohttp.ClientTimeout(total=HANG + 10)) as answer:
                status = answer.status
            if status in (503, 429):
                left[str(status)] += 1
            elif time.monotonic() - started >= HANG:
                left["hang"] += 1
            else:
                break
    return left


async def catch_up(slack: FakeSlackAPI, chaos: Chaos) -> dict[int, float]:
    """Seconds from the end of the chaos until each acknowledged line first showed."""
    wanted = {line.seq: line.channel for line in chaos.lines if line.acked}
    channels = sorted(set(wanted.values()))
    first_shown: dict[int, float] = {}
    while len(first_shown) < len(wanted) and time.time() - chaos.ended < CATCH_UP_LIMIT:
        now = time.time() - chaos.ended
        for channel, seq in shown_in(slack, channels):
            if wanted.get(seq) == channel:
                first_shown.setdefault(seq, now)
        await asyncio.sleep(POLL)
    return first_shown


# the run --------------------------------------------------------------------------------------------
async def run(options: Options, workdir: Path) -> None:
    rng = random.Random(options.seed)
    slack = await new_slack(LATENCY)
    runbooks = workdir / "no-runbooks"
    runbooks.mkdir()
    url = Database(options.database_url, workdir).fresh("chaos")
    env = {**bot_env(slack, url, workdir, runbooks, SLACK_TIMEOUT=f"{SLACK_TIMEOUT:g}s"),
           "PYTHONPATH": str(options.bot_cwd)}
    argv = [options.bot_python, "-m", "bot", "serve"]
    replicas = [Replica(f"replica{n + 1}", argv, env, workdir, slack) for n in range(2)]
    try:
        await asyncio.gather(*(r.start() for r in replicas))
        assert replicas[0].sender is not None
        channels = await open_incidents(slack, replicas[0].sender,
                                        [f"chaos-{n}" for n in range(options.incidents)], Notes())
        chaos = Chaos(first_call=len(slack.calls), began=time.time())
        print(f"chaos for {options.chaos:.0f} s …", flush=True)
        async with asyncio.TaskGroup() as group:
            group.create_task(send_load(chaos, Balancer(replicas), channels, options.rate,
                                        options.chaos))
            group.create_task(kill_in_turn(chaos, replicas, options.kill_every, options.chaos))
            group.create_task(inject_faults(chaos, slack, rng, options.faults_per_second,
                                            options.chaos))
        # Faults stopped, both replicas up: the clock starts. The faults queued that no call
        # met yet are met by calls of the bench's own, so that none meets a bot's call now.
        chaos.ended = time.time()
        reading = asyncio.create_task(asyncio.to_thread(read_owed, url))
        flushing = asyncio.create_task(flush_faults(slack))
        first_shown = await catch_up(slack, chaos)
        chaos.left_over = await flushing
        owed = await reading
        await asyncio.sleep(SETTLE)
        print()
        print(f"`{shown_command(sys.argv)}`")
        print()
        print(f"bot from {options.bot_cwd}; 2 replicas on PostgreSQL; SLACK_TIMEOUT "
              f"{SLACK_TIMEOUT:g} s; Web API latency {LATENCY * 1000:.0f} ms; {options.rate:g} "
              f"lines/s into {options.incidents} incidents; seed {options.seed}")
        print()
        print_figures(chaos, slack, channels, first_shown, seconds=options.chaos,
                      limit=CATCH_UP_LIMIT)
        print_channels(chaos, slack, channels, first_shown)
        print_owed(owed)
        print_log_figures(workdir, datetime.fromtimestamp(chaos.began),
                          datetime.fromtimestamp(chaos.ended))
        keep_record(chaos, slack, channels, workdir)
        print(f"\nfiles (the replicas' logs, Slack's calls and messages) in {workdir}")
    finally:
        await asyncio.gather(*(r.stop() for r in replicas), return_exceptions=True)
        await slack.stop()


def main(argv: Sequence[str]) -> None:
    options = parse_options(argv)
    workdir = Path(tempfile.mkdtemp(prefix="incident-bot-chaos-"))
    # Bounded whatever happens: set-up, the chaos, the catch-up, and room to stop.
    limit = options.chaos + CATCH_UP_LIMIT + SETTLE + 240

    async def bounded() -> None:
        async with asyncio.timeout(limit):
            await run(options, workdir)

    asyncio.run(bounded())


if __name__ == "__main__":
    main(sys.argv[1:])
