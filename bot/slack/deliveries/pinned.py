"""Messages re-rendered from state: the pinned summary and each attached runbook's steps, and a
check's output in the thread of its step."""

from bot.domain.incident import IncidentRecord
from bot.domain.notices import PostCheck, PostRunbook, PostSummary, RefreshRunbook, RefreshSummary
from bot.domain.runbook_progress import aborts
from bot.outbound.registry import Batch
from bot.runbooks.copies import RunbookView, runbook_views
from bot.services import deliveries
from bot.slack.deliveries.workspace import Workspace, channel_of
from bot.slack.posting import Packed, fitted
from bot.slack.render import runbook as render
from bot.slack.render.summary import summary


async def post_summary(ws: Workspace, batch: Batch[PostSummary]) -> None:
    record = await ws.record(batch)
    channel = channel_of(record)
    ts = record.incident.summary_ts
    if ts is None:
        text, summary_blocks = fitted(*summary(record, runbook_views(record), call=ws.call(record)))
        ts = await ws.post_once(batch, channel, Packed(text, summary_blocks, [str(batch.head.id)]))
        await deliveries.summary_posted(ws.store, incident_id=record.incident.id, ts=ts,
                                        shown=record.version)
    await ws.api.call("pins.add", channel=channel, timestamp=ts)


async def refresh_summary(ws: Workspace, batch: Batch[RefreshSummary]) -> None:
    record = await ws.record(batch)
    if record.incident.summary_ts is None:
        return  # still to be posted; it will show the state of then
    text, summary_blocks = fitted(*summary(record, runbook_views(record), call=ws.call(record)))
    # No blocks: an empty list, as Slack keeps a message's blocks when an update names none.
    await ws.api.call("chat.update", channel=channel_of(record), ts=record.incident.summary_ts,
                      text=text, blocks=summary_blocks or [])


def _view_of(record: IncidentRecord, attached_id: int) -> RunbookView:
    return next(v for v in runbook_views(record) if v.attached.id == attached_id)


def _runbook_message(ws: Workspace, record: IncidentRecord, view: RunbookView,
                     part: int) -> tuple[str, list[dict]]:
    """Staleness is judged now, by the bot's clock: a message refreshed later may say more."""
    return render.runbook_message(view, part, record.names, today=ws.store.clock().date(),
                                  stale_after=ws.runbook_stale_after,
                                  aborted=aborts(record.events).get(view.runbook.id))


async def post_runbook(ws: Workspace, batch: Batch[PostRunbook]) -> None:
    """Post every message of a runbook; remember each ts so clicks can update in place."""
    record = await ws.record(batch)
    item = batch.head
    view = _view_of(record, item.notice.attached)
    posted = list(view.attached.message_ts)
    for part in range(len(posted), len(render.runbook_parts(view))):
        text, message_blocks = _runbook_message(ws, record, view, part)
        # Each part is its own message: tag them apart so a retry finds the right one.
        packed = Packed(text, message_blocks, [f"{item.id}.{part}"])
        posted.append(await ws.post_once(batch, channel_of(record), packed))
        await deliveries.runbook_posted(ws.store, attached=view.attached, message_ts=posted,
                                        shown=record.version)


async def refresh_runbook(ws: Workspace, batch: Batch[RefreshRunbook]) -> None:
    """One update per message that shows a step clicked since: the state of now."""
    record = await ws.record(batch)
    view = _view_of(record, batch.head.notice.attached)
    steps = {item.notice.step for item in batch.items}
    parts = range(len(render.runbook_parts(view))) if None in steps else \
        sorted({render.part_of_step(view, step) for step in steps if step is not None})
    for part in parts:
        if part >= len(view.attached.message_ts):
            continue  # still to be posted; it will show the state of then
        text, message_blocks = _runbook_message(ws, record, view, part)
        await ws.api.call("chat.update", channel=channel_of(record),
                          ts=view.attached.message_ts[part], text=text, blocks=message_blocks)


async def post_check(ws: Workspace, batch: Batch[PostCheck]) -> None:
    record = await ws.record(batch)
    said = batch.head.notice
    view = _view_of(record, said.attached)
    posted = view.attached.message_ts
    part = render.part_of_step(view, said.step)
    thread = posted[part] if part < len(posted) else None
    text = render.check_output(said, record.names)
    await ws.post_once(batch, channel_of(record), Packed(text, None, [str(batch.head.id)]),
                       thread_ts=thread)
