"""Exports committed (and pushed) to git, delivered from the outbox."""

from pathlib import Path

from bot.domain.notices import CommitExport
from bot.export.git import ExportGit, GitFailed
from bot.outbound.errors import GiveUp, Retry
from bot.outbound.registry import Batch, Registry
from bot.services import exporter
from bot.storage.store import Store


def register(registry: Registry, *, store: Store, git: ExportGit | None) -> None:
    async def commit(batch: Batch[CommitExport]) -> None:
        """A failure is said in the channel at the first try only; the retries are quiet, and
        one that finds the commit made only pushes."""
        if git is None:
            raise GiveUp("EXPORT_GIT is not set")
        owed = batch.head.notice
        try:
            await git.commit(Path(owed.path), owed.message)
        except GitFailed as failed:
            if batch.head.attempts == 1:
                await exporter.git_failed(store, incident_id=owed.incident_id, path=owed.path,
                                          reason=str(failed))
            raise Retry(str(failed)) from None

    registry.add(CommitExport, commit)
