"""Follow-through: action items, the postmortem draft and its export."""

from dataclasses import dataclass

from bot.domain.notices.base import ChannelLine, IncidentNotice
from bot.domain.notices.workspace import AboutIncident


@dataclass(frozen=True, kw_only=True)
class ActionItemAdded(ChannelLine):
    KIND = "action_item"
    user: str
    number: int
    text: str
    owner: str | None = None


@dataclass(frozen=True, kw_only=True)
class ActionDone(ChannelLine):
    KIND = "action_done"
    user: str
    number: int
    text: str


@dataclass(frozen=True, kw_only=True)
class ActionDue(ChannelLine):
    KIND = "action_due"
    user: str
    number: int
    text: str
    due: str


@dataclass(frozen=True, kw_only=True)
class ActionOverdue(AboutIncident):
    """To the item's owner, in a DM."""

    KIND = "action_overdue"
    number: int
    text: str
    due: str


@dataclass(frozen=True, kw_only=True)
class ActionOverdueUnowned(ChannelLine):
    KIND = "action_overdue_unowned"
    commander: str
    number: int
    text: str
    due: str


@dataclass(frozen=True, kw_only=True)
class PostmortemDue(ChannelLine):
    KIND = "postmortem_due"
    commander: str
    # How long ago it was resolved, as said.
    after: str


@dataclass(frozen=True, kw_only=True)
class UploadExport(IncidentNotice):
    """The postmortem draft, uploaded to the channel."""

    KIND = "upload_export"
    filename: str
    content: str
    # A re-export after resolve says so.
    updated: bool = False


@dataclass(frozen=True, kw_only=True)
class CommitExport(IncidentNotice):
    """An export to commit (and push) in the git work tree that holds it. A lane of its own:
    git being slow or failing holds up nothing said in Slack."""

    KIND = "export_git"
    LANE = ":git"
    path: str
    message: str


@dataclass(frozen=True, kw_only=True)
class ExportGitFailed(ChannelLine):
    KIND = "export_git_failed"
    file: str
    reason: str
