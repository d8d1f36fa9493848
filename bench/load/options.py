"""The command line: which parts run, against which database, with how much load."""

import argparse
from collections.abc import Sequence
from dataclasses import dataclass


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
        return (self.database_url or "").startswith("postgres")

    def parts(self) -> list[str]:
        if self.only:
            return [self.only]
        return ["logs", "calls", "reminders"] + (["replicas"] if self.replicas else [])


def numbers(value: str) -> list[int]:
    return [int(part) for part in value.split(",") if part.strip()]


def parse_options(argv: Sequence[str], usage: str | None = None) -> Options:
    parser = argparse.ArgumentParser(description=usage,
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
