"""When the KM committee is reminded of a plan activity, and what each reminder's state is.

Pure functions over dates: no database, no clock reads (the caller passes ``now``).

The default policy, per activity with a deadline:

- ``start`` on the start date (when the start is known and not after the deadline);
- ``before_7d`` and ``before_1d``, seven days and one day before the deadline;
- ``due`` on the deadline;
- ``overdue`` every 7 days after the deadline, at most 4 times (sequence 1..4), until the
  activity is done, and never past the end of the fiscal year the deadline falls in (30
  September): a new year's plan takes over then (``overdue_until_fiscal_year_end``, on by default);

all at 09:00 Bangkok time. A reminder that falls on a weekend day or a configured holiday
moves to the working day before, so the committee hears of a deadline before it passes;
``overdue`` reminders move to the working day after instead, because an overdue notice must
never arrive before (or on) the deadline it is about.

The weekly look-ahead (``weekly_look_ahead``, on by default): the early, informational
reminders — ``start`` and every ``before_Nd`` of a week or more (``before_7d`` by default) —
move once more, earlier within their week, so that each week's look-ahead goes out once, in a
digest the committee group gets anyway. That is the first working day of the week (Monday, or
the first day after it that is not a holiday), or, when an urgent reminder of any activity is
due that week no later than every look-ahead reminder's own day, the first such day: the
look-ahead rides on that digest and the Monday push is saved. They only ever move earlier, like
any "before" reminder; the urgent ones (``before_1d``, ``due``, ``overdue``) keep their own
days. Because the look-ahead day depends on other activities' reminders, the plan is made for
all activities together (``plan_all_reminders``). A look-ahead reminder not sent on its day (the
clock was down that Monday, or kmbot was upgraded mid-week) may still go out until its own day
(``moved_from``) plus the grace, or until the day before its activity's next reminder if that
comes first (``sendable_until``): moving a reminder never drops it, nor doubles up a day.

When two reminders of one activity land on the same day after moving, only the more urgent is
kept (overdue > due > before_1d > before_7d > start): one message a day per activity is enough.

A reminder's key names its activity, kind and sequence, not its day: a reminder moved by a
weekend, a holiday or the look-ahead keeps its key, so one recorded as sent is never sent again
when the look-ahead is switched on or off (or kmbot upgraded to it). The look-ahead only moves
reminders and merges some on one day; it never adds one, so its keys are a subset of those the
plan has without it.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.core.calendar import BANGKOK, fiscal_year_end

__all__ = [
    "DEFAULT_GRACE",
    "LOOK_AHEAD_MIN_DAYS",
    "REMINDER_KINDS",
    "ActivitySchedule",
    "PlannedReminder",
    "ReminderSettings",
    "due_reminders",
    "is_working_day",
    "plan_all_reminders",
    "plan_reminders",
    "reminder_key",
    "reminder_state",
]

REMINDER_KINDS = ("start", "before_7d", "before_1d", "due", "overdue")

DEFAULT_GRACE = timedelta(hours=24)

SATURDAY, SUNDAY = 5, 6

_LONGEST_NON_WORKING_STRETCH = 366

# A "before" reminder this many days or more ahead of the deadline is informational and joins
# the weekly look-ahead; nearer ones are urgent and keep their day.
LOOK_AHEAD_MIN_DAYS = 7


@dataclass(frozen=True)
class ReminderSettings:
    remind_at_start: bool = True
    days_before: tuple[int, ...] = (7, 1)
    remind_on_due_day: bool = True
    overdue_every_days: int = 7
    overdue_max_count: int = 4
    # Overdue reminders stop at the end of the fiscal year of the deadline (after moving off a
    # weekend or holiday): the committee reports the year then, and the next year's plan begins.
    overdue_until_fiscal_year_end: bool = True
    # The start and week-before reminders go out on the first working day of their week, in that
    # day's digest: fewer pushes, each a week's look-ahead (see the module's docstring).
    weekly_look_ahead: bool = True
    hour: int = 9
    minute: int = 0
    holidays: frozenset[date] = frozenset()
    weekend_days: frozenset[int] = frozenset({SATURDAY, SUNDAY})

    def __post_init__(self) -> None:
        if any(days < 1 for days in self.days_before):
            raise ValueError("days_before must be positive")
        if len(set(self.days_before)) != len(self.days_before):
            raise ValueError("days_before must not repeat a day")
        if self.overdue_every_days < 1 or self.overdue_max_count < 0:
            raise ValueError("overdue_every_days must be >= 1 and overdue_max_count >= 0")
        if len(self.weekend_days) >= 7 or not set(self.weekend_days) <= set(range(7)):
            raise ValueError("weekend_days must be weekday numbers 0..6 leaving a working day")
        time(self.hour, self.minute)  # raises ValueError for an impossible time of day


@dataclass(frozen=True)
class ActivitySchedule:
    activity_id: Hashable
    start: date | None
    deadline: date | None
    open_ended: bool = False
    done_at: datetime | None = None


@dataclass(frozen=True)
class PlannedReminder:
    activity_id: Hashable
    kind: str
    at: datetime
    sequence: int
    key: str
    # The later moment it would have had without the weekly look-ahead; None when not moved by it.
    moved_from: datetime | None = None
    # Moved by the look-ahead, it may still go out until this moment (its own day, or the day
    # before its activity's next reminder if that comes first); None: only at ``at``.
    sendable_until: datetime | None = None

    @property
    def last_moment(self) -> datetime:
        """The latest moment the reminder is still meant for: its sending window closes at this
        plus the grace."""
        return self.sendable_until or self.at


def reminder_key(activity_id: Hashable, kind: str, sequence: int = 0) -> str:
    """"a17:before_7d:0": stable across runs, so a sent reminder is never sent again."""
    return f"a{activity_id}:{kind}:{sequence}"


def is_working_day(day: date, settings: ReminderSettings) -> bool:
    return day.weekday() not in settings.weekend_days and day not in settings.holidays


def _nearest_working_day(day: date, settings: ReminderSettings, step: int) -> date:
    for _ in range(_LONGEST_NON_WORKING_STRETCH):
        if is_working_day(day, settings):
            return day
        day += timedelta(days=step)
    raise ValueError("no working day within a year; check the holiday list")


def _first_working_day_of_week(day: date, settings: ReminderSettings) -> date:
    """The first working day from Monday of ``day``'s week; ``day`` itself at the latest (it is
    a working day), so a look-ahead never moves a reminder later."""
    candidate = day - timedelta(days=day.weekday())
    while not is_working_day(candidate, settings):
        candidate += timedelta(days=1)
    return candidate


def _looks_ahead(kind: str) -> bool:
    if kind == "start":
        return True
    if kind.startswith("before_"):
        return int(kind.removeprefix("before_").removesuffix("d")) >= LOOK_AHEAD_MIN_DAYS
    return False


def _urgency(kind: str, sequence: int) -> tuple[int, int]:
    if kind == "overdue":
        return (3, sequence)
    if kind == "due":
        return (2, 0)
    if kind.startswith("before_"):
        # Fewer days left is more urgent.
        return (1, -int(kind.removeprefix("before_").removesuffix("d")))
    return (0, 0)


def _own_days(activity: ActivitySchedule, settings: ReminderSettings) -> dict[date, tuple[str, int]]:
    """The activity's reminders on their own days (moved off weekends and holidays, one a day),
    before any look-ahead: day -> (kind, sequence)."""
    deadline = activity.deadline
    if deadline is None:
        return {}
    earlier, later = -1, 1
    wanted: list[tuple[str, int, date, int]] = []
    if settings.remind_at_start and activity.start is not None and activity.start <= deadline:
        wanted.append(("start", 0, activity.start, earlier))
    for days in settings.days_before:
        wanted.append((f"before_{days}d", 0, deadline - timedelta(days=days), earlier))
    if settings.remind_on_due_day:
        wanted.append(("due", 0, deadline, earlier))
    for sequence in range(1, settings.overdue_max_count + 1):
        overdue_day = deadline + timedelta(days=sequence * settings.overdue_every_days)
        wanted.append(("overdue", sequence, overdue_day, later))

    last_overdue_day = fiscal_year_end(deadline) if settings.overdue_until_fiscal_year_end else None
    kept_by_day: dict[date, tuple[str, int]] = {}
    for kind, sequence, day, direction in wanted:
        day = _nearest_working_day(day, settings, direction)
        if kind == "overdue" and last_overdue_day is not None and day > last_overdue_day:
            continue
        current = kept_by_day.get(day)
        if current is None or _urgency(kind, sequence) > _urgency(*current):
            kept_by_day[day] = (kind, sequence)
    return kept_by_day


def _look_ahead_days(own: Mapping[Hashable, Mapping[date, tuple[str, int]]], settings: ReminderSettings) -> dict[date, date]:
    """Week (its Monday) -> the day its look-ahead goes out: the week's first working day, or
    the week's first urgent reminder day (of any activity) when that comes no later than every
    look-ahead reminder's own day, so the look-ahead rides on a digest the group gets anyway."""
    earliest_own: dict[date, date] = {}
    first_urgent: dict[date, date] = {}
    for days in own.values():
        for day, (kind, _sequence) in days.items():
            week = day - timedelta(days=day.weekday())
            table = earliest_own if _looks_ahead(kind) else first_urgent
            table[week] = min(day, table.get(week, day))
    chosen = {}
    for week, earliest in earliest_own.items():
        urgent = first_urgent.get(week)
        chosen[week] = urgent if urgent is not None and urgent <= earliest else _first_working_day_of_week(earliest, settings)
    return chosen


def plan_all_reminders(
    activities: Iterable[ActivitySchedule], settings: ReminderSettings | None = None
) -> list[PlannedReminder]:
    """Every reminder the policy plans for every activity of the office, past and future, sorted
    by time and key; the weekly look-ahead gathered across them (see the module's docstring).

    Done or not, the whole plan is returned; ``reminder_state`` says which were cancelled.
    Activities without a deadline get none.
    """
    settings = settings or ReminderSettings()
    own = {activity.activity_id: _own_days(activity, settings) for activity in activities}
    look_ahead = _look_ahead_days(own, settings) if settings.weekly_look_ahead else {}
    at_time = time(settings.hour, settings.minute)

    def moment(day: date) -> datetime:
        return datetime.combine(day, at_time, tzinfo=BANGKOK)

    planned: list[PlannedReminder] = []
    for activity_id, days in own.items():
        # day -> (kind, sequence, own day when the look-ahead moved it there)
        kept: dict[date, tuple[str, int, date | None]] = {}
        for own_day, (kind, sequence) in sorted(days.items()):
            day = own_day
            if look_ahead and _looks_ahead(kind):
                day = look_ahead[own_day - timedelta(days=own_day.weekday())]
            current = kept.get(day)
            if current is None or _urgency(kind, sequence) > _urgency(current[0], current[1]):
                kept[day] = (kind, sequence, own_day if own_day != day else None)
        ordered = sorted(kept.items())
        for index, (day, (kind, sequence, own_day)) in enumerate(ordered):
            until = own_day
            if until is not None and index + 1 < len(ordered):
                # Still sendable until its own day, but never into the next reminder's day of the
                # same activity: a catch-up must not bring two messages about one activity.
                until = min(until, ordered[index + 1][0] - timedelta(days=1))
            planned.append(
                PlannedReminder(
                    activity_id=activity_id,
                    kind=kind,
                    at=moment(day),
                    sequence=sequence,
                    key=reminder_key(activity_id, kind, sequence),
                    moved_from=moment(own_day) if own_day is not None else None,
                    sendable_until=moment(until) if until is not None and until > day else None,
                )
            )
    planned.sort(key=lambda reminder: (reminder.at, reminder.key))
    return planned


def plan_reminders(
    activity: ActivitySchedule, settings: ReminderSettings | None = None
) -> list[PlannedReminder]:
    """Every reminder the policy plans for one activity on its own, past and future, sorted by
    time: its look-ahead reminders on the first working day of their week (or on its own urgent
    reminder's day in that week, should that come first)."""
    return plan_all_reminders([activity], settings)


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def reminder_state(
    planned: PlannedReminder,
    *,
    now: datetime,
    sent_keys: Collection[str],
    done_at: datetime | None = None,
    grace: timedelta = DEFAULT_GRACE,
) -> str:
    """"sent", "cancelled", "missed" or "pending".

    - sent: its key was recorded as sent;
    - cancelled: the activity was done (by ``now``) before the reminder's window closed;
    - missed: the window (``at`` .. ``last_moment + grace``) closed unsent while the activity was
      still open. A missed reminder stays missed after the activity is done: the log
      shows what happened, in the order it happened;
    - pending: otherwise (waiting, or inside its window and due to be sent now).
    """
    _require_aware(now, "now")
    if planned.key in sent_keys:
        return "sent"
    window_closes = planned.last_moment + grace
    if done_at is not None:
        _require_aware(done_at, "done_at")
        if done_at <= now and done_at < window_closes:
            return "cancelled"
    if now >= window_closes:
        return "missed"
    return "pending"


def due_reminders(
    planned: Iterable[PlannedReminder],
    *,
    now: datetime,
    sent_keys: Collection[str],
    done_at: Mapping[Hashable, datetime | None] | None = None,
    grace: timedelta = DEFAULT_GRACE,
) -> list[PlannedReminder]:
    """What to send at ``now``: inside its window (at <= now < last_moment + grace), not yet sent,
    activity not done. ``done_at`` maps activity ids to when they were done."""
    done_at = done_at or {}
    return sorted(
        (
            reminder
            for reminder in planned
            if reminder.at <= now
            and reminder_state(
                reminder,
                now=now,
                sent_keys=sent_keys,
                done_at=done_at.get(reminder.activity_id),
                grace=grace,
            )
            == "pending"
        ),
        key=lambda reminder: (reminder.at, reminder.key),
    )
