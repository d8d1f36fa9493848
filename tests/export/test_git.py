"""Exports committed with the git CLI in a real repository: one file a commit, pushed when asked."""

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from bot.export.git import ExportGit, GitFailed, start_up_problem

MESSAGE = "INC-1: postmortem draft (db-outage)"


@pytest.fixture(autouse=True)
def no_global_git_config(monkeypatch, tmp_path):
    """The repository's own settings only, whoever runs the tests."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-global-gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True,
                          text=True).stdout.strip()


def repository(path: Path) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    return path


def remote_of(repo: Path) -> Path:
    bare = repo.parent / "remote.git"
    git(repo.parent, "init", "-q", "--bare", str(bare))
    git(repo, "remote", "add", "origin", str(bare))
    return bare


def draft(repo: Path, text: str = "id: INC-1\n") -> Path:
    path = repo / "incidents" / "2026-03-14-1430-db-outage.md"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    return path


async def test_the_export_alone_is_committed_with_its_message(tmp_path):
    repo = repository(tmp_path / "postmortems")
    (repo / "notes.txt").write_text("someone's work in progress\n")
    git(repo, "add", "notes.txt")
    path = draft(repo)
    exports = ExportGit(push=False)
    await exports.commit(path, MESSAGE)
    assert git(repo, "log", "--format=%s|%an <%ae>") == \
        f"{MESSAGE}|incident-bot <incident-bot@localhost>"
    assert git(repo, "show", "--name-only", "--format=") == "incidents/" + path.name
    assert git(repo, "diff", "--cached", "--name-only") == "notes.txt"  # left as it was
    assert exports.counts == {"committed": 1}


async def test_a_repository_that_names_its_author_keeps_it(tmp_path):
    repo = repository(tmp_path / "postmortems")
    git(repo, "config", "user.name", "Postmortems")
    git(repo, "config", "user.email", "postmortems@example.com")
    path = draft(repo)
    await ExportGit(push=False).commit(path, MESSAGE)
    assert git(repo, "log", "--format=%an <%ae>") == "Postmortems <postmortems@example.com>"


async def test_nothing_new_is_no_commit_and_no_error(tmp_path):
    repo = repository(tmp_path / "postmortems")
    path = draft(repo)
    exports = ExportGit(push=False)
    await exports.commit(path, MESSAGE)
    await exports.commit(path, MESSAGE)
    path.write_text("id: INC-1\nstatus: closed\n")
    await exports.commit(path, MESSAGE)
    assert len(git(repo, "log", "--format=%h").splitlines()) == 2
    assert exports.counts == {"committed": 2}


async def test_pushed_to_the_remote_with_or_without_an_upstream(tmp_path):
    repo = repository(tmp_path / "postmortems")
    bare = remote_of(repo)
    path = draft(repo)
    exports = ExportGit(push=True)
    await exports.commit(path, MESSAGE)
    assert git(bare, "log", "--format=%s", "main") == MESSAGE
    git(repo, "branch", "--set-upstream-to=origin/main")
    path.write_text("id: INC-1\nstatus: closed\n")
    await exports.commit(path, MESSAGE)
    assert len(git(bare, "log", "--format=%s", "main").splitlines()) == 2
    await exports.commit(path, MESSAGE)  # nothing to push: no error, not counted
    assert exports.counts == {"committed": 2, "pushed": 2}


async def test_a_failed_push_is_pushed_by_the_next_try(tmp_path):
    repo = repository(tmp_path / "postmortems")
    bare = remote_of(repo)
    git(repo, "remote", "set-url", "origin", str(tmp_path / "gone.git"))
    path = draft(repo)
    exports = ExportGit(push=True)
    with pytest.raises(GitFailed, match="git push: "):
        await exports.commit(path, MESSAGE)
    assert git(repo, "log", "--format=%s") == MESSAGE  # committed; only the push failed
    git(repo, "remote", "set-url", "origin", str(bare))
    await exports.commit(path, MESSAGE)
    assert git(bare, "log", "--format=%s", "main") == MESSAGE
    assert exports.counts == {"committed": 1, "failed": 1, "pushed": 1}


async def test_git_taking_too_long_is_a_failure(tmp_path):
    repo = repository(tmp_path / "postmortems")
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\nsleep 5\n")
    hook.chmod(0o755)
    exports = ExportGit(push=False, timeout=timedelta(milliseconds=300))
    with pytest.raises(GitFailed, match="git commit took longer than 0.3s"):
        await exports.commit(draft(repo), MESSAGE)
    assert exports.counts == {"failed": 1}


async def test_a_file_outside_any_repository_is_a_failure(tmp_path):
    with pytest.raises(GitFailed, match="git add: .*not a git repository"):
        await ExportGit(push=False).commit(draft(tmp_path), MESSAGE)


def test_start_up_names_what_stops_git(tmp_path):
    assert start_up_problem(tmp_path / "incidents", push=False) == \
        f"EXPORT_GIT is set, but EXPORT_DIR ({tmp_path / 'incidents'}) is not inside a git work tree"
    repo = repository(tmp_path / "postmortems")
    assert start_up_problem(repo / "incidents" / "2026", push=False) is None  # made when written
    assert "EXPORT_GIT_PUSH is set, but the git repository holding EXPORT_DIR" in \
        start_up_problem(repo / "incidents", push=True)
    remote_of(repo)
    assert start_up_problem(repo / "incidents", push=True) is None
