"""The printed tables: every figure of the run, with its ratio to the reference's."""

import math
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Sequence

from .processes import REPO
from .reminders import BURST_ACCESS, BURST_INCIDENTS, BURST_NUDGE, BURST_REQUESTS, BURST_WARNING
from .results import Bench, ms, percentile


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
