"""Capturing what is said in an incident channel: a 📌 or the Add to timeline shortcut puts a
message on the timeline as a `log` by its author, at the time it was said, once per message.

Asking is recorded first and the capture owed: the message, its permalink and people's
names come from Slack through the outbox (bot/slack/deliveries/people.py), which records the capture
when Slack answers, however long that takes. When the last 📌 comes off a message that a
pin captured, `log_retracted` is recorded: the timeline is append-only, so the capture
stays, marked as taken back. Going by the 📌 left on the message, not by who pinned first,
keeps the record in step with what the channel shows when several people pinned it.
"""

from enum import StrEnum

from bot.domain import notices
from bot.domain.authz import Action, Judge
from bot.domain.captures import Capture, Said, Via
from bot.domain.incident import Incident
from bot.domain.timeline import TimelineEvent
from bot.services.authz import permit
from bot.services.caller import Caller
from bot.services.context import event
from bot.storage.store import Store, Tx


class Asked(StrEnum):
    OWED = "owed"  # recorded as soon as Slack hands over what it needs
    ALREADY = "already"  # on the timeline, or owed to it, already
    NOT_AN_INCIDENT = "not_an_incident"
    REPEAT = "repeat"  # a delivery Slack made before


async def ask(store: Store, *, delivery: str, channel_id: str, ts: str, by: str, via: Via,
              judge: Judge, by_name: str = "", said: Said | None = None,
              reply_to: str | None = None) -> Asked:
    """`delivery` names the request for exactly-once; `said`: the message, when Slack sent it
    along (the shortcut does; a reaction names the message only); `reply_to`: where to answer
    the person who asked, should the message turn out not to be capturable. The policy is
    asked as `capture` by the person who asked."""
    async with store.transaction(queue=channel_id) as tx:
        if not await tx.first_delivery_of_event(delivery):
            return Asked.REPEAT
        incident = await tx.incident_by_channel(channel_id, lock=True)
        if incident is None:
            return Asked.NOT_AN_INCIDENT
        asker = Caller(user_id=by, user_name=by_name, channel_id=channel_id, trigger_id=delivery,
                       judge=judge)
        await permit(tx, asker, Action.CAPTURE, incident, via=str(via))
        await tx.remember_user(by, by_name)
        held = await tx.captured_message(channel_id, ts)
        if held is not None:
            if via is Via.SHORTCUT and held.by_pin:
                # Now asked for by name: taking the 📌 off no longer takes it back.
                held.by_pin = False
                await tx.save_captured_message(held)
            return Asked.ALREADY
        await tx.save_captured_message(Capture(incident.id, channel_id, ts, by_pin=via is Via.PIN))
        tx.notify(notices.CaptureMessage(incident_id=incident.id, channel=channel_id, ts=ts,
                                         by=by, via=str(via), said=said, reply_to=reply_to))
        return Asked.OWED


async def recorded(store: Store, *, incident_id: int, channel_id: str, said: Said,
                   permalink: str, by: str, via: str, names: dict[str, str]) -> bool:
    """Record an owed capture, Slack having answered. False when there is none to record:
    it was dropped meanwhile, or an attempt whose outcome went unseen recorded it."""
    async with store.transaction(queue=channel_id) as tx:
        _, held = await _locked(tx, incident_id, channel_id, said.ts)
        if held is None or held.seq is not None:
            return False
        await _remember(tx, names)
        data: dict[str, object] = {"channel": channel_id, "ts": said.ts, "permalink": permalink,
                                   "via": via, "captured_by": by, "captured_at": tx.now.isoformat()}
        if said.thread_ts:
            data["thread_ts"] = said.thread_ts
        if said.files:
            data["files"] = said.files
        entry = await tx.append(TimelineEvent(
            incident_id=incident_id, seq=0, at=said.at, actor_id=said.author, action="log",
            details=said.details(permalink), data=data))
        held.seq, held.permalink = entry.seq, permalink
        await tx.save_captured_message(held)
        tx.notify(notices.Captured(incident_id=incident_id, user=by, author=said.author,
                                   link=permalink))
        return True


async def dropped(store: Store, *, incident_id: int, channel_id: str, ts: str) -> None:
    """An owed capture Slack will not complete (the message is gone, or is the bot's own):
    let it go, so that pinning the message again asks again."""
    async with store.transaction(queue=channel_id) as tx:
        _, held = await _locked(tx, incident_id, channel_id, ts)
        if held is not None and held.seq is None:
            await tx.drop_captured_message(channel_id, ts)


async def unpinned(store: Store, *, delivery: str, channel_id: str, ts: str, by: str) -> bool:
    """A 📌 came off a message: if a pin captured it, Slack is asked whether any is left.
    True when that is owed."""
    async with store.transaction(queue=channel_id) as tx:
        if not await tx.first_delivery_of_event(delivery):
            return False
        incident = await tx.incident_by_channel(channel_id, lock=True)
        if incident is None:
            return False
        held = await tx.captured_message(channel_id, ts)
        if held is None or not held.by_pin:
            return False
        tx.notify(notices.CheckPins(incident_id=incident.id, channel=channel_id, ts=ts, by=by))
        return True


async def retract(store: Store, *, incident_id: int, channel_id: str, ts: str, by: str,
                  names: dict[str, str]) -> bool:
    """No 📌 is left on a message a pin captured: `log_retracted`, once, naming the capture.
    Pinned again later, the message is captured again."""
    async with store.transaction(queue=channel_id) as tx:
        incident, held = await _locked(tx, incident_id, channel_id, ts)
        if incident is None or held is None or held.seq is None or not held.by_pin:
            return False
        await _remember(tx, names)
        await tx.append(event(tx, incident, by, "log_retracted",
                              f"last pin removed: {held.permalink}", retracts=held.seq,
                              channel=channel_id, ts=ts))
        await tx.drop_captured_message(channel_id, ts)
        tx.notify(notices.CaptureRetracted(incident_id=incident_id, user=by,
                                           link=held.permalink))
        return True


async def _locked(tx: Tx, incident_id: int, channel_id: str,
                  ts: str) -> tuple[Incident | None, Capture | None]:
    """The incident, locked so that what changes a capture waits its turn, and the capture."""
    incident = await tx.incident(incident_id, lock=True)
    return incident, (await tx.captured_message(channel_id, ts) if incident else None)


async def _remember(tx: Tx, names: dict[str, str]) -> None:
    for user_id, name in names.items():
        await tx.remember_user(user_id, name)
