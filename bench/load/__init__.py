"""Load benchmark: the real `incident-bot serve` process against a minimal Bolt bot, over signed HTTP.

    .venv/bin/python bench/load [--database-url postgresql+psycopg://…] [--latency 0.25]
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

# The modules: options, databases, processes (spawning and measuring the bots), workspace (the
# Slack stand-in and its people), sending (signed commands, set-up), results, shown (what Slack
# shows), one per part (logs, calls, reminders, replicas), report (the tables) and main.

# What the other benchmarks (recovery.py, chaos.py) build on.
from .databases import Database
from .processes import REPO, SHIPPED_RUNBOOKS, Served, bot_env, spawn, start_bots, stop
from .results import Notes
from .sending import answer_text, open_incidents, sender_for
from .workspace import USERS, new_slack, ops_channel, until

__all__ = [
    "REPO", "SHIPPED_RUNBOOKS", "USERS", "Database", "Notes", "Served", "answer_text", "bot_env",
    "new_slack", "open_incidents", "ops_channel", "sender_for", "spawn", "start_bots", "stop", "until",
]
