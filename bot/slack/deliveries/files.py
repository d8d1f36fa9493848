"""The postmortem draft, uploaded into the incident channel."""

from bot.domain.notices import UploadExport
from bot.outbound.registry import Batch
from bot.slack.deliveries.workspace import Workspace, channel_of


async def upload_export(ws: Workspace, batch: Batch[UploadExport]) -> None:
    record = await ws.record(batch)
    owed = batch.head.notice
    comment = (f"Postmortem draft updated: `{owed.filename}`" if owed.updated else
               f"Postmortem draft for {record.incident.ref}: `{owed.filename}`")
    await ws.api.call("files_upload_v2", channel=channel_of(record), content=owed.content,
                      filename=owed.filename, title=owed.filename, initial_comment=comment)
