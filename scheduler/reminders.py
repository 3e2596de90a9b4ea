"""The database edge of the reminder policy: what is planned, what each reminder's state is, and
sending what is due exactly once.

Each (reminder, committee group) is one parcel of the delivery pipeline (``scheduler.deliveries``)
with its own row in ``deliveries``, claimed once. All the reminders due for one group at one tick
go out as one push, a digest (``reminder_card.digest_messages``: one bubble, or a carousel in
deadline order), with one deterministic ``X-Line-Retry-Key``: uuid5 of the group and the set of
reminder keys (a digest of one reminder keeps the key that reminder always had), recorded on
every row it claimed. The rows are marked sent together, with one reach-log event for the push.
This module says what is due (the policy's ``due_reminders``), to whom, and which event to log.

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
from typing import Any, Iterable

from linebot.v3.messaging.models import Message
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.core.calendar import to_bangkok
from bot.core.config import Config
from bot.core.database import Database
from bot.core.line_client import LineClient
from bot.core.tables import ChatGroup, InteractionEvent
from kb.tables import Activity, Plan
from scheduler import deliveries
from scheduler.deliveries import REMINDER, Outcome, Parcel, Sent
from scheduler.policy import (
    DEFAULT_GRACE,
    ActivitySchedule,
    PlannedReminder,
    ReminderSettings,
    due_reminders,
    plan_all_reminders,
    reminder_state,
)
from scheduler.reminder_card import DigestEntry, digest_messages
from scheduler.tables import Delivery

logger = logging.getLogger(__name__)

# A push (with the LINE client's own retries) ends within a minute; a row still "sending" after
# this long belongs to a process that died mid-push.
STALE_SENDING_AFTER = timedelta(minutes=5)

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
            overdue_until_fiscal_year_end=config.overdue_until_fiscal_year_end,
            weekly_look_ahead=config.reminder_weekly_look_ahead,
        )
        return cls(settings=settings, grace=timedelta(hours=config.reminder_grace_hours))


def as_policy(policy: ReminderPolicy | ReminderSettings | None) -> ReminderPolicy:
    if isinstance(policy, ReminderPolicy):
        return policy
    return ReminderPolicy(settings=policy or ReminderSettings())


def retry_key_for(reminder_key: str, recipient: str) -> str:
    """The same reminder to the same group always carries the same X-Line-Retry-Key."""
    return deliveries.retry_key(RETRY_KEY_NAMESPACE, f"{reminder_key}|{recipient}")


def digest_retry_key(reminder_keys: Iterable[str], recipient: str) -> str:
    """The X-Line-Retry-Key of a digest: the same set of reminders to the same group always gives
    the same key. A digest of one reminder is that reminder's own push and keeps its key."""
    keys = sorted(set(reminder_keys))
    if len(keys) == 1:
        return retry_key_for(keys[0], recipient)
    return deliveries.retry_key(RETRY_KEY_NAMESPACE, "digest|" + recipient + "|" + "|".join(keys))


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
    # One plan for all of them: a week's look-ahead may ride on another activity's digest.
    by_id = {activity.id: activity for activity in activities}
    return [
        (by_id[reminder.activity_id], reminder)
        for reminder in plan_all_reminders((activity_schedule(activity) for activity in activities), policy.settings)
    ]


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
    # The later moment the weekly look-ahead moved it from (its own day); None when not moved.
    moved_from: datetime | None = None

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
            "moved_from": self.moved_from.isoformat() if self.moved_from else None,
        }


def preview_reminders(
    session: Session, policy: ReminderPolicy, now: datetime, from_date: date | None = None
) -> list[ReminderPreview]:
    """Each planned reminder with its state: pending, sent, missed or cancelled."""
    now = to_bangkok(now)
    planned = planned_reminders(session, policy)
    current_recipients = [group.line_group_id for group in committee_groups(session)]
    rows_by_key: dict[str, list[Delivery]] = defaultdict(list)
    for row in _deliveries_for(session, {reminder.key for _, reminder in planned}):
        rows_by_key[row.delivery_key].append(row)
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
                moved_from=reminder.moved_from,
            )
        )
    previews.extend(_sent_but_no_longer_planned(session, planned, from_date))
    previews.sort(key=lambda preview: (preview.at, preview.key))
    return previews


def _sent_but_no_longer_planned(
    session: Session, planned: list[tuple[Activity, PlannedReminder]], from_date: date | None
) -> list[ReminderPreview]:
    """Reminders sent that the plan no longer has: the weekly look-ahead (switched on, or kmbot
    upgraded to it) merged a start already sent into its activity's week-before reminder. They
    were sent, so the preview keeps showing them."""
    activities = {activity.id: activity for activity, _ in planned}
    planned_keys = {reminder.key for _, reminder in planned}
    rows = session.scalars(
        select(Delivery).where(Delivery.purpose == REMINDER, Delivery.state == "sent").order_by(Delivery.id)
    ).all()
    by_key: dict[str, list[Delivery]] = defaultdict(list)
    for row in rows:
        if row.delivery_key not in planned_keys and row.activity_id in activities and row.planned_at is not None:
            by_key[row.delivery_key].append(row)
    previews = []
    for key, key_rows in by_key.items():
        activity, first = activities[key_rows[0].activity_id], key_rows[0]
        at = to_bangkok(first.planned_at)
        if from_date is not None and at.date() < from_date:
            continue
        sequence = key.rsplit(":", 1)[-1]
        previews.append(ReminderPreview(
            activity_id=activity.id,
            kind=first.reminder_kind or key.split(":")[1],
            at=at,
            recipients=sorted(row.recipient for row in key_rows),
            state="sent",
            key=key,
            sequence=int(sequence) if sequence.isdigit() else 0,
            step=activity.step,
            name=activity.name,
            plan=activity.plan.number,
            fiscal_year=activity.plan.fiscal_year,
        ))
    return previews


def _deliveries_for(session: Session, keys: set[str]) -> list[Delivery]:
    if not keys:
        return []
    return list(
        session.scalars(
            select(Delivery).where(Delivery.purpose == REMINDER, Delivery.delivery_key.in_(sorted(keys)))
        )
    )


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
        activities = {activity.id: activity for activity, _ in planned}
        done_at = {activity.id: activity_schedule(activity).done_at for activity in activities.values()}
        # Which group got which reminder is the delivery rows' business, so no key counts as sent
        # here; an activity marked done is not reminded of, whatever moment `now` names.
        due = due_reminders(
            (reminder for activity, reminder in planned if activity.status != "done"),
            now=now, sent_keys=(), done_at=done_at, grace=policy.grace,
        )
        closed = [
            (activity, reminder)
            for activity, reminder in planned
            if reminder.at <= now
            and reminder_state(reminder, now=now, sent_keys=(), done_at=done_at[activity.id], grace=policy.grace)
            == "missed"
        ]
        if recipients and closed:
            _record_missed(session, closed, recipients, now, policy, report)
    for recipient in recipients:
        _send_digest(database, line_client, [(activities[reminder.activity_id], reminder) for reminder in due], recipient, now, policy, report)
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


def _parcel(activity: Activity, reminder: PlannedReminder, recipient: _Recipient) -> Parcel:
    return Parcel(
        purpose=REMINDER,
        key=reminder.key,
        recipient=recipient.line_group_id,
        retry_key=retry_key_for(reminder.key, recipient.line_group_id),
        group_id=recipient.group_id,
        group_kind=recipient.kind,
        last_known_members=recipient.member_count,
        reminder_kind=reminder.kind,
        activity_id=activity.id,
        planned_at=reminder.at,
    )


def _record_missed(
    session: Session,
    closed: list[tuple[Activity, PlannedReminder]],
    recipients: list[_Recipient],
    now: datetime,
    policy: ReminderPolicy,
    report: TickReport,
) -> None:
    rows = {(row.delivery_key, row.recipient): row for row in _deliveries_for(session, {r.key for _, r in closed})}
    for activity, reminder in closed:
        window_closed_at = reminder.last_moment + policy.grace
        for recipient in recipients:
            # A group made a committee group after the window closed never expected this one.
            if recipient.joined_at > window_closed_at:
                continue
            row = rows.get((reminder.key, recipient.line_group_id))
            if row is None:
                parcel = _parcel(activity, reminder, recipient)
                if deliveries.record_missed(session, parcel, now, "not sent within the grace window"):
                    report.missed.append(_item(activity, reminder, recipient.line_group_id))
                continue
            # Too late to try again: a late reminder would point at a day already past.
            earlier_error = row.error
            if deliveries.give_up(
                session, row, now, stale_after=policy.stale_sending_after, reason="grace window closed"
            ):
                report.missed.append(_item(activity, reminder, recipient.line_group_id, error=earlier_error))


def _send_digest(
    database: Database,
    line_client: LineClient,
    due: list[tuple[Activity, PlannedReminder]],
    recipient: _Recipient,
    now: datetime,
    policy: ReminderPolicy,
    report: TickReport,
) -> None:
    """Every reminder due for one group, claimed one by one and pushed together."""
    if not due:
        return
    by_key = {reminder.key: (activity, reminder) for activity, reminder in due}
    parcels = [_parcel(activity, reminder, recipient) for activity, reminder in due]

    def build(batch: list[Parcel]) -> list[Message]:
        # The cards count the days left from the day they go out, which for a catch-up after a
        # missed tick (or a look-ahead sent after its Monday) is later than the day planned.
        entries = []
        for parcel in batch:
            activity, reminder = by_key[parcel.key]
            entries.append(DigestEntry(activity, reminder.kind, now.date(), activity.plan.number, activity.plan.knowledge_topic))
        return digest_messages(entries)

    def events(sent: list[Sent]) -> list[InteractionEvent]:
        # One push, one event: the reach report counts pushes and the members they reached.
        first = sent[0]
        activity_ids = sorted({by_key[item.parcel.key][0].id for item in sent})
        return [InteractionEvent(
            kind="reminder_push",
            occurred_at=first.at,
            channel="group",
            group_id=recipient.group_id,
            activity_id=activity_ids[0] if len(activity_ids) == 1 else None,
            recipients=first.member_count,
            detail={
                "reminder_keys": [item.parcel.key for item in sent],
                "kinds": [by_key[item.parcel.key][1].kind for item in sent],
                "activity_ids": activity_ids,
                "already_delivered": first.already_delivered,
            },
        )]

    outcomes = deliveries.deliver_digest(
        database, line_client, parcels, build, now,
        stale_after=policy.stale_sending_after,
        digest_key=lambda batch: digest_retry_key([parcel.key for parcel in batch], recipient.line_group_id),
        event=events, what=f"reminders to a committee group at {now.isoformat()}",
    )
    for activity, reminder in due:
        _report(report, activity, reminder, recipient, outcomes[reminder.key])


def _report(report: TickReport, activity: Activity, reminder: PlannedReminder, recipient: _Recipient, outcome: Outcome) -> None:
    if outcome.status == "busy":
        report.in_progress += 1
    elif outcome.status in ("failed", "refused", "held"):
        report.failed.append(_item(activity, reminder, recipient.line_group_id, error=outcome.error))
    elif outcome.status == "sent":
        report.sent.append(
            _item(
                activity, reminder, recipient.line_group_id,
                request_id=outcome.request_id, already_delivered=outcome.already_delivered,
            )
        )
