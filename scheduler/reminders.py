"""The database edge of the reminder policy: what is planned, what each reminder's state is, and
sending what is due exactly once.

Exactly once, per reminder and committee group, rests on the ``reminder_deliveries`` row:

1. the row is claimed (insert-or-ignore on the unique (reminder_key, recipient)) and committed
   *before* the push, so a second clock, a double tick or a restart finds it and stays away;
2. the push carries a deterministic ``X-Line-Retry-Key`` (uuid5 of the key and the recipient),
   so pushing again after a crash is answered 409 by LINE instead of delivering twice;
3. the row is marked ``sent`` with LINE's request id, together with the reach-log event.

A row left in ``sending`` by a process that died mid-push is pushed again (same retry key) once
it is older than a few minutes; a push that failed stays retryable until the reminder's grace
window closes; a reminder whose window closed unsent is recorded ``missed`` and never sent late.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from bot.core.calendar import to_bangkok
from bot.core.config import Config
from bot.core.database import Database, insert_ignoring_duplicates
from bot.core.line_client import LineClient
from bot.core.tables import ChatGroup, InteractionEvent
from kb.tables import Activity, Plan
from scheduler.deliveries import (
    Claim,
    mark_claim,
    member_count_now,
    push_failure_reason,
)
from scheduler.policy import (
    DEFAULT_GRACE,
    ActivitySchedule,
    PlannedReminder,
    ReminderSettings,
    plan_reminders,
    reminder_state,
)
from scheduler.reminder_card import reminder_messages
from scheduler.tables import ReminderDelivery

logger = logging.getLogger(__name__)

# A push (with the LINE client's own retries) ends within a minute; a row still "sending" after
# this long belongs to a process that died mid-push.
STALE_SENDING_AFTER = timedelta(minutes=5)

# What `_claim` answers when another process is pushing the reminder right now.
_BUSY = "busy"

# Fixed forever: changing it would change every retry key and let LINE deliver a retry twice.
RETRY_KEY_NAMESPACE = uuid.UUID("6f1c3c56-5a0e-4c55-9d86-6a0b5f3f8e21")


@dataclass(frozen=True)
class ReminderPolicy:
    """The policy's settings plus how long a reminder may still be sent after its time."""

    settings: ReminderSettings = field(default_factory=ReminderSettings)
    grace: timedelta = DEFAULT_GRACE
    stale_sending_after: timedelta = STALE_SENDING_AFTER

    @classmethod
    def from_config(cls, config: Config) -> "ReminderPolicy":
        holidays = frozenset(
            day if isinstance(day, date) else date.fromisoformat(str(day).strip())
            for day in config.reminder_holidays
        )
        settings = ReminderSettings(
            days_before=tuple(config.reminder_days_before),
            hour=config.reminder_hour,
            holidays=holidays,
        )
        return cls(settings=settings, grace=timedelta(hours=config.reminder_grace_hours))


def as_policy(policy: ReminderPolicy | ReminderSettings | None) -> ReminderPolicy:
    if isinstance(policy, ReminderPolicy):
        return policy
    return ReminderPolicy(settings=policy or ReminderSettings())


def retry_key_for(reminder_key: str, recipient: str) -> str:
    """The same reminder to the same group always carries the same X-Line-Retry-Key."""
    return str(uuid.uuid5(RETRY_KEY_NAMESPACE, f"{reminder_key}|{recipient}"))


# --- what is planned ----------------------------------------------------------------------


def activity_schedule(activity: Activity) -> ActivitySchedule:
    done_at = to_bangkok(activity.done_at) if activity.status == "done" and activity.done_at else None
    return ActivitySchedule(
        activity_id=activity.id,
        start=activity.start,
        deadline=activity.deadline,
        open_ended=activity.open_ended,
        done_at=done_at,
    )


def planned_reminders(session: Session, policy: ReminderPolicy) -> list[tuple[Activity, PlannedReminder]]:
    """Every reminder the policy plans for every imported activity, past and future, by time."""
    activities = session.scalars(
        select(Activity)
        .join(Plan)
        .where(Activity.deadline.is_not(None))
        .options(selectinload(Activity.plan))
        .order_by(Plan.fiscal_year, Plan.number, Activity.position)
    ).all()
    planned = [
        (activity, reminder)
        for activity in activities
        for reminder in plan_reminders(activity_schedule(activity), policy.settings)
    ]
    planned.sort(key=lambda pair: (pair[1].at, pair[1].key))
    return planned


def committee_groups(session: Session) -> list[ChatGroup]:
    """The groups that get reminders: active, and given the role ``committee``."""
    return list(
        session.scalars(
            select(ChatGroup).where(ChatGroup.role == "committee", ChatGroup.active.is_(True)).order_by(ChatGroup.id)
        )
    )


# --- preview ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderPreview:
    activity_id: int
    kind: str
    at: datetime
    recipients: list[str]
    state: str
    key: str
    sequence: int
    step: str
    name: str
    plan: int
    fiscal_year: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "activity_id": self.activity_id,
            "kind": self.kind,
            "at": self.at.isoformat(),
            "recipients": list(self.recipients),
            "state": self.state,
            "key": self.key,
            "sequence": self.sequence,
            "step": self.step,
            "name": self.name,
            "plan": self.plan,
            "fiscal_year": self.fiscal_year,
        }


def preview_reminders(
    session: Session, policy: ReminderPolicy, now: datetime, from_date: date | None = None
) -> list[ReminderPreview]:
    """Each planned reminder with its state: pending, sent, missed or cancelled."""
    now = to_bangkok(now)
    planned = planned_reminders(session, policy)
    current_recipients = [group.line_group_id for group in committee_groups(session)]
    rows_by_key: dict[str, list[ReminderDelivery]] = defaultdict(list)
    for row in _deliveries_for(session, {reminder.key for _, reminder in planned}):
        rows_by_key[row.reminder_key].append(row)
    sent_keys = {key for key, rows in rows_by_key.items() if any(row.state == "sent" for row in rows)}
    previews = []
    for activity, reminder in planned:
        if from_date is not None and reminder.at.date() < from_date:
            continue
        schedule = activity_schedule(activity)
        state = reminder_state(reminder, now=now, sent_keys=sent_keys, done_at=schedule.done_at, grace=policy.grace)
        rows = rows_by_key.get(reminder.key, [])
        if state == "sent":
            recipients = sorted(row.recipient for row in rows if row.state == "sent")
        elif state == "missed" and rows:
            recipients = sorted(row.recipient for row in rows)
        elif state == "cancelled":
            recipients = []
        else:
            recipients = list(current_recipients)
        previews.append(
            ReminderPreview(
                activity_id=activity.id,
                kind=reminder.kind,
                at=reminder.at,
                recipients=recipients,
                state=state,
                key=reminder.key,
                sequence=reminder.sequence,
                step=activity.step,
                name=activity.name,
                plan=activity.plan.number,
                fiscal_year=activity.plan.fiscal_year,
            )
        )
    return previews


def _deliveries_for(session: Session, keys: set[str]) -> list[ReminderDelivery]:
    if not keys:
        return []
    return list(session.scalars(select(ReminderDelivery).where(ReminderDelivery.reminder_key.in_(sorted(keys)))))


# --- sending ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TickItem:
    """One reminder to one group, as a tick handled it."""

    key: str
    kind: str
    activity_id: int
    step: str
    name: str
    recipient: str
    planned_at: datetime
    request_id: str | None = None
    already_delivered: bool = False
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "activity_id": self.activity_id,
            "step": self.step,
            "name": self.name,
            "recipient": self.recipient,
            "planned_at": self.planned_at.isoformat(),
            "request_id": self.request_id,
            "already_delivered": self.already_delivered,
            "error": self.error,
        }


@dataclass
class TickReport:
    now: datetime
    sent: list[TickItem] = field(default_factory=list)
    missed: list[TickItem] = field(default_factory=list)
    failed: list[TickItem] = field(default_factory=list)
    # Claimed by another process right now; it will finish them.
    in_progress: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "now": self.now.isoformat(),
            "sent": [item.as_dict() for item in self.sent],
            "missed": [item.as_dict() for item in self.missed],
            "failed": [item.as_dict() for item in self.failed],
            "in_progress": self.in_progress,
        }


@dataclass(frozen=True)
class _Recipient:
    """What sending needs of a group, read once so pushes run outside any transaction."""

    group_id: int
    line_group_id: str
    kind: str
    member_count: int | None
    joined_at: datetime


def send_due_reminders(
    database: Database,
    line_client: LineClient,
    now: datetime,
    policy: ReminderPolicy | ReminderSettings | None = None,
) -> TickReport:
    """Send every reminder due at ``now`` that was not sent yet to each committee group, once;
    record as missed those whose grace window closed unsent."""
    policy = as_policy(policy)
    now = to_bangkok(now)
    report = TickReport(now=now)
    with database.session() as session:
        planned = planned_reminders(session, policy)
        recipients = [
            _Recipient(group.id, group.line_group_id, group.kind, group.member_count, to_bangkok(group.joined_at))
            for group in committee_groups(session)
        ]
        due: list[tuple[Activity, PlannedReminder]] = []
        closed: list[tuple[Activity, PlannedReminder]] = []
        for activity, reminder in planned:
            if reminder.at > now:
                continue
            done_at = activity_schedule(activity).done_at
            state = reminder_state(reminder, now=now, sent_keys=(), done_at=done_at, grace=policy.grace)
            if state == "pending" and activity.status != "done":
                due.append((activity, reminder))
            elif state == "missed":
                closed.append((activity, reminder))
        if recipients and closed:
            _record_missed(session, closed, recipients, now, policy, report)
    for activity, reminder in due:
        for recipient in recipients:
            _send_one(database, line_client, activity, reminder, recipient, now, policy, report)
    if report.sent or report.missed or report.failed:
        logger.info(
            "reminder tick at %s: %d sent, %d missed, %d failed",
            now.isoformat(), len(report.sent), len(report.missed), len(report.failed),
        )
    return report


def _item(activity: Activity, reminder: PlannedReminder, recipient: str, **values: Any) -> TickItem:
    return TickItem(
        key=reminder.key,
        kind=reminder.kind,
        activity_id=activity.id,
        step=activity.step,
        name=activity.name,
        recipient=recipient,
        planned_at=reminder.at,
        **values,
    )


def _record_missed(
    session: Session,
    closed: list[tuple[Activity, PlannedReminder]],
    recipients: list[_Recipient],
    now: datetime,
    policy: ReminderPolicy,
    report: TickReport,
) -> None:
    rows = {(row.reminder_key, row.recipient): row for row in _deliveries_for(session, {r.key for _, r in closed})}
    for activity, reminder in closed:
        window_closed_at = reminder.at + policy.grace
        for recipient in recipients:
            # A group made a committee group after the window closed never expected this one.
            if recipient.joined_at > window_closed_at:
                continue
            row = rows.get((reminder.key, recipient.line_group_id))
            if row is None:
                inserted = _insert_delivery(
                    session, activity, reminder, recipient.line_group_id, now, state="missed", attempts=0,
                    error="not sent within the grace window",
                )
                if inserted:
                    report.missed.append(_item(activity, reminder, recipient.line_group_id))
            elif row.state == "failed" or (
                row.state == "sending" and to_bangkok(row.claimed_at) <= now - policy.stale_sending_after
            ):
                # Too late to try again: a late reminder would point at a day already past.
                earlier_error = row.error
                changed = session.execute(
                    update(ReminderDelivery)
                    .where(ReminderDelivery.id == row.id, ReminderDelivery.state == row.state, ReminderDelivery.attempts == row.attempts)
                    .values(state="missed", error=((earlier_error or "") + "; grace window closed").strip("; ")[:300])
                )
                if changed.rowcount == 1:
                    report.missed.append(_item(activity, reminder, recipient.line_group_id, error=earlier_error))


def _insert_delivery(
    session: Session,
    activity: Activity,
    reminder: PlannedReminder,
    recipient: str,
    now: datetime,
    *,
    state: str,
    attempts: int,
    error: str | None = None,
) -> int | None:
    """Insert the (reminder, recipient) row unless one exists; its id when inserted."""
    values = {
        "reminder_key": reminder.key,
        "recipient": recipient,
        "activity_id": activity.id,
        "kind": reminder.kind,
        "planned_at": reminder.at,
        "state": state,
        "claimed_at": now,
        "attempts": attempts,
        "error": error,
    }
    return insert_ignoring_duplicates(session, ReminderDelivery, values, unique_columns=["reminder_key", "recipient"])


def _claim(
    database: Database, activity: Activity, reminder: PlannedReminder, recipient: str, now: datetime, policy: ReminderPolicy
) -> Claim | None | str:
    """Take the right to push this reminder to this group: committed before the push.

    None when it was sent or missed already; ``_BUSY`` when another process is pushing it now.
    """
    with database.session() as session:
        row_id = _insert_delivery(session, activity, reminder, recipient, now, state="sending", attempts=1)
        if row_id is not None:
            return Claim(row_id, 1)
        row = session.scalars(
            select(ReminderDelivery).where(
                ReminderDelivery.reminder_key == reminder.key, ReminderDelivery.recipient == recipient
            )
        ).one()
        # Read before the UPDATE below: the session synchronises the object with what it writes.
        state, attempts = row.state, row.attempts
        if state == "sending" and to_bangkok(row.claimed_at) > now - policy.stale_sending_after:
            return _BUSY
        if state not in ("failed", "sending"):
            return None
        # Compare-and-set on the attempt count: of two processes retrying at once, one wins.
        changed = session.execute(
            update(ReminderDelivery)
            .where(ReminderDelivery.id == row.id, ReminderDelivery.state == state, ReminderDelivery.attempts == attempts)
            .values(state="sending", claimed_at=now, attempts=attempts + 1)
        )
        if changed.rowcount != 1:
            return _BUSY
        if state == "sending":
            logger.warning("reminder %s to a committee group was left mid-push; pushing again with its retry key", reminder.key)
        return Claim(row.id, attempts + 1)


def _send_one(
    database: Database,
    line_client: LineClient,
    activity: Activity,
    reminder: PlannedReminder,
    recipient: _Recipient,
    now: datetime,
    policy: ReminderPolicy,
    report: TickReport,
) -> None:
    claim = _claim(database, activity, reminder, recipient.line_group_id, now, policy)
    if claim == _BUSY:
        report.in_progress += 1
        return
    if not isinstance(claim, Claim):
        return
    messages = reminder_messages(activity, reminder.kind, reminder.at.date(), activity.plan.number)
    try:
        delivery = line_client.push(
            recipient.line_group_id, messages, retry_key=retry_key_for(reminder.key, recipient.line_group_id)
        )
    except Exception as error:  # any failure leaves the reminder retryable within its window
        reason = push_failure_reason(error, f"reminder {reminder.key}")
        mark_claim(database, ReminderDelivery, claim, state="failed", error=reason)
        report.failed.append(_item(activity, reminder, recipient.line_group_id, error=reason))
        return
    member_count = member_count_now(line_client, recipient.line_group_id, recipient.kind)
    if member_count is None:
        member_count = recipient.member_count
    with database.session() as session:
        changed = session.execute(
            update(ReminderDelivery)
            .where(ReminderDelivery.id == claim.row_id, ReminderDelivery.state == "sending", ReminderDelivery.attempts == claim.attempts)
            .values(
                state="sent", sent_at=now, line_request_id=delivery.request_id,
                recipients_count=member_count, error=None,
            )
        )
        if changed.rowcount != 1:
            # Another process took the row over meanwhile and records it; count the push once.
            return
        if member_count is not None and member_count != recipient.member_count:
            session.execute(
                update(ChatGroup).where(ChatGroup.id == recipient.group_id).values(member_count=member_count, member_count_at=now)
            )
        session.add(
            InteractionEvent(
                kind="reminder_push",
                occurred_at=now,
                channel="group",
                group_id=recipient.group_id,
                activity_id=activity.id,
                recipients=member_count,
                detail={"reminder_key": reminder.key, "kind": reminder.kind, "already_delivered": delivery.already_delivered},
            )
        )
    report.sent.append(
        _item(
            activity, reminder, recipient.line_group_id,
            request_id=delivery.request_id, already_delivered=delivery.already_delivered,
        )
    )
