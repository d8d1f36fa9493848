"""The log load: `/incident log` from concurrent clients over one or more channels."""

import asyncio
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from bot.standin.slack_api import FakeSlackAPI
from bot.standin.slack_sender import SlackSender

from .processes import (
    Served,
    bot_env,
    cpu_seconds,
    machine_cpu_seconds,
    process_row,
    start_bots,
    start_reference,
    stop,
)
from .results import Bench, LogResult, ms, percentile
from .sending import answer_text, open_incidents, sender_for
from .shown import Shown, out_of_order, peak_posts
from .workspace import SETTLE, USERS, new_slack, until

VISIBLE_LIMIT = 30.0


@dataclass
class Job:
    index: int
    client: int
    seq: int
    channel: str
    user: str
    marker: str


@dataclass
class Sent:
    job: Job
    ok: bool
    ack: float
    done_at: float
    problem: str = ""


_runs = iter(range(1, 1000))


def plan(requests: int, clients: int, channels: Sequence[str], run: int) -> list[list[Job]]:
    """Client c sends requests c, c+clients, …; its k-th goes to channel (c+k) mod n, so every
    client's lines are spread over every channel, and is sent as user (c+k) mod 5, so a
    sequential warm-up has met every user before anything is measured."""
    shares: list[list[Job]] = [[] for _ in range(clients)]
    for index in range(requests):
        client = index % clients
        seq = len(shares[client])
        shares[client].append(Job(index, client, seq, channels[(client + seq) % len(channels)],
                                  USERS[(client + seq) % len(USERS)][0], marker(run, client, seq)))
    return shares


def marker(run: int, client: int, seq: int) -> str:
    # Fixed width: no marker is part of another.
    return f"lg{run:03d}c{client:02d}k{seq:04d}"


def marker_pattern(run: int) -> re.Pattern[str]:
    return re.compile(rf"lg{run:03d}c(\d\d)k(\d\d\d\d)")


async def send_share(share: Sequence[Job], senders: Sequence[SlackSender], sent: list[Sent]) -> None:
    for job in share:
        sender = senders[job.index % len(senders)]
        started = time.monotonic()
        answer = await answer_text(sender, "/incident", f"log {job.marker}", user=job.user,
                                   channel=job.channel)
        done = time.monotonic()
        ok = answer == "Logged."
        sent.append(Sent(job, ok, done - started, done, "" if ok else answer[:120]))


async def log_run(slack: FakeSlackAPI, senders: Sequence[SlackSender], channels: Sequence[str],
                  served: Sequence[Served], *, bot: str, database: str, requests: int,
                  clients: int) -> LogResult:
    run = next(_runs)
    shares = plan(requests, clients, channels, run)
    calls_mark = len(slack.calls)
    cpu_before = [cpu_seconds(s.process.pid) for s in served]
    driver_before, machine_before = time.process_time(), machine_cpu_seconds()
    sent: list[Sent] = []
    started = time.monotonic()
    await asyncio.gather(*(send_share(share, senders, sent) for share in shares))
    last_ack = max(s.done_at for s in sent)
    wall = last_ack - started
    bot_cpu = sum(cpu_seconds(s.process.pid) for s in served) - sum(cpu_before)
    driver_cpu = time.process_time() - driver_before
    # PostgreSQL, and whatever else runs on the machine: a busy neighbour skews the run.
    other_cpu = machine_cpu_seconds() - machine_before - bot_cpu - driver_cpu

    shown = Shown(slack, channels, marker_pattern(run))
    wanted = {(s.job.client, s.job.seq) for s in sent if s.ok}
    await until(lambda: wanted <= shown.counts().keys(), VISIBLE_LIMIT - (time.monotonic() - last_ack))
    everything_shown = wanted <= shown.counts().keys()
    visible = time.monotonic() - last_ack if everything_shown else None
    await asyncio.sleep(SETTLE)
    counts, order = shown.counts(), shown.in_order()
    posts, peak = peak_posts(slack, calls_mark, channels)
    acks = [s.ack for s in sent]
    return LogResult(
        bot=bot, database=database, replicas=len(served), channels=len(set(channels)),
        clients=clients, requests=requests, errors=sum(not s.ok for s in sent),
        ack_p50=percentile(acks, 0.50), ack_p99=percentile(acks, 0.99), ack_max=max(acks),
        throughput=requests / wall, visible=visible, missing=len(wanted - counts.keys()),
        doubled=sum(1 for n in counts.values() if n > 1), out_of_order=out_of_order(order),
        posts=posts, peak_posts=peak, bot_cpu=bot_cpu / wall, driver_cpu=driver_cpu / wall,
        other_cpu=max(0.0, other_cpu) / wall,
        problems=Counter(s.problem for s in sent if not s.ok))


async def warm_up(slack: FakeSlackAPI, senders: Sequence[SlackSender], channels: Sequence[str],
                  served: Sequence[Served], clients: int) -> None:
    """One line into every channel through every process from every user, shown, then as many
    clients at once as the runs will have, before anything is measured: first-request costs
    (a pool's connections, caches, Bolt's auth.test, a user's first command) are not what is
    compared."""
    passes = [(max(len(channels), len(senders), len(USERS)), 1), (2 * clients, clients)]
    for requests, at_once in passes:
        result = await log_run(slack, senders, channels, served, bot="warm-up", database="",
                               requests=requests, clients=at_once)
        if result.errors or result.visible is None:
            raise RuntimeError(f"warm-up failed: {result.errors} errors, visible {result.visible}, "
                               f"{dict(result.problems)}")


def report_run(result: LogResult) -> None:
    visible = f"{result.visible:.2f} s" if result.visible is not None else "FAILED"
    print(f"  {result.bot:12} {result.database:10} x{result.replicas} {result.channels} ch "
          f"{result.clients:3d} clients: ack p50 {ms(result.ack_p50)} p99 {ms(result.ack_p99)} "
          f"max {ms(result.ack_max)} ms, {result.throughput:6.1f} req/s, {result.errors} errors, "
          f"visible {visible}, missing {result.missing}, doubled {result.doubled}, "
          f"out of order {result.out_of_order}, {result.posts} posts (peak {result.peak_posts}/s/ch)",
          flush=True)
    for problem, count in result.problems.most_common(3):
        print(f"      {count} x {problem}", flush=True)


def note_errors(bench: Bench, result: LogResult) -> None:
    where = (f"{result.bot} on {result.database}, x{result.replicas}, {result.channels} ch, "
             f"{result.clients} clients")
    for problem, count in result.problems.items():
        bench.notes.add(f"log answered `{problem[:90]}`", where, count)
    for what, count in (("not shown", result.missing), ("shown twice", result.doubled),
                        ("out of order", result.out_of_order)):
        if count:
            bench.notes.add(f"log lines {what}", where, count)
    if result.visible is None:
        bench.notes.add(f"lines not all shown within {VISIBLE_LIMIT:.0f} s", where)


async def incident_series(bench: Bench, channels: int, clients: Sequence[int],
                          replicas: int = 1) -> list[LogResult]:
    """One deployment of incident-bot, `channels` incidents declared, a log run per client count."""
    label = f"bot-{bench.db.name}-{channels}ch" + (f"-x{replicas}" if replicas > 1 else "")
    slack = await new_slack(bench.options.latency)
    served: list[Served] = []
    try:
        env = bot_env(slack, bench.db.fresh(label), bench.workdir, bench.empty_runbooks)
        served = await start_bots(label, replicas, env, bench.workdir)
        senders = [sender_for(slack, s) for s in served]
        opened = await open_incidents(slack, senders[0], [f"bench-{n}" for n in range(channels)],
                                      bench.notes)
        await warm_up(slack, senders, opened, served, max(clients))
        results = []
        for count in clients:
            result = await log_run(slack, senders, opened, served, bot="incident-bot",
                                   database=bench.db.name, requests=bench.options.requests,
                                   clients=count)
            report_run(result)
            note_errors(bench, result)
            results.append(result)
        bench.processes += [process_row(s, bench.db.name) for s in served]
        if replicas == 1:  # started again on the database it leaves: a restart, the usual start
            await stop(served[0])
            served = await start_bots(f"{label}-restart", 1, env, bench.workdir)
            bench.processes.append(process_row(served[0], bench.db.name))
        return results
    finally:
        await asyncio.gather(*(stop(s) for s in served))
        await slack.stop()


async def reference_series(bench: Bench, channels: int, clients: Sequence[int]) -> None:
    label = f"reference-{channels}ch"
    slack = await new_slack(bench.options.latency)
    served = None
    try:
        members = [user for user, _ in USERS] + [slack.bot_user_id]
        opened = [slack.add_channel(f"ref-{n}", creator=USERS[0][0], members=members)
                  for n in range(channels)]
        served = await start_reference(slack, label, bench.workdir)
        senders = [sender_for(slack, served)]
        await warm_up(slack, senders, opened, [served], max(clients))
        for count in clients:
            result = await log_run(slack, senders, opened, [served], bot="reference",
                                   database="sqlite", requests=bench.options.requests, clients=count)
            report_run(result)
            note_errors(bench, result)
            bench.reference[(channels, count)] = result
        bench.processes.append(process_row(served, "sqlite"))
    finally:
        if served is not None:
            await stop(served)
        await slack.stop()


async def logs_part(bench: Bench) -> None:
    options = bench.options
    for channels in options.channels:
        bench.logs += await incident_series(bench, channels, options.concurrency)
    if not options.skip_reference:
        for channels in options.channels:
            await reference_series(bench, channels, options.concurrency)
