"""A drill is practice: its export is written apart, says so, and never enters git."""

from tests.export.test_git import no_global_git_config  # noqa: F401  (the repository's settings only)
from tests.slack.test_postmortem_followup import commits, git, repository


async def test_a_drill_export_goes_to_drills_and_is_never_committed(make_world, tmp_path):
    repo, _ = await repository(tmp_path)
    world = await make_world(export_dir=repo / "incidents", export_git=True)
    drill = await world.declare("sev3 failover Practice failover --drill")
    await world.incident("resolve the failover worked", channel=drill)
    real = await world.declare("sev2 api-errors API errors")
    await world.incident("resolve bad deploy", channel=real)
    await world.delivered()

    [practice] = (repo / "incidents" / "drills").glob("*.md")
    [incident] = (repo / "incidents").glob("*.md")
    assert practice.name.endswith("-failover.md") and incident.name.endswith("-api-errors.md")
    assert "\ndrill: true\n" in practice.read_text()
    assert "drill:" not in incident.read_text()
    # The real incident is committed; the drill's file is left untracked.
    assert await commits(repo) == ["INC-2: postmortem draft (api-errors)"]
    assert await git(repo, "status", "--porcelain") == "?? incidents/drills/"
