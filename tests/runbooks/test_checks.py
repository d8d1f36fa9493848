"""Live checks run only what the runbook declares, bounded in time and size, secrets masked."""

import shlex
import time
from datetime import timedelta

from aiohttp import web

from bot.runbooks.checks import KEPT_LIMIT, SHOWN_LIMIT, run_check
from bot.runbooks.format import Check


def shell(command: str, timeout: float = 5) -> Check:
    return Check("c", command, None, timedelta(seconds=timeout))


async def test_a_shell_check_runs_when_the_operator_allows_it():
    result = await run_check(shell("echo pool=97"), allow_commands=True)
    assert (result.ok, result.output.strip()) == (True, "pool=97")


async def test_shell_checks_are_refused_unless_allowed():
    result = await run_check(shell("echo nope"), allow_commands=False)
    assert not result.ok and "ALLOW_RUNBOOK_COMMANDS" in result.note and result.output == ""


async def test_a_hanging_check_is_stopped_at_its_timeout():
    started = time.monotonic()
    result = await run_check(shell("sleep 30", timeout=0.5), allow_commands=True)
    assert time.monotonic() - started < 5
    assert not result.ok and result.note == "timed out after 0.5s"


async def test_a_failing_check_reports_its_exit_code():
    result = await run_check(shell("echo broken; exit 3"), allow_commands=True)
    assert (result.ok, result.note, result.output.strip()) == (False, "exit code 3", "broken")


async def test_output_is_capped_for_slack_and_kept_whole_up_to_a_limit():
    result = await run_check(shell("yes x | head -c 200000"), allow_commands=True)
    assert len(result.output) <= KEPT_LIMIT + 50
    assert len(result.shown) < SHOWN_LIMIT + 60 and "more characters" in result.shown


async def test_secrets_in_a_checks_output_are_redacted_line_by_line():
    lines = ["DB_PASSWORD=hunter2", "secret: s3cr3tValue", "Authorization: Bearer 9f8e7d6c5b4a39281706",
             "slack xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
             "aws AKIAQX7RT2WZ5KLM4N8P", "pool=97 replicas=3"]
    result = await run_check(shell("printf '%s\\n' " + " ".join(map(shlex.quote, lines))),
                             allow_commands=True)
    assert result.output.splitlines() == [
        "DB_PASSWORD=[redacted: password]", "secret: [redacted: password]",
        "Authorization: Bearer [redacted: bearer-token]", "slack [redacted: slack-token]",
        "aws [redacted: aws-access-key]", "pool=97 replicas=3"]


async def test_output_cut_at_the_limit_leaves_no_part_of_a_secret():
    result = await run_check(shell(f"head -c {KEPT_LIMIT - 10} /dev/zero | tr '\\0' ' '; "
                                   "echo AKIAQX7RT2WZ5KLM4N8P"), allow_commands=True)
    assert "AKIAQX" not in result.output and result.output.endswith("(output cut)")


async def test_an_http_check_gets_the_url():
    async def health(_: web.Request) -> web.Response:
        return web.Response(text="db: ok\napi_key=s3cr3t")

    app = web.Application()
    app.router.add_get("/health", health)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        result = await run_check(Check("h", None, f"http://127.0.0.1:{port}/health",
                                       timedelta(seconds=5)), allow_commands=False)
        assert result.ok and result.note == "HTTP 200"
        assert "db: ok" in result.output and "s3cr3t" not in result.output
    finally:
        await runner.cleanup()
