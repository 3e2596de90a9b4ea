"""The one delivery pipeline: every push the scheduler makes (reminders to committee groups, the
weekly knowledge to staff groups) goes out exactly once through here.

Exactly once, per delivery key and LINE group, rests on the row in ``deliveries``:

1. **claim**: insert-or-ignore on the unique (delivery_key, recipient), committed *before* the
   push, so a second clock, a double tick or a restart finds the row and stays away. A row that
   ``failed``, or that is still ``sending`` long after a process died mid-push, is taken again by
   compare-and-set on its attempt count: of two processes retaking it at once, one wins;
2. **push** with a deterministic ``X-Line-Retry-Key`` (uuid5), so pushing again after a crash is
   answered 409 by LINE instead of delivering twice;
3. **mark sent** with LINE's request id and the group's member count, in one transaction with
   the reach-log event; or **mark failed** with the reason, so a later call retries.

What LINE refuses is not retried: a 400 (the request itself is wrong) is recorded ``refused``
and never sent again; a 429 "You have reached your monthly limit." is recorded ``held`` and is
tried again only in the next month (Bangkok), as is a push the quota guard stopped: before each
push the channel's quota and this month's consumption are read (GET /v2/bot/message/quota and
/v2/bot/message/quota/consumption), and a push that would exceed it (messages × members of the
group, as LINE counts a push to a group) is held with the reason. A reminder still held when
its grace window closes is recorded missed like any other.

Reminders due for one group at one tick go out together (``deliver_digest``): each keeps its own
row and is claimed once, and the one push carries one retry key, recorded on every row it
claimed, so a retry re-sends the same digest under the same key.

No network call is made while a database transaction is open. The callers (``reminders``,
``knowledge_push``) say what to send, to whom, and which event to log.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Literal, Sequence

from linebot.v3.messaging.models import Message
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.core.calendar import to_bangkok
from bot.core.database import Database, insert_ignoring_duplicates
from bot.core.line_client import LineApiError, LineClient, Quota
from bot.core.tables import ChatGroup, InteractionEvent
from scheduler.tables import Delivery

logger = logging.getLogger(__name__)

REMINDER = "reminder"
KNOWLEDGE = "knowledge"
FEEDBACK = "feedback"  # the committee's daily 👎 digest

# What each kind of push is, as the secretary reads it (other modules' purposes included).
PURPOSE_LABELS: dict[str, str] = {
    REMINDER: "แจ้งเตือนกิจกรรมตามแผน",
    KNOWLEDGE: "ความรู้ประจำสัปดาห์",
    FEEDBACK: "สรุปคำตอบที่มีผู้กด 👎",
    "experts": "คำถามถึงผู้รู้/คำตอบถึงผู้ถาม",
    "survey": "แบบสอบถามความพึงพอใจ",
}
# Why a push has not arrived, in plain Thai, by its row's state.
UNDELIVERED_STATES: dict[str, str] = {
    "held": "รอโควตาข้อความของเดือนถัดไป (ข้อความฟรีของเดือนนี้หมดแล้ว) ระบบจะส่งให้เองเมื่อขึ้นเดือนใหม่",
    "refused": "LINE ไม่รับข้อความนี้ (เช่น บอทไม่ได้อยู่ในกลุ่มแล้ว หรือผู้รับบล็อกบอท) ระบบจะไม่ส่งซ้ำ",
    "failed": "ส่งไม่สำเร็จชั่วคราว ระบบกำลังลองส่งใหม่อัตโนมัติ",
}

MAX_ERROR_CHARS = 300  # the `error` column of `deliveries`

# What a claim answers instead of the right to push.
BUSY = "busy"  # another process is pushing it right now
DONE = "done"  # sent, missed or refused already: nothing to do
HELD = "held"  # waiting for next month's message allowance

UNIQUE_KEY = ("delivery_key", "recipient")


def retry_key(namespace: uuid.UUID, text: str) -> str:
    """The X-Line-Retry-Key: the same text under the same namespace always gives the same key."""
    return str(uuid.uuid5(namespace, text))


@dataclass(frozen=True)
class Parcel:
    """One push to one LINE group (or one person): what the row records and what the push needs."""

    purpose: str  # REMINDER or KNOWLEDGE
    key: str
    recipient: str  # the LINE group id
    retry_key: str
    group_id: int | None = None
    group_kind: str = "group"  # "group", "room" (for LINE's member count) or "user" (one person)
    last_known_members: int | None = None
    reminder_kind: str | None = None
    activity_id: int | None = None
    article_id: int | None = None
    planned_at: datetime | None = None

    def row_values(self) -> dict[str, object]:
        return {
            "purpose": self.purpose,
            "delivery_key": self.key,
            "recipient": self.recipient,
            "group_id": self.group_id,
            "reminder_kind": self.reminder_kind,
            "activity_id": self.activity_id,
            "article_id": self.article_id,
            "planned_at": self.planned_at,
            "retry_key": self.retry_key,
        }


@dataclass(frozen=True)
class Claim:
    """The right to push one delivery row, held while `attempts` on the row is unchanged."""

    row_id: int
    attempts: int
    # The state the row was retaken from ("failed" or a stale "sending"); None when new.
    retaken_from: str | None = None
    # The retry key stored on the row: the push it went out in (or will); None before digests.
    retry_key: str | None = None


@dataclass(frozen=True)
class Sent:
    """A push LINE accepted, as the caller's reach-log event needs it."""

    parcel: Parcel
    at: datetime
    request_id: str | None
    already_delivered: bool
    member_count: int | None
    member_count_source: str
    message_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What became of one parcel: sent, failed, busy (another process has it), done (sent or
    missed before), or superseded (another process took the row over during the push)."""

    status: Literal["sent", "failed", "busy", "done", "superseded", "refused", "held"]
    request_id: str | None = None
    already_delivered: bool = False
    error: str | None = None
    # LINE's ids of the messages this push sent (empty for a retry LINE answered 409).
    message_ids: tuple[str, ...] = ()


# --- the pipeline -------------------------------------------------------------------------


def deliver(
    database: Database,
    line_client: LineClient,
    parcel: Parcel,
    messages: list[Message],
    now: datetime,
    *,
    stale_after: timedelta,
    event: Callable[[Sent], InteractionEvent],
    what: str,
) -> Outcome:
    """Claim, push and record one parcel; ``event`` builds the reach-log event for a sent push."""
    outcomes = deliver_digest(
        database, line_client, [parcel], lambda _parcels: messages, now,
        stale_after=stale_after, digest_key=lambda parcels: parcels[0].retry_key,
        event=lambda sent: [event(sent[0])], what=what,
    )
    return outcomes[parcel.key]


def deliver_digest(
    database: Database,
    line_client: LineClient,
    parcels: Sequence[Parcel],
    build: Callable[[list[Parcel]], list[Message]],
    now: datetime,
    *,
    stale_after: timedelta,
    digest_key: Callable[[list[Parcel]], str],
    event: Callable[[list[Sent]], list[InteractionEvent]],
    what: str,
) -> dict[str, Outcome]:
    """Claim every parcel (all to one LINE group), push those claimed together as one push, and
    record each; the outcome of every parcel, by its key.

    Each parcel keeps its own row and is claimed once. The parcels claimed anew travel together
    under one retry key, ``digest_key`` of their set, written on each of their rows in the
    claim's transaction; rows retaken after a failure or a crash go out again as the digest
    their stored retry key names, so LINE answers 409 if that digest got through before.
    ``build`` turns a digest's parcels into its messages; ``event`` the sent parcels of one
    push into its reach-log events.
    """
    batches, outcomes = claim_digest(database, parcels, now, stale_after=stale_after, digest_key=digest_key)
    for batch in batches:
        outcomes.update(_push_batch(database, line_client, batch, build, now, event=event, what=what))
    return outcomes


@dataclass(frozen=True)
class Batch:
    """Parcels claimed to go out together in one push, under one retry key."""

    retry_key: str
    claims: list[tuple[Parcel, "Claim"]]

    @property
    def parcels(self) -> list[Parcel]:
        return [parcel for parcel, _ in self.claims]


def claim_digest(
    database: Database,
    parcels: Sequence[Parcel],
    now: datetime,
    *,
    stale_after: timedelta,
    digest_key: Callable[[list[Parcel]], str],
) -> tuple[list[Batch], dict[str, Outcome]]:
    """Claim the parcels in one transaction, committed before any push: the batches to push (rows
    retaken under their stored retry key first, then the new ones under ``digest_key``), and the
    outcome of each parcel that was not claimed (busy, done or held)."""
    unclaimed: dict[str, Outcome] = {}
    retaken: dict[str, list[tuple[Parcel, Claim]]] = {}
    fresh: list[tuple[Parcel, Claim]] = []
    with database.session() as session:
        # One order for every process, so two clocks claiming the same rows cannot deadlock.
        for parcel in sorted(parcels, key=lambda parcel: parcel.key):
            claim = _claim(session, parcel, now, stale_after=stale_after)
            if not isinstance(claim, Claim):
                unclaimed[parcel.key] = Outcome(claim)
            elif claim.retaken_from is None:
                fresh.append((parcel, claim))
            else:
                # A row from before digests has no stored key: it was pushed alone, with its own.
                retaken.setdefault(claim.retry_key or parcel.retry_key, []).append((parcel, claim))
        batches = [Batch(key, claims) for key, claims in retaken.items()]
        if fresh:
            key = digest_key([parcel for parcel, _ in fresh])
            session.execute(
                update(Delivery)
                .where(Delivery.id.in_([claim.row_id for _, claim in fresh]))
                .values(retry_key=key)
                .execution_options(synchronize_session=False)
            )
            batches.append(Batch(key, fresh))
    return batches, unclaimed


def _push_batch(
    database: Database,
    line_client: LineClient,
    batch: Batch,
    build: Callable[[list[Parcel]], list[Message]],
    now: datetime,
    *,
    event: Callable[[list[Sent]], list[InteractionEvent]],
    what: str,
) -> dict[str, Outcome]:
    parcels = batch.parcels
    first = parcels[0]
    if len(parcels) > 1:
        what = f"{what} ({len(parcels)} in one push)"

    def every(outcome: Outcome) -> dict[str, Outcome]:
        return {parcel.key: outcome for parcel in parcels}

    def failed(reason: str, state: str = "failed") -> None:
        for _, claim in batch.claims:
            mark_failed(database, claim, reason, state=state)

    if any(claim.retaken_from == "sending" for _, claim in batch.claims):
        logger.warning("%s was left mid-push; pushing again with its retry key", what)
    messages = build(parcels)
    over_quota = quota_shortfall(line_client, first, len(messages))
    if over_quota is not None:
        logger.warning("%s held: %s", what, over_quota)
        failed(over_quota, HELD)
        return every(Outcome(HELD, error=over_quota))
    try:
        delivery = line_client.push(first.recipient, messages, retry_key=batch.retry_key)
    except Exception as error:  # any other failure leaves the rows retryable
        reason = push_failure_reason(error, what)
        if isinstance(error, LineApiError) and error.refused:
            logger.error("%s refused by LINE; it will not be sent again: %s", what, reason)
            failed(reason, "refused")
            return every(Outcome("refused", error=reason))
        if isinstance(error, LineApiError) and error.monthly_limit:
            logger.error("%s held until next month: %s", what, reason)
            failed(reason, HELD)
            return every(Outcome(HELD, error=reason))
        failed(reason)
        return every(Outcome("failed", error=reason))
    member_count, source = member_count_of(line_client, first)
    outcomes: dict[str, Outcome] = {}
    recorded: list[Sent] = []
    with database.session() as session:
        for parcel, claim in batch.claims:
            sent = Sent(parcel, now, delivery.request_id, delivery.already_delivered, member_count, source,
                        delivery.message_ids)
            if mark_sent(session, claim, sent):
                recorded.append(sent)
                outcomes[parcel.key] = Outcome(
                    "sent", request_id=delivery.request_id, already_delivered=delivery.already_delivered,
                    message_ids=delivery.message_ids,
                )
            else:
                # Another process took the row over meanwhile and records the push itself.
                outcomes[parcel.key] = Outcome("superseded")
        if source == "line" and first.group_id is not None:
            session.execute(
                update(ChatGroup)
                .where(ChatGroup.id == first.group_id)
                .values(member_count=member_count, member_count_at=now)
            )
        if recorded:
            session.add_all(event(recorded))
    return outcomes


def claim_delivery(database: Database, parcel: Parcel, now: datetime, *, stale_after: timedelta) -> Claim | str:
    """Take the right to push this parcel, committed before the push; else BUSY or DONE."""
    with database.session() as session:
        return _claim(session, parcel, now, stale_after=stale_after)


def _claim(session: Session, parcel: Parcel, now: datetime, *, stale_after: timedelta) -> Claim | str:
    row_id = insert_ignoring_duplicates(
        session,
        Delivery,
        {**parcel.row_values(), "state": "sending", "claimed_at": now, "attempts": 1},
        unique_columns=UNIQUE_KEY,
    )
    if row_id is not None:
        return Claim(row_id, 1, retry_key=parcel.retry_key)
    found = session.execute(
        select(Delivery.id, Delivery.state, Delivery.attempts, Delivery.claimed_at, Delivery.retry_key)
        .where(Delivery.delivery_key == parcel.key, Delivery.recipient == parcel.recipient)
    ).one()
    row_id, state, attempts, claimed_at, stored_retry_key = found
    if state == "sending" and not is_stale(claimed_at, now, stale_after):
        return BUSY
    if state == HELD and _same_month(claimed_at, now):
        return HELD
    if state not in ("failed", "sending", HELD):
        return DONE
    refreshed = {"article_id": parcel.article_id} if parcel.article_id is not None else {}
    # Compare-and-set on the attempt count: of two processes retaking it at once, one wins.
    changed = session.execute(
        update(Delivery)
        .where(Delivery.id == row_id, Delivery.state == state, Delivery.attempts == attempts)
        .values(state="sending", claimed_at=now, attempts=attempts + 1, **refreshed)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        return BUSY
    return Claim(row_id, attempts + 1, retaken_from=state, retry_key=stored_retry_key)


def mark_sent(session: Session, claim: Claim, sent: Sent) -> bool:
    """Record the push as sent, unless another process has taken the row over since."""
    changed = session.execute(
        update(Delivery)
        .where(Delivery.id == claim.row_id, Delivery.state == "sending", Delivery.attempts == claim.attempts)
        .values(
            state="sent",
            sent_at=sent.at,
            line_request_id=sent.request_id,
            recipients_count=sent.member_count,
            member_count_source=sent.member_count_source,
            error=None,
        )
        .execution_options(synchronize_session=False)
    )
    return changed.rowcount == 1


def mark_failed(database: Database, claim: Claim, reason: str, *, state: str = "failed") -> None:
    """Record why the push failed (``failed``: a later call retries it; ``refused``: never;
    ``held``: next month), unless another process has the row now."""
    with database.session() as session:
        session.execute(
            update(Delivery)
            .where(Delivery.id == claim.row_id, Delivery.state == "sending", Delivery.attempts == claim.attempts)
            .values(state=state, error=reason[:MAX_ERROR_CHARS])
            .execution_options(synchronize_session=False)
        )


def record_missed(session: Session, parcel: Parcel, now: datetime, reason: str) -> bool:
    """A parcel never pushed whose time has passed: recorded ``missed``; True when this call did."""
    values = {**parcel.row_values(), "state": "missed", "claimed_at": now, "attempts": 0, "error": reason}
    return insert_ignoring_duplicates(session, Delivery, values, unique_columns=UNIQUE_KEY) is not None


def give_up(session: Session, row: Delivery, now: datetime, *, stale_after: timedelta, reason: str) -> bool:
    """A failed row, or one left ``sending`` by a process that died, recorded ``missed`` instead
    of being retried; True when this call did (compare-and-set, like a claim)."""
    if not (row.state in ("failed", HELD) or (row.state == "sending" and is_stale(row.claimed_at, now, stale_after))):
        return False
    error = ((row.error or "") + "; " + reason).strip("; ")[:MAX_ERROR_CHARS]
    changed = session.execute(
        update(Delivery)
        .where(Delivery.id == row.id, Delivery.state == row.state, Delivery.attempts == row.attempts)
        .values(state="missed", error=error)
        .execution_options(synchronize_session=False)
    )
    return changed.rowcount == 1


def _same_month(claimed_at: datetime, now: datetime) -> bool:
    """LINE's message allowance is per calendar month; kmbot reads months in Bangkok time."""
    then, current = to_bangkok(claimed_at), to_bangkok(now)
    return (then.year, then.month) == (current.year, current.month)


def quota_shortfall(line_client: LineClient, parcel: Parcel, message_count: int) -> str | None:
    """Why this push must wait for next month's allowance, or None when it fits (or LINE cannot
    say: an unreadable quota never stops a reminder)."""
    try:
        quota: Quota = line_client.quota()
    except (LineApiError, ValueError, KeyError):
        logger.warning("message quota unavailable; pushing without the guard")
        return None
    units = message_count * max(1, parcel.last_known_members or 1)
    if quota.allows(units):
        return None
    return (f"monthly message quota would be exceeded: {quota.used} of {quota.limit} used, "
            f"this push needs {units}")


def is_stale(claimed_at: datetime, now: datetime, stale_after: timedelta) -> bool:
    """A "sending" row this old belongs to a process that died mid-push."""
    return to_bangkok(claimed_at) <= to_bangkok(now) - stale_after


# --- the parts ----------------------------------------------------------------------------


def push_failure_reason(error: Exception, what: str) -> str:
    """LINE's answer for a refused push; the exception's type (logged with its traceback) otherwise."""
    if isinstance(error, LineApiError):
        return str(error)[:MAX_ERROR_CHARS]
    logger.exception("%s could not be pushed", what)
    return type(error).__name__


def member_count_of(line_client: LineClient, parcel: Parcel) -> tuple[int | None, str]:
    """The group's size at send time and where it came from: "line", "last_known" or "unknown"."""
    if parcel.group_kind == "user":
        # A push to one person reaches one person; LINE has no member count to ask for.
        return 1, "line"
    count = member_count_now(line_client, parcel.recipient, parcel.group_kind)
    if count is not None:
        return count, "line"
    if parcel.last_known_members is not None:
        return parcel.last_known_members, "last_known"
    return None, "unknown"


def member_count_now(line_client: LineClient, line_group_id: str, kind: str) -> int | None:
    """The group's size as LINE reports it now; None when LINE cannot say."""
    try:
        return line_client.member_count(line_group_id, kind)
    except (LineApiError, ValueError, KeyError):
        logger.warning("member count of a group unavailable; using the last known value")
        return None


@dataclass(frozen=True)
class UndeliveredPush:
    """A push that has not reached its group, for the secretary's dashboard."""

    purpose: str
    recipient: str
    group_id: int | None
    state: str
    claimed_at: datetime
    attempts: int

    @property
    def purpose_label(self) -> str:
        return PURPOSE_LABELS.get(self.purpose, self.purpose)

    @property
    def reason(self) -> str:
        return UNDELIVERED_STATES[self.state]


def undelivered_pushes(session: Session, since: datetime, limit: int = 50) -> list[UndeliveredPush]:
    """Pushes since `since` that are held for the quota, refused by LINE, or still failing; newest first."""
    return [
        UndeliveredPush(row.purpose, row.recipient, row.group_id, row.state, row.claimed_at, row.attempts)
        for row in session.scalars(
            select(Delivery)
            .where(Delivery.state.in_(tuple(UNDELIVERED_STATES)), Delivery.claimed_at >= since)
            .order_by(Delivery.claimed_at.desc(), Delivery.id.desc())
            .limit(limit)
        )
    ]
