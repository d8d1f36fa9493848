"""What a load balancer and a Prometheus scraper see."""

import aiohttp
import pytest

pytestmark = pytest.mark.over_http


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def test_healthz_answers_while_the_database_answers(world):
    status, body = await get(f"{world.bot.url}/healthz")
    assert status == 200 and '"database": "ok"' in body


async def test_metrics_show_what_is_owed_to_slack(world):
    world.slack.outage(status=503)
    await world.incident("declare sev1 api-down")
    status, body = await get(f"{world.bot.url}/metrics")
    assert status == 200
    pending = next(line for line in body.splitlines()
                   if line.startswith("incident_bot_outbox_pending "))
    assert float(pending.split()[1]) >= 1
    world.slack.restore()
    await world.delivered()
    _, body = await get(f"{world.bot.url}/metrics")
    assert "incident_bot_outbox_pending 0.0" in body
