"""Every notice Slack delivers, registered with the outbound loop."""

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.domain import notices as n
from bot.outbound.errors import GiveUp, Retry
from bot.outbound.registry import Batch, Owed, Registry
from bot.slack.deliveries import access, channel, files, messages, people, pinned
from bot.slack.deliveries.workspace import Workspace
from bot.slack.webapi import error_code

N = TypeVar("N", bound=n.Notice)
Left = Sequence[Owed[N]] | None


def register(registry: Registry, ws: Workspace) -> None:
    def add(kind: type[N], deliver: Callable[[Workspace, Batch[N]], Awaitable[Left[N]]], *,
            coalesce: bool = False, paced: bool = False) -> None:
        async def send(batch: Batch[N]) -> Left[N]:
            try:
                return await deliver(ws, batch)
            except SlackApiError as exc:  # Slack's final word on this call as it is
                raise GiveUp(f"slack error: {error_code(exc)}") from None
            except SlackRequestError as exc:  # an upload's second host failing, say
                raise Retry(f"slack request: {exc}", held=True) from None

        registry.add(kind, send, coalesce=coalesce, paced=paced, system=ws.api)

    add(n.CreateChannel, channel.create_channel)
    add(n.Invite, channel.invite)
    add(n.InvitePeople, channel.invite_people)
    add(n.PostSummary, pinned.post_summary, paced=True)
    add(n.RefreshSummary, pinned.refresh_summary, coalesce=True)
    add(n.ChannelLine, messages.post, coalesce=True, paced=True)
    add(n.DirectMessage, messages.direct_message)
    add(n.Announcement, messages.announce)
    add(n.ToExecutives, messages.tell_executives)
    add(n.PostRunbook, pinned.post_runbook, paced=True)
    add(n.RefreshRunbook, pinned.refresh_runbook, coalesce=True)
    add(n.PostCheck, pinned.post_check, paced=True)
    add(n.PostAccess, access.post_access, paced=True)
    add(n.PostAccessCopy, access.post_access_copy)
    add(n.RefreshAccess, access.refresh_access, coalesce=True)
    add(n.UploadExport, files.upload_export)
    add(n.LookupUser, people.lookup_user)
    add(n.InviteOnCall, people.invite_oncall)
    add(n.CaptureMessage, people.capture_message)
    add(n.CheckPins, people.check_pins)
