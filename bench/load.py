"""Load benchmark: the real `incident-bot serve` process against a minimal Bolt bot, over signed HTTP.

    .venv/bin/python bench/load.py [--database-url postgresql+psycopg://…] [--latency 0.25]
        [--requests 200] [--concurrency 1,10,50] [--channels 1,5]
        [--only logs|calls|reminders|replicas] [--replicas 1,2,4] [--skip-reference]

Both bots run as processes of their own, one at a time, in front of the local stand-in of
Slack's Web API (every answer takes `--latency` seconds, as real Slack's do); requests are
signed as Slack signs them. bench/reference_bot.py is the yardstick: Bolt on aiohttp that
acks, writes SQLite and posts, and nothing more. Every incident-bot figure is printed with
its ratio to the yardstick's in the same run.

Parts:
  logs       `/incident log` by 1/10/50 concurrent clients over 1 and 5 channels: ack latency,
             throughput, errors, and how long until every line is shown in Slack, exactly once
             and in each client's order.
  calls      Web API calls per declare (with and without ANNOUNCE_CHANNEL), per lone log,
             per runbook step click, and per click in a steady run of clicks.
  reminders  about a thousand access-expiry warnings, expiries and status nudges falling due
             within a minute or so: how many fired, fired twice, and how late.
  replicas   (PostgreSQL only, with --replicas) the log load against N serve processes.

An empty PostgreSQL database given with --database-url is reset (DROP SCHEMA public
CASCADE) before every start of the bot; SQLite databases are fresh files in a temporary
folder, which also keeps each process's log.
"""

import argparse
import asyncio
import math
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import aiohttp
from sqlalchemy import create_engine
from sqlalchemy import text as sql

from bot.config import Settings
from bot.standin.slack_api import FakeSlackAPI, Message
from bot.standin.slack_sender import SlackSender
from bot.storage.migrate import sync_url

REPO = Path(__file__).resolve().parents[1]
REFERENCE_BOT = Path(__file__).resolve().parent / "reference_bot.py"
SHIPPED_RUNBOOKS = REPO / "runbooks"
SECRET = "bench-signing-secret"
USERS = [(f"U0BENCH{n}", f"oncall{n}") for n in range(5)]
REQUESTER, APPROVER = ("U0REQUEST", "requester"), ("U0APPROVE", "approver")

POLL = 0.02  # how often Slack is looked at while waiting for lines to show
VISIBLE_LIMIT = 30.0
QUIET = 3.0  # no Web API call for this long: the bot is done with an action
SETTLE = 1.0  # after the last line shows, a late duplicate still has time to appear
HEALTHY_LIMIT = 60.0
SETUP_CLIENTS = 10

# The reminder burst: 100 incidents x 5 approved requests; warnings 30 s before a 2-minute
# expiry and a first status nudge 2 minutes after each declare all fall due within a minute or so.
BURST_INCIDENTS, BURST_REQUESTS = 100, 5
BURST_ACCESS, BURST_WARNING, BURST_NUDGE = "2m", "30s", "2m"
BURST_LIMIT = 240.0  # after the last approval, for every reminder to fire and show

STEP_BUTTON = re.compile(r"^step:(\d+):(\d+):(started|done|failed|skipped)$")
# Failed opens a form for the reason: a click that records nothing until it is submitted.
STATUSES = ("started", "done", "skipped")
LONE_LOG = "log (one, in a quiet incident)"
WARNING_LINE = re.compile(r"AR-(\d+) \*[^*\n]*\* expires at")
EXPIRED_LINE = re.compile(r"AR-(\d+) \*[^*\n]*\* has \*expired\*")
NUDGE_LINE = "time for a status update"


# options -------------------------------------------------------------------------------------
@dataclass
class Options:
    latency: float
    requests: int
    concurrency: list[int]
    channels: list[int]
    database_url: str | None
    only: str | None
    replicas: list[int]
    skip_reference: bool

    @property
    def postgres(self) -> bool:
        return bool(self.database_url) and self.database_url.startswith("postgres")

    def parts(self) -> list[str]:
        if self.only:
            return [self.only]
        return ["logs", "calls", "reminders"] + (["replicas"] if self.replicas else [])


def numbers(value: str) -> list[int]:
    return [int(part) for part in value.split(",") if part.strip()]


def parse_options(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency", type=float, default=0.25,
                        help="seconds the Slack stand-in takes to answer each Web API call")
    parser.add_argument("--requests", type=int, default=200, help="log commands per scenario")
    parser.add_argument("--concurrency", type=numbers, default=[1, 10, 50],
                        help="concurrent clients, each sending its share in sequence")
    parser.add_argument("--channels", type=numbers, default=[1, 5],
                        help="incident channels the logs are spread over, round-robin")
    parser.add_argument("--database-url", help="an empty PostgreSQL database; reset before each start")
    parser.add_argument("--only", choices=["logs", "calls", "reminders", "replicas"])
    parser.add_argument("--replicas", type=numbers, default=[],
                        help="serve processes on one PostgreSQL database, e.g. 1,2,4; "
                             "loads them with the --concurrency values above 1")
    parser.add_argument("--skip-reference", action="store_true", help="do not run the reference bot")
    args = parser.parse_args(argv)
    options = Options(args.latency, args.requests, args.concurrency, args.channels,
                      args.database_url, args.only, args.replicas, args.skip_reference)
    if options.database_url and not options.postgres:
        parser.error("--database-url is for PostgreSQL; SQLite runs on fresh files by default")
    if options.only == "replicas" and not options.replicas:
        options.replicas = [1, 2, 4]
    if options.replicas and not options.postgres:
        parser.error("--replicas needs --database-url postgresql+psycopg://…")
    return options


# databases -----------------------------------------------------------------------------------
@dataclass
class Database:
    url: str | None
    workdir: Path

    @property
    def name(self) -> str:
        return "postgresql" if self.url else "sqlite"

    def fresh(self, label: str) -> str:
        """An empty database for one start of the bot."""
        if self.url is None:
            return f"sqlite:///{self.workdir / (label + '.db')}"
        engine = create_engine(sync_url(self.url))
        try:
            with engine.begin() as connection:
                connection.execute(sql("DROP SCHEMA public CASCADE"))
                connection.execute(sql("CREATE SCHEMA public"))
        finally:
            engine.dispose()
        return self.url


@dataclass
class ReminderRecord:
    kind: str
    due_at: datetime
    fired_at: datetime | None
    cancelled: bool


def read_reminders(url: str) -> list[ReminderRecord]:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            rows = connection.execute(sql(
                "SELECT kind, due_at, fired_at, cancelled_at FROM reminders")).all()
    finally:
        engine.dispose()
    return [ReminderRecord(kind, _naive(due), _naive(fired) if fired else None, cancelled is not None)
            for kind, due, fired, cancelled in rows]


def _naive(value: datetime | str) -> datetime:
    # SQLite hands back text, PostgreSQL a datetime; both are naive UTC.
    return datetime.fromisoformat(value) if isinstance(value, str) else value.replace(tzinfo=None)


# processes -----------------------------------------------------------------------------------
@dataclass
class Served:
    label: str
    process: asyncio.subprocess.Process
    port: int
    log: Path
    started_in: float

    @property
    def events_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"


@dataclass
class ProcessRow:
    label: str
    database: str
    started_in: float
    rss_mib: float
    warnings: int
    errors: int
    log: Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _open_log(path: Path) -> IO[bytes]:
    return path.open("wb")


async def spawn(label: str, argv: list[str], env: dict[str, str], workdir: Path) -> Served:
    """Start a process and wait until its /healthz answers 200; the time includes migrations."""
    port, log = free_port(), workdir / f"{label}.log"
    sink = _open_log(log)
    started = time.monotonic()
    try:
        # cwd is the scratch folder, so no .env of the caller's leaks into the bot's settings.
        process = await asyncio.create_subprocess_exec(
            *argv, env={**env, "PORT": str(port)}, cwd=workdir, stdin=asyncio.subprocess.DEVNULL,
            stdout=sink, stderr=asyncio.subprocess.STDOUT)
    finally:
        sink.close()
    await wait_healthy(process, port, log)
    return Served(label, process, port, log, time.monotonic() - started)


async def wait_healthy(process: asyncio.subprocess.Process, port: int, log: Path) -> None:
    deadline = time.monotonic() + HEALTHY_LIMIT
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"{log.name}: exited {process.returncode}:\n{tail(log)}")
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz",
                                       timeout=aiohttp.ClientTimeout(total=2)) as answer:
                    if answer.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.02)
    process.kill()
    raise RuntimeError(f"{log.name}: not healthy after {HEALTHY_LIMIT:.0f} s:\n{tail(log)}")


def tail(log: Path, lines: int = 20) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


async def stop(served: Served) -> None:
    if served.process.returncode is not None:
        return
    served.process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(served.process.wait(), 15)
    except TimeoutError:
        served.process.kill()
        await served.process.wait()


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return math.nan


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds() -> float:
    """Busy CPU time of the whole machine, every core."""
    ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


# Bolt says so whenever SLACK_BOT_TOKEN is in the environment and a client is given: not a problem.
HARMLESS = ("`token` will be unused",)


def log_problems(log: Path) -> tuple[int, int]:
    lines = [line for line in log.read_text(errors="replace").splitlines()
             if not any(known in line for known in HARMLESS)]
    warnings = sum(" WARNING " in line for line in lines)
    errors = sum(" ERROR " in line or " CRITICAL " in line for line in lines)
    # A process without a log format (the reference) only shows its tracebacks.
    return warnings, errors or sum(line.startswith("Traceback") for line in lines)


def process_row(served: Served, database: str) -> ProcessRow:
    return ProcessRow(served.label, database, served.started_in, rss_mib(served.process.pid),
                      *log_problems(served.log), served.log)


def clean_env() -> dict[str, str]:
    """The caller's environment without any bot setting: every run is configured the same."""
    return {name: value for name, value in os.environ.items()
            if name.lower() not in Settings.model_fields}


def bot_env(slack: FakeSlackAPI, database_url: str, workdir: Path, runbooks: Path,
            **extra: str) -> dict[str, str]:
    return {**clean_env(), "SLACK_BOT_TOKEN": slack.bot_token, "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.url, "DATABASE_URL": database_url, "SLACK_APP_TOKEN": "",
            "EXPORT_DIR": str(workdir / "incidents"), "RUNBOOKS_DIR": str(runbooks),
            "ANNOUNCE_CHANNEL": "", "APPROVERS": APPROVER[0], "SLACK_TIMEOUT": "10s", **extra}


async def start_bots(label: str, count: int, env: dict[str, str], workdir: Path) -> list[Served]:
    """`count` serve processes on one database, started together as a deployment would."""
    names = [label if count == 1 else f"{label}-r{n + 1}" for n in range(count)]
    argv = [sys.executable, "-m", "bot", "serve"]
    started = await asyncio.gather(*(spawn(name, argv, env, workdir) for name in names),
                                   return_exceptions=True)
    served = [s for s in started if isinstance(s, Served)]
    failed = [s for s in started if isinstance(s, BaseException)]
    if failed:
        await asyncio.gather(*(stop(s) for s in served))
        raise failed[0]
    return served


async def start_reference(slack: FakeSlackAPI, label: str, workdir: Path) -> Served:
    env = {**clean_env(), "SLACK_BOT_TOKEN": slack.bot_token, "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": slack.url, "DATABASE": str(workdir / f"{label}.db")}
    return await spawn(label, [sys.executable, str(REFERENCE_BOT)], env, workdir)


# the Slack workspace --------------------------------------------------------------------------
async def new_slack(latency: float) -> FakeSlackAPI:
    slack = FakeSlackAPI(latency=latency)
    await slack.start()
    for user_id, name in [*USERS, REQUESTER, APPROVER]:
        slack.add_user(user_id, name)
    slack.add_channel("ops", creator=USERS[0][0],
                      members=[user for user, _ in [*USERS, REQUESTER, APPROVER]])
    return slack


def ops_channel(slack: FakeSlackAPI) -> str:
    channel = slack.channel_by_name("ops")
    assert channel is not None
    return channel.id


def sender_for(slack: FakeSlackAPI, served: Served) -> SlackSender:
    return SlackSender(events_url=served.events_url, signing_secret=SECRET, api=slack)


async def answer_text(sender: SlackSender, command: str, text: str, *, user: str,
                      channel: str) -> str:
    """The ack's text, or what went wrong, as one line."""
    try:
        answer = await sender.slash(command, text, user=user, channel=channel)
    except (aiohttp.ClientError, TimeoutError) as exc:
        return f"no answer: {exc!r}"
    if answer.status != 200:
        return f"HTTP {answer.status}: {answer.body[:200]}"
    return str((answer.json or {}).get("text", answer.body))


BOT_FAILED = "Something went wrong and nothing was recorded"
SETUP_ATTEMPTS = 3


@dataclass
class Notes:
    """What looked wrong, counted by kind, with the first example of each."""

    counts: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def add(self, kind: str, example: str = "", count: int = 1) -> None:
        kind = kind.replace("|", "/")  # printed in a Markdown table
        self.counts[kind] += count
        self.examples.setdefault(kind, example)


async def setup_command(notes: Notes, sender: SlackSender, command: str, text: str, *,
                        user: str, channel: str) -> str:
    """A set-up command; when the bot says nothing was recorded and to try again, try again,
    and say so in the notes: set-up is not what is measured, but the failure is worth knowing."""
    for _ in range(SETUP_ATTEMPTS):
        answer = await answer_text(sender, command, text, user=user, channel=channel)
        if BOT_FAILED not in answer and not answer.startswith(("HTTP", "no answer")):
            return answer
        notes.add(f"set-up command answered `{answer[:90]}`, sent again", f"{command} {text}")
    return answer


async def in_parallel(jobs: Sequence[Callable[[], Awaitable[Any]]], clients: int) -> list[Any]:
    """Run jobs with at most `clients` at a time, answers in job order."""
    gate = asyncio.Semaphore(clients)

    async def run(job: Callable[[], Awaitable[Any]]) -> Any:
        async with gate:
            return await job()

    return list(await asyncio.gather(*(run(job) for job in jobs)))


async def until(check: Callable[[], bool], limit: float, every: float = POLL) -> float | None:
    """Seconds until `check()` holds, or None after `limit`."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > limit:
            return None
        await asyncio.sleep(every)
    return time.monotonic() - started


async def until_quiet(slack: FakeSlackAPI, quiet: float = QUIET, limit: float = 120.0) -> None:
    seen, changed = len(slack.calls), time.monotonic()
    deadline = changed + limit
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        if len(slack.calls) != seen:
            seen, changed = len(slack.calls), time.monotonic()
        elif time.monotonic() - changed >= quiet:
            return


DECLARED = re.compile(r"INC-(\d+) declared")


def incident_channel(slack: FakeSlackAPI, number: int, slug: str) -> str | None:
    """The incident's channel once the bot opened it and pinned its summary."""
    prefix = f"inc-{number}-{slug}"
    for channel in list(slack.channels.values()):
        if channel.name.startswith(prefix) and slack.bot_user_id in channel.members \
                and slack.pins.get(channel.id):
            return channel.id
    return None


async def open_incidents(slack: FakeSlackAPI, sender: SlackSender, slugs: Sequence[str],
                         notes: Notes, limit: float = 120.0) -> list[str]:
    """Declare from #ops, wait until every channel is open; returns the channel ids in order."""
    ops = ops_channel(slack)

    def declare(slug: str) -> Callable[[], Awaitable[str]]:
        return lambda: setup_command(notes, sender, "/incident", f"declare sev4 {slug}",
                                     user=USERS[0][0], channel=ops)

    answers = await in_parallel([declare(slug) for slug in slugs], SETUP_CLIENTS)
    numbers_ = []
    for slug, answer in zip(slugs, answers, strict=True):
        match = DECLARED.search(answer)
        if match is None:
            raise RuntimeError(f"declare {slug}: {answer}")
        numbers_.append(int(match.group(1)))

    def channels() -> list[str | None]:
        return [incident_channel(slack, n, slug) for n, slug in zip(numbers_, slugs, strict=True)]

    if await until(lambda: all(channels()), limit, every=0.1) is None:
        raise RuntimeError(f"incident channels not open after {limit:.0f} s")
    await until_quiet(slack, quiet=0.5)
    return [c for c in channels() if c]


# the log load -----------------------------------------------------------------------------------
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


@dataclass
class LogResult:
    bot: str
    database: str
    replicas: int
    channels: int
    clients: int
    requests: int
    errors: int
    ack_p50: float
    ack_p99: float
    ack_max: float
    throughput: float
    visible: float | None
    missing: int
    doubled: int
    out_of_order: int
    posts: int
    peak_posts: int
    bot_cpu: float
    driver_cpu: float
    other_cpu: float
    problems: Counter = field(default_factory=Counter)


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


class Shown:
    """The run's markers as Slack shows them, channel by channel, in order."""

    def __init__(self, slack: FakeSlackAPI, channels: Iterable[str], pattern: re.Pattern[str]) -> None:
        self.slack, self.channels, self.pattern = slack, sorted(set(channels)), pattern
        self._cache: dict[tuple[str, str, int], list[tuple[int, int]]] = {}

    def _found(self, channel: str, message: Message) -> list[tuple[int, int]]:
        key = (channel, message.ts, len(message.edits))
        if key not in self._cache:
            self._cache[key] = [(int(c), int(k)) for c, k in self.pattern.findall(message.shown)]
        return self._cache[key]

    def in_order(self) -> dict[str, list[tuple[int, int]]]:
        return {channel: [hit for message in self.slack.messages(channel)
                          for hit in self._found(channel, message)]
                for channel in self.channels}

    def counts(self) -> Counter:
        return Counter(hit for hits in self.in_order().values() for hit in hits)


def out_of_order(shown: dict[str, list[tuple[int, int]]]) -> int:
    """Lines shown after a line their client sent later, into the same channel."""
    violations = 0
    for hits in shown.values():
        last: dict[int, int] = {}
        seen: set[tuple[int, int]] = set()
        for client, seq in hits:
            if (client, seq) in seen:
                continue
            seen.add((client, seq))
            if seq < last.get(client, -1):
                violations += 1
            last[client] = max(seq, last.get(client, -1))
    return violations


def peak_posts(slack: FakeSlackAPI, since: int, channels: Iterable[str]) -> tuple[int, int]:
    """chat.postMessage calls into these channels, and the most into one channel in any 1 s."""
    wanted = set(channels)
    times: dict[str, list[float]] = defaultdict(list)
    for call in slack.calls[since:]:
        if call.method == "chat.postMessage" and call.params.get("channel") in wanted:
            times[call.params["channel"]].append(call.at)
    peak = 0
    for stamps in times.values():
        stamps.sort()
        first = 0
        for last, at in enumerate(stamps):
            while at - stamps[first] >= 1.0:
                first += 1
            peak = max(peak, last - first + 1)
    return sum(len(stamps) for stamps in times.values()), peak


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


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


def note_errors(bench: "Bench", result: LogResult) -> None:
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


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


# the runs --------------------------------------------------------------------------------------
@dataclass
class CallRow:
    action: str
    bot: float | None
    reference: float | None = None
    detail: str = ""


@dataclass
class Bench:
    options: Options
    db: Database
    workdir: Path
    processes: list[ProcessRow] = field(default_factory=list)
    logs: list[LogResult] = field(default_factory=list)
    reference: dict[tuple[int, int], LogResult] = field(default_factory=dict)
    calls: list[CallRow] = field(default_factory=list)
    burst: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    notes: Notes = field(default_factory=Notes)

    @property
    def empty_runbooks(self) -> Path:
        folder = self.workdir / "no-runbooks"
        folder.mkdir(exist_ok=True)
        return folder


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


async def replicas_part(bench: Bench) -> None:
    clients = [c for c in bench.options.concurrency if c > 1] or bench.options.concurrency
    for count in bench.options.replicas:
        for channels in bench.options.channels:
            bench.logs += await incident_series(bench, channels, clients, replicas=count)
    if not bench.options.skip_reference:
        for channels in bench.options.channels:
            missing = [c for c in clients if (channels, c) not in bench.reference]
            if missing:
                await reference_series(bench, channels, missing)


# Web API calls per action -------------------------------------------------------------------------
async def count_calls(slack: FakeSlackAPI, action: Callable[[], Awaitable[Any]]) -> list[str]:
    """Methods called from the action until Slack has heard nothing for QUIET seconds."""
    mark = len(slack.calls)
    await action()
    await until_quiet(slack)
    return [call.method for call in slack.calls[mark:]]


def by_method(methods: Sequence[str], per: int = 1) -> str:
    counted = Counter(methods)
    return ", ".join(f"{name} {n / per:g}" for name, n in sorted(counted.items()))


def runbook_message(slack: FakeSlackAPI, channel: str) -> Message | None:
    for message in slack.messages(channel):
        for block in message.blocks:
            if any(STEP_BUTTON.match(e.get("action_id", "")) for e in block.get("elements", [])):
                return message
    return None


def step_buttons(message: Message) -> tuple[int, list[int], set[int]]:
    """The attached runbook's id, its steps, and the high-risk ones (Done refused without access)."""
    attached, steps, risky = 0, [], set()
    for block in message.blocks:
        for element in block.get("elements", []):
            match = STEP_BUTTON.match(element.get("action_id", ""))
            if match and match.group(3) == "started":
                attached = int(match.group(1))
                steps.append(int(match.group(2)))
        if "HIGH RISK" in str(block.get("text", {}).get("text", "")):
            risky.add(int(block["block_id"].split(":")[2]))
    return attached, steps, risky


def click_plan(steps: Sequence[int], risky: set[int], count: int,
               state: dict[int, str]) -> list[tuple[int, str]]:
    """Clicks that each change something: never a step's current status, never Done on a risky step."""
    state, clicks = dict(state), []
    while len(clicks) < count:
        for step in steps:
            for status in STATUSES:
                if len(clicks) < count and status != state.get(step) \
                        and not (status == "done" and step in risky):
                    clicks.append((step, status))
                    state[step] = status
    return clicks


async def click(sender: SlackSender, slack: FakeSlackAPI, channel: str, message: Message,
                attached: int, step: int, status: str) -> None:
    answer = await sender.block_action(user=USERS[0][0], channel=channel, message_ts=message.ts,
                                       action_id=f"step:{attached}:{step}:{status}", value=status,
                                       block_id=f"step:{attached}:{step}:buttons")
    if answer.status != 200:
        raise RuntimeError(f"click step {step} {status}: HTTP {answer.status} {answer.body[:200]}")


async def calls_part(bench: Bench) -> None:
    await bot_calls(bench, announce=False)
    await bot_calls(bench, announce=True)
    if not bench.options.skip_reference:
        await reference_calls(bench)


async def bot_calls(bench: Bench, *, announce: bool) -> None:
    label = f"bot-{bench.db.name}-calls" + ("-announce" if announce else "")
    slack = await new_slack(bench.options.latency)
    served: list[Served] = []
    try:
        extra = {}
        if announce:
            extra["ANNOUNCE_CHANNEL"] = slack.add_channel(
                "announce", creator=USERS[0][0], members=[USERS[0][0], slack.bot_user_id])
        env = bot_env(slack, bench.db.fresh(label), bench.workdir, SHIPPED_RUNBOOKS, **extra)
        served = await start_bots(label, 1, env, bench.workdir)
        sender = sender_for(slack, served[0])
        ops = ops_channel(slack)
        where = " (ANNOUNCE_CHANNEL set)" if announce else ""
        declared = await count_calls(slack, lambda: answer_text(
            sender, "/incident", "declare sev4 db-outage", user=USERS[0][0], channel=ops))
        record_calls(bench, f"declare sev4 db-outage, RUN-001 attached{where}", declared)
        if not announce:
            await step_calls(bench, slack, sender)
        bench.processes += [process_row(s, bench.db.name) for s in served]
    finally:
        await asyncio.gather(*(stop(s) for s in served))
        await slack.stop()


async def step_calls(bench: Bench, slack: FakeSlackAPI, sender: SlackSender) -> None:
    channel = incident_channel(slack, 1, "db-outage")
    message = runbook_message(slack, channel) if channel else None
    if channel is None or message is None:
        raise RuntimeError("the declare did not open a channel with RUN-001's steps")
    logged = await count_calls(slack, lambda: answer_text(
        sender, "/incident", "log lone line", user=USERS[0][0], channel=channel))
    record_calls(bench, LONE_LOG, logged)
    attached, steps, risky = step_buttons(message)
    lone = await count_calls(slack, lambda: click(sender, slack, channel, message, attached,
                                                  steps[0], "started"))
    record_calls(bench, "click a step button (one)", lone)
    clicks = click_plan(steps, risky, 20, {steps[0]: "started"})
    refused = len(slack.responses)

    async def steady() -> None:
        for step, status in clicks:
            await click(sender, slack, channel, message, attached, step, status)
            await asyncio.sleep(0.25)

    methods = await count_calls(slack, steady)
    refusals = len(slack.responses) - refused
    record_calls(bench, f"click, steady run of {len(clicks)} (one every 250 ms), per click"
                 + (f" [{refusals} refused]" if refusals else ""), methods, per=len(clicks))


async def reference_calls(bench: Bench) -> None:
    slack = await new_slack(bench.options.latency)
    served = None
    try:
        channel = slack.add_channel("ref-calls", creator=USERS[0][0],
                                    members=[USERS[0][0], slack.bot_user_id])
        served = await start_reference(slack, "reference-calls", bench.workdir)
        sender = sender_for(slack, served)
        await count_calls(slack, lambda: answer_text(  # Bolt's one-off auth.test
            sender, "/incident", "log warm-up", user=USERS[0][0], channel=channel))
        logged = await count_calls(slack, lambda: answer_text(
            sender, "/incident", "log lone line", user=USERS[0][0], channel=channel))
        for row in bench.calls:
            if row.action == LONE_LOG:
                row.reference = len(logged)
        bench.processes.append(process_row(served, "sqlite"))
    finally:
        if served is not None:
            await stop(served)
        await slack.stop()


def record_calls(bench: Bench, action: str, methods: Sequence[str], per: int = 1) -> None:
    row = CallRow(action, len(methods) / per, detail=by_method(methods, per))
    bench.calls.append(row)
    print(f"  calls: {action}: {row.bot:g} ({row.detail})", flush=True)


# the reminder burst --------------------------------------------------------------------------------
async def reminders_part(bench: Bench) -> None:
    label = f"bot-{bench.db.name}-reminders"
    slack = await new_slack(bench.options.latency)
    served: list[Served] = []
    url = bench.db.fresh(label)
    try:
        env = bot_env(slack, url, bench.workdir, bench.empty_runbooks,
                      ACCESS_EXPIRY_WARNING=BURST_WARNING, STATUS_UPDATE_INTERVAL_SEV4=BURST_NUDGE)
        served = await start_bots(label, 1, env, bench.workdir)
        sender = sender_for(slack, served[0])
        started = time.monotonic()
        channels = await open_incidents(slack, sender, [f"burst-{n}" for n in range(BURST_INCIDENTS)],
                                        bench.notes, limit=300)
        bench.burst["declared"] = time.monotonic() - started
        granted = await grant_access(bench, slack, sender, channels)
        bench.burst["set up"] = time.monotonic() - started
        await settle_burst(bench, slack, url, channels, granted)
        bench.processes += [process_row(s, bench.db.name) for s in served]
    finally:
        await asyncio.gather(*(stop(s) for s in served))
        await slack.stop()


async def grant_access(bench: Bench, slack: FakeSlackAPI, sender: SlackSender,
                       channels: Sequence[str]) -> dict[int, str]:
    """Request and approve BURST_REQUESTS accesses per incident; returns AR number → channel."""
    pairs = [(channel, f"db-write-{n}-{k}") for n, channel in enumerate(channels)
             for k in range(BURST_REQUESTS)]

    def request(channel: str, what: str) -> Callable[[], Awaitable[str]]:
        return lambda: setup_command(bench.notes, sender, "/incident",
                                     f"access request {what} for {BURST_ACCESS}",
                                     user=REQUESTER[0], channel=channel)

    answers = await in_parallel([request(c, w) for c, w in pairs], SETUP_CLIENTS)
    granted: dict[int, str] = {}
    for (channel, what), answer in zip(pairs, answers, strict=True):
        match = re.search(r"AR-(\d+) requested", answer)
        if match is None:
            raise RuntimeError(f"access request {what}: {answer}")
        granted[int(match.group(1))] = channel

    def approve(number: int, channel: str) -> Callable[[], Awaitable[str]]:
        return lambda: setup_command(bench.notes, sender, "/approve", f"AR-{number}",
                                     user=APPROVER[0], channel=channel)

    started = time.monotonic()
    answers = await in_parallel([approve(n, c) for n, c in granted.items()], SETUP_CLIENTS)
    bench.burst["approvals took"] = time.monotonic() - started
    refused = [a for a in answers if "approved until" not in a]
    if refused:
        raise RuntimeError(f"{len(refused)} approvals refused, e.g. {refused[0]}")
    return granted


def access_notices(slack: FakeSlackAPI, channels: Iterable[str]) -> tuple[Counter, Counter, int]:
    """Expiry warnings and expired notices per AR number, and status nudges, as shown."""
    warnings, expired, nudges = Counter(), Counter(), 0
    for channel in channels:
        for message in slack.messages(channel):
            shown = message.shown
            warnings.update(int(n) for n in WARNING_LINE.findall(shown))
            expired.update(int(n) for n in EXPIRED_LINE.findall(shown))
            nudges += shown.count(NUDGE_LINE)
    return warnings, expired, nudges


async def settle_burst(bench: Bench, slack: FakeSlackAPI, url: str, channels: Sequence[str],
                       granted: dict[int, str]) -> None:
    """Wait until every access reminder fired and its notice shows, then take the figures."""
    deadline = time.monotonic() + BURST_LIMIT
    access_kinds = {"access_warning", "access_expired"}
    while time.monotonic() < deadline:
        rows = await asyncio.to_thread(read_reminders, url)
        if all(r.fired_at or r.cancelled for r in rows if r.kind in access_kinds):
            break
        await asyncio.sleep(1)
    fired_all = time.monotonic()

    def all_shown() -> bool:
        warnings, expired, _ = access_notices(slack, channels)
        return all(warnings[n] and expired[n] for n in granted)

    shown_in = await until(all_shown, max(10.0, deadline - time.monotonic()), every=0.5)
    await asyncio.sleep(2 * SETTLE)
    rows = await asyncio.to_thread(read_reminders, url)
    warnings, expired, nudges = access_notices(slack, channels)
    fired = [r for r in rows if r.fired_at]
    lags = [(r.fired_at - r.due_at).total_seconds() for r in fired if r.fired_at]
    now = datetime.now(UTC).replace(tzinfo=None)
    bench.burst.update({
        "rows": len(rows), "fired": len(fired),
        "due, not fired": sum(1 for r in rows if not r.fired_at and not r.cancelled and r.due_at <= now),
        "fired by kind": dict(Counter(r.kind for r in fired)),
        "fired twice": 0,  # one fired_at per row: a second firing can only show as a second notice
        "warnings shown twice": sum(1 for n in granted if warnings[n] > 1),
        "expiries shown twice": sum(1 for n in granted if expired[n] > 1),
        "warnings missing": sum(1 for n in granted if not warnings[n]),
        "expiries missing": sum(1 for n in granted if not expired[n]),
        "nudges shown": nudges,
        "nudges fired": sum(1 for r in fired if r.kind == "status_nudge"),
        "lag": lags,
        "lag by kind": {kind: [(r.fired_at - r.due_at).total_seconds() for r in fired
                               if r.kind == kind and r.fired_at] for kind in sorted({r.kind for r in fired})},
        "due span": _span([r.due_at for r in fired]),
        "shown after last firing": None if shown_in is None else time.monotonic() - fired_all - 2 * SETTLE,
    })
    note_burst(bench)
    print(f"  reminders: {len(fired)} fired of {len(rows)} rows, lag p50 {percentile(lags, .5):.2f} s "
          f"p99 {percentile(lags, .99):.2f} s max {max(lags, default=math.nan):.2f} s", flush=True)


def note_burst(bench: Bench) -> None:
    burst = bench.burst
    for key in ("due, not fired", "warnings shown twice", "expiries shown twice",
                "warnings missing", "expiries missing"):
        if burst[key]:
            bench.notes.add(f"reminders: {key}", "reminder burst", burst[key])
    if burst["nudges shown"] != burst["nudges fired"]:
        bench.notes.add(f"reminders: {burst['nudges fired']} nudges fired, {burst['nudges shown']} shown",
                        "reminder burst")


def _span(stamps: Sequence[datetime]) -> float:
    return (max(stamps) - min(stamps)).total_seconds() if stamps else math.nan


# the tables ----------------------------------------------------------------------------------------
def ratio(mine: float | None, theirs: float | None) -> str:
    if mine is None or theirs is None or not theirs or math.isnan(mine) or math.isnan(theirs):
        return "-"
    return f"{mine / theirs:.2f}"


def print_tables(bench: Bench, command: str) -> None:
    options = bench.options
    print()
    print("## incident-bot load benchmark")
    print()
    print(f"`{command}`")
    print()
    print(f"database {bench.db.name}; Web API latency {options.latency * 1000:.0f} ms; "
          f"{options.requests} requests per scenario; {os.cpu_count()} cores; "
          f"Python {sys.version.split()[0]}; bot {git_state()}; files in {bench.workdir}")
    print_processes(bench)
    print_logs(bench)
    print_calls(bench)
    print_burst(bench)
    print_notes(bench)
    print()
    print("part | seconds")
    print("---|---")
    for part, seconds in bench.timings.items():
        print(f"{part} | {seconds:.0f}")


def print_processes(bench: Bench) -> None:
    if not bench.processes:
        return
    reference = next((p for p in bench.processes if p.label.startswith("reference")), None)
    print()
    print("process | database | start to healthy (s) | ratio | RSS after load (MiB) | ratio "
          "| log warnings | log errors")
    print("---|---|---|---|---|---|---|---")
    for p in bench.processes:
        print(f"{p.label} | {p.database} | {p.started_in:.2f} | "
              f"{ratio(p.started_in, reference.started_in if reference else None)} | {p.rss_mib:.1f} | "
              f"{ratio(p.rss_mib, reference.rss_mib if reference else None)} | {p.warnings} | {p.errors}")
    if any(p.label.endswith("-restart") for p in bench.processes):
        print("\n-restart: started again on the database the run left, its migrations applied (the "
              "usual start); its RSS is before any load. The others migrate a new database.")


def print_logs(bench: Bench) -> None:
    rows = bench.logs + sorted(bench.reference.values(), key=lambda r: (r.channels, r.clients))
    if not rows:
        return
    print()
    print("bot | db | procs | channels | clients | ack p50 ms | ack p99 ms | ack max ms | req/s "
          "| errors | visible s | missing | doubled | out of order | posts | max posts/ch/s "
          "| bot CPU % | driver CPU % | other CPU % | p99 ratio | req/s ratio | visible ratio")
    print("|".join(["---"] * 22))
    for r in rows:
        ref = bench.reference.get((r.channels, r.clients)) if r.bot != "reference" else None
        visible = f"{r.visible:.2f}" if r.visible is not None else "FAILED"
        print(f"{r.bot} | {r.database} | {r.replicas} | {r.channels} | {r.clients} | {ms(r.ack_p50)} "
              f"| {ms(r.ack_p99)} | {ms(r.ack_max)} | {r.throughput:.1f} | {r.errors} | {visible} "
              f"| {r.missing} | {r.doubled} | {r.out_of_order} | {r.posts} | {r.peak_posts} "
              f"| {r.bot_cpu * 100:.0f} | {r.driver_cpu * 100:.0f} | {r.other_cpu * 100:.0f} "
              f"| {ratio(r.ack_p99, ref.ack_p99 if ref else None)} "
              f"| {ratio(r.throughput, ref.throughput if ref else None)} "
              f"| {ratio(r.visible, ref.visible if ref else None)}")
    print()
    print("ack: until the HTTP answer; visible: from the last ack until every acked line shows in "
          "its channel; out of order: lines shown after a later line of the same client; posts: "
          "chat.postMessage calls; CPU % of one core during the send (driver: the stand-in and the "
          "clients; other: PostgreSQL and anything else on the machine); ratios: incident-bot / "
          "reference, same channels and clients (the reference always runs on SQLite)")


def print_calls(bench: Bench) -> None:
    if not bench.calls:
        return
    print()
    print("Web API calls for | incident-bot | reference | ratio | incident-bot's calls by method")
    print("---|---|---|---|---")
    for row in bench.calls:
        theirs = f"{row.reference:g}" if row.reference is not None else "-"
        print(f"{row.action} | {row.bot:g} | {theirs} | {ratio(row.bot, row.reference)} | {row.detail}")


def print_burst(bench: Bench) -> None:
    burst = bench.burst
    if "lag" not in burst:
        return
    lags = burst["lag"]
    print()
    print(f"reminder burst ({BURST_INCIDENTS} incidents x {BURST_REQUESTS} access grants for "
          f"{BURST_ACCESS}, warning {BURST_WARNING} before, status nudge every {BURST_NUDGE})")
    print()
    print("reminders | fired | due, not fired | fired twice | notices shown twice | notices missing "
          "| lag p50 s | lag p99 s | lag max s | due within s")
    print("---|---|---|---|---|---|---|---|---|---")
    print(f"{burst['rows']} | {burst['fired']} | {burst['due, not fired']} | {burst['fired twice']} "
          f"| {burst['warnings shown twice'] + burst['expiries shown twice']} "
          f"| {burst['warnings missing'] + burst['expiries missing']} "
          f"| {percentile(lags, .5):.2f} | {percentile(lags, .99):.2f} | {max(lags, default=math.nan):.2f} "
          f"| {burst['due span']:.0f}")
    print()
    print("kind | fired | lag p50 s | lag p99 s | lag max s")
    print("---|---|---|---|---")
    for kind, values in burst["lag by kind"].items():
        print(f"{kind} | {len(values)} | {percentile(values, .5):.2f} | {percentile(values, .99):.2f} "
              f"| {max(values):.2f}")
    print()
    shown_after = burst["shown after last firing"]
    print(f"set-up: declares {burst['declared']:.0f} s, all set up {burst['set up']:.0f} s "
          f"(approvals {burst['approvals took']:.1f} s); every notice shown "
          + (f"{shown_after:.1f} s after the last firing" if shown_after is not None else "NEVER")
          + f"; nudges fired {burst['nudges fired']}, shown {burst['nudges shown']}")


def print_notes(bench: Bench) -> None:
    if not bench.notes.counts:
        return
    print()
    print("what looked wrong | times | first seen in")
    print("---|---|---")
    for kind, count in bench.notes.counts.most_common():
        print(f"{kind} | {count} | {bench.notes.examples[kind]}")


def git_state() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True)
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench")
    return head + (" + uncommitted changes" if changed else "")


def shown_command(argv: Sequence[str]) -> str:
    # A password in the database URL is nobody's business in a published table.
    masked = [re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", arg) for arg in argv]
    return shlex.join(["python", *masked])


# main ------------------------------------------------------------------------------------------------
PARTS: dict[str, Callable[[Bench], Awaitable[None]]] = {
    "logs": logs_part, "calls": calls_part, "reminders": reminders_part, "replicas": replicas_part,
}


async def run(bench: Bench) -> None:
    for part in bench.options.parts():
        print(f"{part} …", flush=True)
        started = time.monotonic()
        await PARTS[part](bench)
        bench.timings[part] = time.monotonic() - started
        print(f"{part} took {bench.timings[part]:.0f} s", flush=True)


def main(argv: Sequence[str]) -> None:
    options = parse_options(argv)
    workdir = Path(tempfile.mkdtemp(prefix="incident-bot-load-"))
    bench = Bench(options, Database(options.database_url, workdir), workdir)
    started = time.monotonic()
    try:
        asyncio.run(run(bench))
    finally:
        bench.timings["total"] = time.monotonic() - started
        print_tables(bench, shown_command(sys.argv))


if __name__ == "__main__":
    main(sys.argv[1:])
