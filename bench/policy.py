"""What the incident policy costs: the CPU of one decision, and `/incident log` throughput.

    .venv/bin/python bench/policy.py [--database-url URL-of-an-empty-database] [--logs 2000]
                                     [--concurrency 1,10] [--rounds 3] [--decisions 3000]
                                     [--profile] [--no-analyze]
                                     [--skip-decisions | --skip-logs]

1. Decision CPU (`time.process_time()`): the input document built from a question and
   answered by the shipped default policy and by policy/strict.rego, beside the same document
   built and handed to a Python function that allows (what a hand-written check costs); also
   through PolicyJudge.decide, as the use cases ask.
2. `/incident log` through the use case (bot.services.incidents.log on a Store: what a slash
   command runs once parsed; no HTTP, no Slack), on one incident, sent by C concurrent
   clients, under three judges: one that allows everything and builds nothing (standing for
   "no policy"), the default policy, and the strict one (which reads `roles`: the roles the
   person holds, kept on the incident). The judges take turns over the rounds, each run on
   a fresh database, and the medians are compared.
3. When the strict policy is more than 10 % slower than the reference (or with --profile),
   one more strict run under cProfile: what the difference is made of.

SQLite by default (a file in a temporary folder); PostgreSQL with --database-url, whose
database is emptied before every run (bench/throwaway_pg.sh starts one) and analyzed after
the warm-up, as a database in service is (--no-analyze: not).
"""

import argparse
import asyncio
import cProfile
import itertools
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine  # noqa: E402
from sqlalchemy import text as sql  # noqa: E402

from bot import shipped  # noqa: E402
from bot.authz.judge import PolicyJudge  # noqa: E402
from bot.authz.policy_files import compile_policy  # noqa: E402
from bot.domain.authz import Action, Asker, Decision, Judge, Question  # noqa: E402
from bot.domain.clock import SystemClock  # noqa: E402
from bot.domain.incident import Incident  # noqa: E402
from bot.domain.lifecycle import Status  # noqa: E402
from bot.domain.policy import Policy  # noqa: E402
from bot.domain.roles import COMMS  # noqa: E402
from bot.services import incidents, people  # noqa: E402
from bot.services.caller import Caller  # noqa: E402
from bot.services.export_again import owe_export_again  # noqa: E402
from bot.storage.migrate import sync_url, upgrade  # noqa: E402
from bot.storage.store import Store  # noqa: E402

COMMANDER, DECLARER, COMMS_HOLDER, APPROVER = "U0ALICE", "U0ALICE", "U0CAROL", "U0DAVE"
APPROVERS = (APPROVER, "U0ERIN")
CHANNEL = "C0INCBENCH"
POLICY = Policy(approvers=APPROVERS)
WARM_UP = 100  # logs before each measured run, at its concurrency: pool, caches, statements
TOO_SLOW = 0.9  # the target: the strict policy within 10 % of no policy
_triggers = itertools.count()


# The judges


class AllowAll:
    """No policy: allows everything and builds nothing, not even the input."""

    reads: frozenset[str] = frozenset()

    async def decide(self, question: Question) -> Decision:
        return Decision(True)


class HandWritten:
    """What a check written in Python would cost the judge: it gets the same input document
    and allows."""

    reads: frozenset[str] = frozenset()

    async def evaluate(self, document: dict) -> tuple[bool, str]:
        return allow(document)


def allow(document: dict) -> tuple[bool, str]:
    return True, ""


def strict_file() -> Path:
    return shipped.policy_dir() / "strict.rego"


# 1. Decision CPU


def questions() -> dict[str, Question]:
    """Inputs as the use cases ask them, on an incident with a commander."""
    incident = Incident(id=7, slug="db-outage", title="Primary DB down", severity=2,
                        declared_at=datetime(2026, 12, 6, 3, 0, tzinfo=UTC), declared_by=DECLARER,
                        status=Status.MITIGATING, channel_id=CHANNEL, commander_id=COMMANDER)
    bob = Asker("U0BOB", roles=("scribe",))
    return {
        "log": Question(Action.LOG, bob, incident),
        "resolve by a non-commander": Question(Action.RESOLVE, bob, incident,
                                               {"status": str(Status.RESOLVED)}),
        "approve": Question(Action.APPROVE, Asker(APPROVER), incident,
                            {"request": "AR-3", "requester": "U0BOB", "step": None}),
    }


def cpu_per_call(call: Callable[[], object], n: int) -> float:
    start = time.process_time()
    for _ in range(n):
        call()
    return (time.process_time() - start) / n


async def judged_cpu(judge: Judge, question: Question, n: int) -> float:
    start = time.process_time()
    for _ in range(n):
        await judge.decide(question)
    return (time.process_time() - start) / n


async def decision_cpu(n: int, rounds: int) -> None:
    print(f"## Decision CPU (process_time, {n} decisions a figure, median of {rounds} rounds)\n")
    for name, path in (("default", None), ("strict", strict_file())):
        compile_policy(path, list(APPROVERS))  # the first compile also loads the library
        wall, cpu = time.perf_counter(), time.process_time()
        compile_policy(path, list(APPROVERS))
        print(f"compile_policy ({name}, with its check of one sample per action): "
              f"{(time.process_time() - cpu) * 1000:.1f} ms CPU, "
              f"{(time.perf_counter() - wall) * 1000:.1f} ms wall")
    engines = {"default": compile_policy(None, list(APPROVERS)),
               "strict": compile_policy(strict_file(), list(APPROVERS))}
    judges: dict[str, Judge] = {
        name: PolicyJudge(engine, approvers=APPROVERS) for name, engine in engines.items()}
    judges["hand-written"] = PolicyJudge(HandWritten(), approvers=APPROVERS)
    print()
    # The engine's cost for an input it has not seen; judge.decide asks the same input again
    # and again, as a busy channel does, so the policy's remembered answer serves it.
    print(f"{'input':<28} {'evaluator':<13} {'new input':>16} {'judge.decide':>13}")
    for label, question in questions().items():
        calls = {name: _answering(question, engine._ask) for name, engine in engines.items()}
        calls["hand-written"] = _answering(question, allow)
        direct: dict[str, list[float]] = {name: [] for name in calls}
        judged: dict[str, list[float]] = {name: [] for name in calls}
        for _ in range(rounds):
            for name, call in calls.items():
                call()  # warm
                direct[name].append(cpu_per_call(call, n))
                judged[name].append(await judged_cpu(judges[name], question, n))
        for name in calls:
            print(f"{label:<28} {name:<13} {statistics.median(direct[name]) * 1e6:>13.1f} µs "
                  f"{statistics.median(judged[name]) * 1e6:>10.1f} µs")
        decided = {name: (await judge.decide(question)).allow for name, judge in judges.items()}
        print(f"{'':<28} allowed: " + ", ".join(f"{k} {v}" for k, v in decided.items()))
    print()


def _answering(question: Question,
               evaluate: Callable[[dict], tuple[bool, str]]) -> Callable[[], object]:
    """The input built as the judge builds it, and answered."""
    approver = question.user.id in APPROVERS
    return lambda: evaluate(question.document([], approver=approver))


# 2. /incident log throughput


@dataclass
class Databases:
    """A fresh, migrated database for each run."""

    url: str | None
    workdir: Path
    analyze: bool = True
    _template: Path | None = None

    @property
    def name(self) -> str:
        return "PostgreSQL" if self.url else "SQLite"

    def fresh(self, label: str) -> str:
        if self.url is None:
            if self._template is None:
                self._template = self.workdir / "template.db"
                upgrade(f"sqlite:///{self._template}")
            path = self.workdir / f"{label}.db"
            shutil.copy(self._template, path)
            return f"sqlite:///{path}"
        engine = create_engine(sync_url(self.url))
        try:
            with engine.begin() as connection:
                connection.execute(sql("DROP SCHEMA public CASCADE"))
                connection.execute(sql("CREATE SCHEMA public"))
        finally:
            engine.dispose()
        upgrade(self.url)
        return self.url

    async def settle(self, store: Store) -> None:
        """PostgreSQL plans a query on a table it has statistics for; a fresh table has none
        until autovacuum runs ANALYZE (a minute or more in), which a database in service has
        long had. SQLite's plans here are the same either way."""
        if self.url is not None and self.analyze:
            async with store.writing() as session:
                await session.execute(sql("ANALYZE"))

    def discard(self, url: str) -> None:
        if self.url is None:
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)


def caller(user: str, judge: Judge, channel: str = CHANNEL) -> Caller:
    return Caller(user_id=user, user_name=user.removeprefix("U0").lower(), channel_id=channel,
                  trigger_id=f"bench-{next(_triggers)}", judge=judge)


async def open_incident(store: Store) -> int:
    """An incident as it looks a few minutes in: a channel, a commander, someone on comms."""
    setup = PolicyJudge(compile_policy(None, list(APPROVERS)), approvers=APPROVERS)
    incident = await incidents.declare(store, caller=caller(DECLARER, setup, "C0OPS"),
                                       severity=2, slug="db-outage", title="Primary DB down",
                                       policy=POLICY)
    async with store.transaction() as tx:
        opened = await tx.incident(incident.id, lock=True)
        assert opened is not None
        opened.channel_id, opened.channel_name = CHANNEL, f"inc-{incident.id}-db-outage"
        await tx.save_incident(opened)
    await incidents.assign_commander(store, caller=caller(DECLARER, setup), user_id=COMMANDER,
                                     name="alice")
    await people.assign_role(store, caller=caller(COMMANDER, setup), role=COMMS,
                             user_id=COMMS_HOLDER, name="carol", policy=POLICY)
    return incident.id


async def send_logs(store: Store, judge: Judge, logs: int, concurrency: int, tag: str) -> None:
    """`logs` lines by `concurrency` clients, each sending its share one after the other."""
    async def client(number: int, share: int) -> None:
        for line in range(share):
            await incidents.log(store, caller=caller(f"U0LOG{number:02d}", judge),
                                text=f"{tag} line {line} from client {number}")

    shares = [logs // concurrency + (1 if n < logs % concurrency else 0) for n in range(concurrency)]
    await asyncio.gather(*(client(n, share) for n, share in enumerate(shares)))


@dataclass
class Run:
    rate: float  # logs/s
    cpu: float  # this process's CPU a log, s


async def run_logs(databases: Databases, judge: Judge, logs: int, concurrency: int,
                   profile: cProfile.Profile | None = None) -> Run:
    url = databases.fresh(f"run-{next(_triggers)}")
    store = Store.from_url(url, clock=SystemClock().now,
                           after_append=owe_export_again(POLICY.export_debounce))
    try:
        incident_id = await open_incident(store)
        await send_logs(store, judge, WARM_UP, concurrency, "warm-up")
        await databases.settle(store)
        if profile:
            profile.enable()
        wall, cpu = time.perf_counter(), time.process_time()
        await send_logs(store, judge, logs, concurrency, "measured")
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if profile:
            profile.disable()
        async with store.reading() as tx:
            logged = sum(1 for e in await tx.events(incident_id) if e.action == "log")
        if logged != WARM_UP + logs:
            raise SystemExit(f"{logged} log lines stored, {WARM_UP + logs} sent")
    finally:
        await store.close()
        databases.discard(url)
    return Run(logs / wall, cpu / logs)


def contenders() -> dict[str, Judge]:
    return {
        "reference (no policy)": AllowAll(),
        "default policy": PolicyJudge(compile_policy(None, list(APPROVERS)), approvers=APPROVERS),
        "strict policy": PolicyJudge(compile_policy(strict_file(), list(APPROVERS)),
                                     approvers=APPROVERS),
    }


async def throughput(databases: Databases, logs: int, concurrency: list[int],
                     rounds: int) -> dict[int, dict[str, list[Run]]]:
    print(f"## /incident log through the use case, {databases.name}: {logs} logs a run, "
          f"{rounds} rounds, judges in turn, each run on a fresh database\n")
    results: dict[int, dict[str, list[Run]]] = {}
    for clients in concurrency:
        runs: dict[str, list[Run]] = {name: [] for name in contenders()}
        for round_ in range(rounds):
            for name, judge in contenders().items():
                run = await run_logs(databases, judge, logs, clients)
                runs[name].append(run)
                print(f"  {clients:>3} clients, round {round_ + 1}, {name:<32} "
                      f"{run.rate:8.0f} logs/s  {run.cpu * 1e6:7.0f} µs CPU a log", flush=True)
        results[clients] = runs
    print()
    print(f"{'clients':>7}  {'judge':<32} {'logs/s (runs)':<24} {'median':>7} {'ratio':>6} "
          f"{'ratios by round':<18} {'CPU a log':>10} {'+CPU':>7}")
    for clients, runs in results.items():
        reference = runs["reference (no policy)"]
        for name, judged in runs.items():
            rates = [r.rate for r in judged]
            by_round = [j.rate / r.rate for j, r in zip(judged, reference, strict=True)]
            cpu = statistics.median(r.cpu for r in judged)
            more = cpu - statistics.median(r.cpu for r in reference)
            print(f"{clients:>7}  {name:<32} {', '.join(f'{r:.0f}' for r in rates):<24} "
                  f"{statistics.median(rates):>7.0f} "
                  f"{statistics.median(rates) / statistics.median(r.rate for r in reference):>6.2f} "
                  f"{', '.join(f'{r:.2f}' for r in by_round):<18} "
                  f"{cpu * 1e6:>7.0f} µs {more * 1e6:>+5.0f} µs")
    print()
    return results


# 3. What the difference is made of


PIECES = (
    ("incidents.log's transaction work (write)", "bot/services/incidents.py", "write"),
    ("permit", "bot/services/authz.py", "permit"),
    ("  the question (_question)", "bot/services/authz.py", "_question"),
    ("  PolicyJudge.decide", "bot/authz/judge.py", "decide"),
    ("    Question.document (the input)", "bot/domain/authz.py", "document"),
    ("    RegoPolicy.answer (the engine)", "bot/authz/engine.py", "answer"),
    ("      Interpreter.set_input (input to engine)", "regopy/interpreter.py", "set_input"),
)


async def explain(databases: Databases, logs: int, clients: int) -> None:
    print(f"## Profile of a strict run, {databases.name}, {clients} clients\n\n"
          "cProfile: on-CPU time of each frame and what it calls. It slows Python code more "
          "than the engine's C++, and on PostgreSQL SQLAlchemy's greenlet switches blur the\n"
          "cumulative figures (a frame can be charged with another's time): read them as "
          "proportions, and the timed figures above as the costs.\n")
    profile = cProfile.Profile()
    strict = contenders()["strict policy"]
    await run_logs(databases, strict, logs, clients, profile=profile)
    stats = pstats.Stats(profile)
    table = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for _, _, tt, _, _ in table.values())
    print(f"{'':<44} {'cumulative':>10} {'a log':>9} {'share':>6}")
    print(f"{'everything profiled':<44} {total * 1000:>7.0f} ms {total / logs * 1e6:>6.0f} µs")
    for label, file, function in PIECES:
        found = [v for (path, _, name), v in table.items()
                 if name == function and path.endswith(file)]
        cumulative = sum(ct for _, _, _, ct, _ in found)
        print(f"{label:<44} {cumulative * 1000:>7.0f} ms {cumulative / logs * 1e6:>6.0f} µs "
              f"{cumulative / total:>6.1%}")
    print("\nTop 15 by own time:")
    stats.sort_stats("tottime").print_stats(15)


async def main(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="incident-bot-bench-policy-"))
    databases = Databases(args.database_url, workdir, analyze=not args.no_analyze)
    try:
        if not args.skip_decisions:
            await decision_cpu(args.decisions, args.rounds)
        if args.skip_logs:
            return
        results = await throughput(databases, args.logs, args.concurrency, args.rounds)
        worst = min(results, key=lambda c: _ratio(results[c]))
        if args.profile or _ratio(results[worst]) < TOO_SLOW:
            await explain(databases, args.logs, worst)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _ratio(runs: dict[str, list[Run]]) -> float:
    def median(name: str) -> float:
        return statistics.median(r.rate for r in runs[name])
    return median("strict policy") / median("reference (no policy)")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty PostgreSQL database, emptied before "
                                               "every run (default: SQLite files)")
    parser.add_argument("--logs", type=int, default=2000, help="logs a measured run")
    parser.add_argument("--concurrency", type=lambda s: [int(c) for c in s.split(",")],
                        default=[1, 10], help="clients, comma-separated")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--decisions", type=int, default=3000, help="decisions a CPU figure")
    parser.add_argument("--skip-decisions", action="store_true")
    parser.add_argument("--skip-logs", action="store_true", help="the decision CPU only")
    parser.add_argument("--profile", action="store_true",
                        help="profile a strict run even when it is within 10 %%")
    parser.add_argument("--no-analyze", action="store_true",
                        help="PostgreSQL: measure on tables without statistics (no ANALYZE "
                             "after the warm-up)")
    return parser.parse_args(argv)

if __name__ == "__main__":
    asyncio.run(main(parse()))
