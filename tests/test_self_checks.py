"""`incident-bot serve` checks what it depends on as it starts, and says what to fix in one line:
a token Slack refuses, a port in use, an export template or folder it cannot use, a database
it cannot reach. A Slack that does not answer does not stop it; Socket Mode stops at once on
SIGTERM or Ctrl-C, whatever Slack is doing."""

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from bot.standin.slack_api import FakeSlackAPI
from tests.support.waiting import eventually

SECRET = "self-check-secret"
# How long a stop may take: what `docker stop` and Kubernetes allow is longer, by far.
STOP_WITHIN = 5.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def closed_url() -> str:
    """A Slack that is not there: nothing listens on the port."""
    return f"http://127.0.0.1:{free_port()}/api/"


def environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE"))}
    env.update({"SLACK_SIGNING_SECRET": SECRET, "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
                "PORT": str(free_port()), "EXPORT_DIR": str(tmp_path / "incidents"),
                "RUNBOOKS_DIR": str(tmp_path)})
    env.update(settings)
    return {k: v for k, v in env.items() if v != ""}


@dataclass
class Serving:
    process: asyncio.subprocess.Process
    port: int
    lines: list[str] = field(default_factory=list)

    async def said(self, words: str) -> None:
        async def logged() -> bool:
            return any(words in line for line in self.lines)

        await eventually(logged, timeout=20)

    async def get(self, path: str) -> tuple[int, str]:
        async with aiohttp.ClientSession() as session, \
                session.get(f"http://127.0.0.1:{self.port}{path}") as response:
            return response.status, await response.text()

    async def healthy(self) -> None:
        async def answers() -> bool:
            try:
                return (await self.get("/healthz"))[0] == 200
            except aiohttp.ClientError:
                return False

        await eventually(answers, timeout=30)

    async def stopped(self, within: float = 60) -> int:
        return await asyncio.wait_for(self.process.wait(), within)


@contextlib.asynccontextmanager
async def serving(env: dict[str, str]) -> AsyncIterator[Serving]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "serve", env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    served = Serving(process, int(env["PORT"]))

    async def read() -> None:
        assert process.stderr is not None
        async for line in process.stderr:
            served.lines.append(line.decode().rstrip("\n"))

    reading = asyncio.create_task(read())
    try:
        yield served
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()
        await reading


async def failed_start(env: dict[str, str]) -> tuple[int, list[str]]:
    async with serving(env) as serve:
        code = await serve.stopped()
    return code, serve.lines


def told(lines: list[str]) -> str:
    """The one line a failed start ends with; before it, only the log's own lines."""
    assert not any("Traceback" in line for line in lines), lines
    assert sum(line.startswith("incident-bot: ") for line in lines) == 1, lines
    return lines[-1]


# auth.test at start -------------------------------------------------------------------------
@pytest.mark.parametrize("refusal", ["invalid_auth", "token_revoked", "account_inactive"])
async def test_a_token_slack_refuses_stops_serve_with_one_line_naming_slack_bot_token(
        refusal, tmp_path):
    async with FakeSlackAPI() as slack:
        token = "xoxb-not-this-workspace" if refusal == "invalid_auth" else slack.bot_token
        if refusal == "token_revoked":
            slack.revoke(token)
        elif refusal == "account_inactive":
            slack.fault("auth.test", error="account_inactive")
        code, lines = await failed_start(environment(
            tmp_path, SLACK_BOT_TOKEN=token, SLACK_API_URL=slack.url))

    assert code == 2
    assert told(lines) == (f"incident-bot: SLACK_BOT_TOKEN: Slack refuses it ({refusal}): set "
                           "SLACK_BOT_TOKEN to the app's Bot User OAuth Token (reinstall the app "
                           "to the workspace if it was removed) and restart the bot")
    assert [call.method for call in slack.calls] == ["auth.test"]
    assert not (tmp_path / "incidents").exists()


async def test_slack_not_answering_at_start_does_not_stop_serve_which_checks_again_until_it_does(
        tmp_path):
    async with FakeSlackAPI() as slack:
        slack.outage(status=503)
        env = environment(tmp_path, SLACK_BOT_TOKEN=slack.bot_token, SLACK_API_URL=slack.url)
        async with serving(env) as serve:
            await serve.healthy()
            health = json.loads((await serve.get("/healthz"))[1])
            assert health["slack"] == {"reachable": False, "token_ok": True}
            metrics = (await serve.get("/metrics"))[1]
            assert "incident_bot_slack_reachable 0.0" in metrics
            assert "incident_bot_slack_token_ok 1.0" in metrics
            assert sum("Slack does not answer at SLACK_API_URL" in line
                       for line in serve.lines) == 1

            slack.restore()
            await serve.said("Slack answers at SLACK_API_URL")
            health = json.loads((await serve.get("/healthz"))[1])
            assert health["slack"] == {"reachable": True, "token_ok": True}
            assert "incident_bot_slack_reachable 1.0" in (await serve.get("/metrics"))[1]
            serve.process.send_signal(signal.SIGTERM)
            assert await serve.stopped() == 0
        assert not any("Traceback" in line for line in serve.lines)


# Socket Mode --------------------------------------------------------------------------------
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_socket_mode_with_slack_unreachable_says_one_line_per_attempt_and_stops_on_a_signal(
        tmp_path, sig):
    env = environment(tmp_path, SLACK_BOT_TOKEN="xoxb-1", SLACK_APP_TOKEN="xapp-1",
                      SLACK_API_URL=closed_url(), SLACK_SIGNING_SECRET="")
    async with serving(env) as serve:
        await serve.healthy()
        await serve.said("Socket Mode: cannot connect to Slack")
        serve.process.send_signal(sig)
        assert await serve.stopped(within=STOP_WITHIN) == 0

    attempts = [line for line in serve.lines if "Socket Mode" in line]
    assert attempts and all("cannot connect to Slack (ClientConnectorError" in line
                            for line in attempts)
    assert not any("Traceback" in line or line.startswith(" ") for line in serve.lines)


async def test_a_stop_while_slack_holds_the_first_call_unanswered_is_heard_at_once(tmp_path):
    """Slack takes the connection and never answers: start-up is waiting on auth.test."""
    held = asyncio.Event()

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.set()
        await reader.read()
        writer.close()

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    env = environment(tmp_path, SLACK_BOT_TOKEN="xoxb-1", SLACK_APP_TOKEN="xapp-1",
                      SLACK_API_URL=f"http://127.0.0.1:{port}/api/", SLACK_TIMEOUT="60s")
    try:
        async with serving(env) as serve:
            await asyncio.wait_for(held.wait(), 30)
            serve.process.send_signal(signal.SIGTERM)
            assert await serve.stopped(within=STOP_WITHIN) == 0
    finally:
        server.close()
    assert not any("Traceback" in line for line in serve.lines)


# Settings found wanting at start -------------------------------------------------------------
async def test_a_port_in_use_is_one_line_naming_port(tmp_path):
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with FakeSlackAPI() as slack:
            code, lines = await failed_start(environment(
                tmp_path, SLACK_BOT_TOKEN=slack.bot_token, SLACK_API_URL=slack.url,
                PORT=str(port)))
    assert (code, told(lines)) == (2, f"incident-bot: PORT {port} is in use by another "
                                      "process: stop that, or set PORT to a free port")


@pytest.mark.parametrize("case", ["missing template", "template that does not parse",
                                  "export folder under a file", "database not there"])
async def test_what_serve_cannot_use_is_one_line_naming_the_setting(tmp_path, case):
    (tmp_path / "a-file").write_text("")
    (tmp_path / "broken.md.j2").write_text("# {{ incident.ref }\n")
    settings = {
        "missing template": {"EXPORT_TEMPLATE": "/nope.j2"},
        "template that does not parse": {"EXPORT_TEMPLATE": str(tmp_path / "broken.md.j2")},
        "export folder under a file": {"EXPORT_DIR": str(tmp_path / "a-file" / "incidents")},
        "database not there": {
            "DATABASE_URL": f"postgresql://bot:pw@127.0.0.1:{free_port()}/incidents"},
    }[case]
    line = {
        "missing template": "incident-bot: EXPORT_TEMPLATE: cannot read /nope.j2: "
                            "No such file or directory",
        "template that does not parse": f"incident-bot: EXPORT_TEMPLATE: "
                                        f"{tmp_path / 'broken.md.j2'}:1: unexpected '}}'",
        "export folder under a file": f"incident-bot: EXPORT_DIR: {tmp_path}/a-file/incidents "
                                      f"cannot be a folder: {tmp_path}/a-file is a file",
    }.get(case)
    code, lines = await failed_start(environment(
        tmp_path, SLACK_BOT_TOKEN="xoxb-1", SLACK_API_URL=closed_url(), **settings))

    assert code == 2
    if line is not None:
        assert told(lines) == line
    else:
        assert "DATABASE_URL" in told(lines) and ":pw@" not in told(lines)
