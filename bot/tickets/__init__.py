"""Action items as tickets in the organisation's tracker (GitHub issues or Jira)."""

from bot.org_settings import OrgSettings
from bot.outbound.metrics import OutboundCalls
from bot.tickets.errors import Busy, Refused
from bot.tickets.github import GitHubIssues
from bot.tickets.jira import JiraIssues
from bot.tickets.model import Draft, Ticket, Tracker

__all__ = ["Busy", "Draft", "GitHubIssues", "JiraIssues", "Refused", "Ticket", "Tracker",
           "tracker_of"]


def tracker_of(settings: OrgSettings, calls: OutboundCalls | None = None) -> Tracker | None:
    """The tracker `TICKETS` names, or None when action items stay in the bot only."""
    if settings.tickets == "github" and settings.github_repo and settings.github_token:
        return GitHubIssues(repo=settings.github_repo, token=settings.github_token,
                            url=settings.github_api_url, calls=calls)
    if settings.tickets == "jira" and settings.jira_url and settings.jira_project \
            and settings.jira_token:
        return JiraIssues(url=settings.jira_url, project=settings.jira_project,
                          token=settings.jira_token, email=settings.jira_email, calls=calls)
    return None
