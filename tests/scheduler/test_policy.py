"""The reminder policy: when the KM committee hears about each plan activity."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.calendar import BANGKOK
from scheduler.policy import (
    REMINDER_KINDS,
    ActivitySchedule,
    PlannedReminder,
    ReminderSettings,
    due_reminders,
    is_working_day,
    plan_all_reminders,
    plan_reminders,
    reminder_state,
)


def at_nine(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=BANGKOK)


def schedule_of(reminders: list[PlannedReminder]) -> list[tuple[str, int, date]]:
    return [(reminder.kind, reminder.sequence, reminder.at.date()) for reminder in reminders]


# Each reminder on its own day: the rules for weekends and holidays, without the weekly look-ahead.
OWN_DAYS = ReminderSettings(weekly_look_ahead=False)


# --- what gets planned --------------------------------------------------------------------------


def test_a_month_long_activity_on_working_days_gets_the_full_default_plan() -> None:
    # Plan 2, KMP 2: "เม.ย. ๒๕๖๗" -> 1..30 April 2024; 1 and 30 April are working days.
    activity = ActivitySchedule(17, start=date(2024, 4, 1), deadline=date(2024, 4, 30))
    reminders = plan_reminders(activity, ReminderSettings())
    assert schedule_of(reminders) == [
        ("start", 0, date(2024, 4, 1)),
        # Tuesday 23 April, gathered into the week's look-ahead on Monday 22 April.
        ("before_7d", 0, date(2024, 4, 22)),
        ("before_1d", 0, date(2024, 4, 29)),
        ("due", 0, date(2024, 4, 30)),
        ("overdue", 1, date(2024, 5, 7)),
        ("overdue", 2, date(2024, 5, 14)),
        ("overdue", 3, date(2024, 5, 21)),
        ("overdue", 4, date(2024, 5, 28)),
    ]
    assert all(reminder.at.time() == time(9, 0) for reminder in reminders)
    assert reminders[0].at.isoformat() == "2024-04-01T09:00:00+07:00"
    assert [reminder.key for reminder in reminders][:2] == ["a17:start:0", "a17:before_7d:0"]
    assert reminders[-1].key == "a17:overdue:4"
    assert reminders[1].moved_from == at_nine(date(2024, 4, 23))
    assert [reminder.moved_from for reminder in reminders if reminder.kind != "before_7d"] == [None] * 7


def test_a_deadline_on_saturday_is_announced_on_friday_once() -> None:
    # Plan 1, KMP 6: "ก.ค. - ส.ค. ๒๕๖๗" ends Saturday 31 August 2024. Due and the day-before
    # reminder both move to Friday 30 August; only the more urgent "due" is kept.
    activity = ActivitySchedule(6, start=date(2024, 7, 1), deadline=date(2024, 8, 31))
    assert schedule_of(plan_reminders(activity, OWN_DAYS)) == [
        ("start", 0, date(2024, 7, 1)),
        ("before_7d", 0, date(2024, 8, 23)),  # Saturday 24 -> Friday 23
        ("due", 0, date(2024, 8, 30)),
        ("overdue", 1, date(2024, 9, 9)),  # overdue moves forward: Saturday 7 -> Monday 9
        ("overdue", 2, date(2024, 9, 16)),
        ("overdue", 3, date(2024, 9, 23)),
        ("overdue", 4, date(2024, 9, 30)),
    ]


def test_a_holiday_on_the_deadline_moves_the_due_reminder_to_the_working_day_before() -> None:
    visakha_bucha = date(2024, 5, 22)  # a Wednesday
    rules = ReminderSettings(holidays=frozenset({visakha_bucha}), weekly_look_ahead=False)
    activity = ActivitySchedule(3, start=None, deadline=visakha_bucha)
    # The day-before reminder (Tuesday 21) and the moved due reminder meet: "due" is kept.
    assert schedule_of(plan_reminders(activity, rules))[:3] == [
        ("before_7d", 0, date(2024, 5, 15)),
        ("due", 0, date(2024, 5, 21)),
        ("overdue", 1, date(2024, 5, 29)),
    ]


def test_an_overdue_reminder_in_the_songkran_break_waits_for_the_next_working_day() -> None:
    songkran = frozenset({date(2024, 4, 12), date(2024, 4, 15), date(2024, 4, 16)})
    rules = ReminderSettings(holidays=songkran, overdue_max_count=2)
    activity = ActivitySchedule(9, start=date(2024, 3, 1), deadline=date(2024, 4, 5))
    overdue = [r for r in plan_reminders(activity, rules) if r.kind == "overdue"]
    assert schedule_of(overdue) == [
        ("overdue", 1, date(2024, 4, 17)),  # Friday 12 is a holiday, then the weekend, 15, 16
        ("overdue", 2, date(2024, 4, 19)),
    ]


def test_leap_day_deadline() -> None:
    # Plan 2, KMP 1: "ธ.ค. ๒๕๖๖ - ก.พ. ๒๕๖๗" -> 1 December 2023 .. 29 February 2024.
    activity = ActivitySchedule(1, start=date(2023, 12, 1), deadline=date(2024, 2, 29))
    assert schedule_of(plan_reminders(activity, OWN_DAYS))[:5] == [
        ("start", 0, date(2023, 12, 1)),
        ("before_7d", 0, date(2024, 2, 22)),
        ("before_1d", 0, date(2024, 2, 28)),
        ("due", 0, date(2024, 2, 29)),
        ("overdue", 1, date(2024, 3, 7)),
    ]


def test_an_open_ended_activity_is_due_at_the_end_of_the_fiscal_year() -> None:
    # "ก.ค. ๒๕๖๗ เป็นต้นไป": due 30 September 2024 (a Monday); overdue would run into FY 2568.
    activity = ActivitySchedule(
        5, start=date(2024, 7, 1), deadline=date(2024, 9, 30), open_ended=True
    )
    reminders = plan_reminders(activity, ReminderSettings(overdue_max_count=1, overdue_until_fiscal_year_end=False))
    assert schedule_of(reminders)[-2:] == [
        ("due", 0, date(2024, 9, 30)),
        ("overdue", 1, date(2024, 10, 7)),
    ]


def test_overdue_reminders_stop_at_the_end_of_the_fiscal_year_by_default() -> None:
    # Due Friday 13 September 2024: overdue on 20 and 27 September, none in October (FY 2568).
    activity = ActivitySchedule(6, start=date(2024, 9, 2), deadline=date(2024, 9, 13))
    default = plan_reminders(activity)
    assert [(kind, day) for kind, _sequence, day in schedule_of(default) if kind == "overdue"] == [
        ("overdue", date(2024, 9, 20)),
        ("overdue", date(2024, 9, 27)),
    ]
    open_ended = plan_reminders(ActivitySchedule(5, date(2024, 7, 1), date(2024, 9, 30), open_ended=True))
    assert [reminder.kind for reminder in open_ended][-1] == "due"
    # A deadline early in the year keeps all four.
    early = plan_reminders(ActivitySchedule(7, date(2023, 11, 1), date(2023, 11, 30)))
    assert sum(reminder.kind == "overdue" for reminder in early) == 4


def test_overdue_until_the_year_end_comes_from_the_configuration() -> None:
    from bot.core.config import Config
    from scheduler.reminders import ReminderPolicy

    assert ReminderPolicy.from_config(Config()).settings.overdue_until_fiscal_year_end is True
    config = Config.from_environment({"KMBOT_OVERDUE_UNTIL_YEAR_END": "off", "KMBOT_PUBLIC_HOLIDAYS": "off"})
    assert ReminderPolicy.from_config(config).settings.overdue_until_fiscal_year_end is False


def test_no_deadline_no_reminders() -> None:
    assert plan_reminders(ActivitySchedule(4, start=date(2024, 6, 1), deadline=None)) == []


def test_no_start_no_start_reminder() -> None:
    kinds = [r.kind for r in plan_reminders(ActivitySchedule(4, None, date(2024, 6, 28)))]
    assert "start" not in kinds and "due" in kinds


def test_overdue_cadence_count_and_hour_are_settings() -> None:
    rules = ReminderSettings(overdue_every_days=3, overdue_max_count=2, hour=8, minute=30)
    activity = ActivitySchedule(2, start=None, deadline=date(2024, 7, 1))  # Monday
    overdue = [r for r in plan_reminders(activity, rules) if r.kind == "overdue"]
    assert [r.at for r in overdue] == [
        datetime(2024, 7, 4, 8, 30, tzinfo=BANGKOK),
        datetime(2024, 7, 8, 8, 30, tzinfo=BANGKOK),  # Sunday 7 -> Monday 8
    ]


def test_settings_refuse_nonsense() -> None:
    with pytest.raises(ValueError):
        ReminderSettings(hour=25)
    with pytest.raises(ValueError):
        ReminderSettings(overdue_every_days=0)
    with pytest.raises(ValueError):
        ReminderSettings(weekend_days=frozenset(range(7)))


# --- the weekly look-ahead ----------------------------------------------------------------------


def test_a_holiday_monday_puts_the_look_ahead_on_tuesday() -> None:
    # Monday 8 April 2024 is the Chakri Day holiday; the week-before reminder of a deadline on
    # Thursday 18 April (own day Thursday 11) goes out on Tuesday 9 April, with the week's news.
    rules = ReminderSettings(holidays=frozenset({date(2024, 4, 8)}))
    activity = ActivitySchedule(4, start=None, deadline=date(2024, 4, 18))
    assert schedule_of(plan_reminders(activity, rules))[:3] == [
        ("before_7d", 0, date(2024, 4, 9)),
        ("before_1d", 0, date(2024, 4, 17)),
        ("due", 0, date(2024, 4, 18)),
    ]


def test_the_look_ahead_rides_on_a_digest_the_group_gets_that_week_anyway() -> None:
    # Activity 2's week-before reminder is for Thursday 22 February 2024. Activity 1, due on
    # Tuesday 13 February, is a week overdue on Tuesday 20, so the committee hears from kmbot
    # that Tuesday in any case: the look-ahead goes with it, and no Monday push is spent on it.
    overdue_tuesday = ActivitySchedule(1, start=None, deadline=date(2024, 2, 13))
    week_before_thursday = ActivitySchedule(2, start=None, deadline=date(2024, 2, 29))
    together = plan_all_reminders([overdue_tuesday, week_before_thursday], ReminderSettings())
    (look_ahead,) = [r for r in together if r.activity_id == 2 and r.kind == "before_7d"]
    assert look_ahead.at == at_nine(date(2024, 2, 20)) and look_ahead.moved_from == at_nine(date(2024, 2, 22))
    assert [r.activity_id for r in together if r.at == at_nine(date(2024, 2, 20))] == [1, 2]
    # Alone, it goes out on Monday 19 February.
    (alone,) = [r for r in plan_reminders(week_before_thursday) if r.kind == "before_7d"]
    assert alone.at == at_nine(date(2024, 2, 19))
    # An urgent reminder later in the week than the look-ahead's own day is not waited for:
    # a week overdue on Friday 23 February, the look-ahead still goes on Monday.
    overdue_friday = ActivitySchedule(1, start=None, deadline=date(2024, 2, 16))
    (not_waiting,) = [
        r for r in plan_all_reminders([overdue_friday, week_before_thursday]) if r.activity_id == 2 and r.kind == "before_7d"
    ]
    assert not_waiting.at == at_nine(date(2024, 2, 19))


def test_a_start_and_week_before_in_one_week_are_one_message() -> None:
    # Starts Tuesday 2 July, due Thursday 11 July 2024: both early reminders fall in the week of
    # 1 July; the group hears once, on Monday, that the deadline is ten days away.
    activity = ActivitySchedule(5, start=date(2024, 7, 2), deadline=date(2024, 7, 11))
    assert schedule_of(plan_reminders(activity))[:2] == [
        ("before_7d", 0, date(2024, 7, 1)),
        ("before_1d", 0, date(2024, 7, 10)),
    ]
    assert [r.kind for r in plan_reminders(activity, OWN_DAYS)][:2] == ["start", "before_7d"]


def test_a_look_ahead_not_sent_on_monday_still_goes_out_until_its_own_day() -> None:
    # Due Tuesday 30 April 2024: the week-before reminder (own day Tuesday 23) is planned for
    # Monday 22. The clock was down that Monday (or kmbot was upgraded on Tuesday morning).
    (look_ahead,) = [r for r in plan_reminders(ActivitySchedule(8, None, date(2024, 4, 30))) if r.kind == "before_7d"]
    tuesday = at_nine(date(2024, 4, 23)) + timedelta(minutes=1)
    assert due_reminders([look_ahead], now=tuesday, sent_keys=set()) == [look_ahead]
    assert reminder_state(look_ahead, now=at_nine(date(2024, 4, 24)) - timedelta(minutes=1), sent_keys=set()) == "pending"
    assert reminder_state(look_ahead, now=at_nine(date(2024, 4, 24)), sent_keys=set()) == "missed"


def test_a_late_look_ahead_never_joins_its_activitys_next_reminder() -> None:
    # Reminded 3 days before: activity 1 (Wednesday 10 .. Friday 12 July 2024) has its
    # before_3d on Tuesday 9; its start joins Monday 8, when activity 2 is due. Sent late, the
    # start could have gone with Tuesday's reminder of the same activity: its window ends first.
    rules = ReminderSettings(days_before=(3,))
    activity = ActivitySchedule(1, start=date(2024, 7, 10), deadline=date(2024, 7, 12))
    planned = plan_all_reminders([activity, ActivitySchedule(2, None, date(2024, 7, 8))], rules)
    mine = [r for r in planned if r.activity_id == 1]
    assert schedule_of(mine)[:2] == [("start", 0, date(2024, 7, 8)), ("before_3d", 0, date(2024, 7, 9))]
    assert mine[0].moved_from == at_nine(date(2024, 7, 10)) and mine[0].last_moment == mine[0].at
    tuesday = at_nine(date(2024, 7, 9))
    assert [r.kind for r in due_reminders(mine, now=tuesday, sent_keys=set())] == ["before_3d"]


def test_a_look_ahead_already_sent_is_not_sent_again_when_the_setting_changes() -> None:
    # Keys name the reminder, not its day: switching the look-ahead off keeps them.
    activity = ActivitySchedule(8, date(2024, 4, 1), date(2024, 4, 30))
    sent = {r.key for r in plan_reminders(activity) if r.kind == "before_7d"}
    own_day = at_nine(date(2024, 4, 23))  # its own day, the look-ahead now switched off
    assert sent and due_reminders(plan_reminders(activity, OWN_DAYS), now=own_day, sent_keys=sent) == []


def test_the_look_ahead_comes_from_the_configuration_and_is_on_by_default() -> None:
    from bot.core.config import Config
    from scheduler.reminders import ReminderPolicy

    assert ReminderSettings().weekly_look_ahead is True
    assert ReminderPolicy.from_config(Config()).settings.weekly_look_ahead is True
    config = Config.from_environment({"KMBOT_REMINDER_LOOK_AHEAD": "off", "KMBOT_PUBLIC_HOLIDAYS": "off"})
    assert ReminderPolicy.from_config(config).settings.weekly_look_ahead is False


# --- states and what is due now -----------------------------------------------------------------

DUE = PlannedReminder(8, "due", at_nine(date(2024, 4, 30)), 0, "a8:due:0")


@pytest.mark.parametrize(
    ("now", "sent", "done_at", "state"),
    [
        (at_nine(date(2024, 4, 29)), set(), None, "pending"),
        (at_nine(date(2024, 4, 30)) + timedelta(hours=3), set(), None, "pending"),
        (at_nine(date(2024, 5, 1)), set(), None, "missed"),
        (at_nine(date(2024, 5, 1)), {"a8:due:0"}, None, "sent"),
        (at_nine(date(2024, 4, 30)), set(), at_nine(date(2024, 4, 29)), "cancelled"),
        (at_nine(date(2024, 5, 5)), set(), DUE.at + timedelta(hours=2), "cancelled"),
        (at_nine(date(2024, 5, 5)), set(), at_nine(date(2024, 5, 3)), "missed"),
        (at_nine(date(2024, 4, 29)), set(), at_nine(date(2024, 5, 3)), "pending"),
        (at_nine(date(2024, 5, 5)), {"a8:due:0"}, at_nine(date(2024, 4, 20)), "sent"),
    ],
    ids=[
        "before its time",
        "inside its window",
        "window closed unsent",
        "sent",
        "activity done before",
        "activity done inside the window",
        "activity done after the window closed",
        "done later than the moment asked about",
        "sent stays sent",
    ],
)
def test_reminder_state(now: datetime, sent: set[str], done_at: datetime | None, state: str) -> None:
    assert reminder_state(DUE, now=now, sent_keys=sent, done_at=done_at) == state


def test_what_is_due_now_is_sent_once() -> None:
    planned = plan_reminders(ActivitySchedule(8, date(2024, 4, 1), date(2024, 4, 30)))
    moment = at_nine(date(2024, 4, 29)) + timedelta(minutes=5)
    first = due_reminders(planned, now=moment, sent_keys=set())
    assert [r.key for r in first] == ["a8:before_1d:0"]
    sent = {r.key for r in first}
    assert due_reminders(planned, now=moment + timedelta(minutes=1), sent_keys=sent) == []


def test_nothing_is_due_for_a_done_activity_or_after_the_grace_window() -> None:
    planned = plan_reminders(ActivitySchedule(8, date(2024, 4, 1), date(2024, 4, 30)))
    moment = at_nine(date(2024, 4, 30))
    done_yesterday = {8: moment - timedelta(days=1)}
    assert due_reminders(planned, now=moment, sent_keys=set(), done_at=done_yesterday) == []
    late = moment + timedelta(hours=2)
    assert due_reminders(planned, now=late, sent_keys=set(), grace=timedelta(hours=1)) == []


def test_naive_moments_are_refused() -> None:
    with pytest.raises(ValueError):
        reminder_state(DUE, now=datetime(2024, 4, 30, 9), sent_keys=set())


# --- properties ---------------------------------------------------------------------------------

deadlines = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


@st.composite
def activities_and_rules(draw: st.DrawFn) -> tuple[ActivitySchedule, ReminderSettings]:
    deadline = draw(deadlines)
    length = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=400)))
    start = None if length is None else deadline - timedelta(days=length)
    nearby = st.integers(min_value=-60, max_value=90).map(lambda days: deadline + timedelta(days=days))
    rules = ReminderSettings(
        days_before=tuple(draw(st.sets(st.integers(1, 30), max_size=3))),
        overdue_every_days=draw(st.integers(min_value=1, max_value=14)),
        overdue_max_count=draw(st.integers(min_value=0, max_value=6)),
        hour=draw(st.integers(min_value=6, max_value=18)),
        holidays=frozenset(draw(st.sets(nearby, max_size=25))),
        weekend_days=frozenset(draw(st.sets(st.integers(0, 6), max_size=3))),
    )
    return ActivitySchedule(draw(st.integers(1, 10_000)), start, deadline), rules


@settings(max_examples=300, deadline=None)
@given(activities_and_rules())
def test_reminders_are_sorted_on_working_days_at_the_set_hour(case) -> None:
    activity, rules = case
    reminders = plan_reminders(activity, rules)
    times = [r.at for r in reminders]
    assert times == sorted(times) and len(set(r.at.date() for r in reminders)) == len(reminders)
    for reminder in reminders:
        assert is_working_day(reminder.at.date(), rules)
        assert reminder.at.tzinfo is BANGKOK
        assert (reminder.at.hour, reminder.at.minute) == (rules.hour, rules.minute)


@settings(max_examples=300, deadline=None)
@given(activities_and_rules())
def test_only_overdue_reminders_come_after_the_deadline(case) -> None:
    activity, rules = case
    for reminder in plan_reminders(activity, rules):
        if reminder.kind == "overdue":
            assert reminder.at.date() > activity.deadline
            assert reminder.sequence >= 1
        else:
            assert reminder.at.date() <= activity.deadline
            assert reminder.sequence == 0
        if reminder.kind == "start":
            assert reminder.at.date() <= activity.start


@settings(max_examples=300, deadline=None)
@given(activities_and_rules())
def test_keys_are_unique_deterministic_and_name_the_reminder(case) -> None:
    activity, rules = case
    reminders = plan_reminders(activity, rules)
    keys = [r.key for r in reminders]
    assert len(set(keys)) == len(keys)
    assert keys == [r.key for r in plan_reminders(activity, rules)]
    for reminder in reminders:
        assert reminder.key == f"a{activity.activity_id}:{reminder.kind}:{reminder.sequence}"
        assert reminder.kind in REMINDER_KINDS or reminder.kind.startswith("before_")


@settings(max_examples=300, deadline=None)
@given(activities_and_rules())
def test_the_due_reminder_is_never_dropped(case) -> None:
    activity, rules = case
    assert [r.kind for r in plan_reminders(activity, rules)].count("due") == 1


@settings(max_examples=200, deadline=None)
@given(
    activities_and_rules(),
    st.integers(min_value=-500, max_value=500).map(lambda hours: timedelta(hours=hours)),
)
def test_what_is_due_is_pending_and_inside_its_window(case, offset: timedelta) -> None:
    activity, rules = case
    reminders = plan_reminders(activity, rules)
    now = at_nine(activity.deadline) + offset
    for reminder in due_reminders(reminders, now=now, sent_keys=set()):
        assert reminder.at <= now < reminder.last_moment + timedelta(hours=24)
        assert reminder_state(reminder, now=now, sent_keys=set()) == "pending"
    everything_sent = {r.key for r in reminders}
    assert due_reminders(reminders, now=now, sent_keys=everything_sent) == []


# --- properties of the weekly look-ahead, over several activities --------------------------------

LOOK_AHEAD_KINDS_DAYS = 7


def _looks_ahead(kind: str) -> bool:
    return kind == "start" or (kind.startswith("before_") and int(kind[len("before_"):-1]) >= LOOK_AHEAD_KINDS_DAYS)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


@st.composite
def offices(draw: st.DrawFn) -> tuple[list[ActivitySchedule], ReminderSettings]:
    """A few activities with deadlines close together, so their reminders share weeks."""
    base = draw(deadlines)
    near = st.integers(min_value=-45, max_value=45).map(lambda days: base + timedelta(days=days))
    activities = []
    for number in range(draw(st.integers(min_value=1, max_value=6))):
        deadline = draw(near)
        length = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=60)))
        activities.append(ActivitySchedule(number, None if length is None else deadline - timedelta(days=length), deadline))
    rules = ReminderSettings(
        days_before=tuple(draw(st.sets(st.integers(1, 21), max_size=3))),
        overdue_every_days=draw(st.integers(min_value=1, max_value=14)),
        overdue_max_count=draw(st.integers(min_value=0, max_value=4)),
        holidays=frozenset(draw(st.sets(near, max_size=20))),
        weekend_days=frozenset(draw(st.sets(st.integers(0, 6), max_size=3))),
    )
    return activities, rules


@settings(max_examples=300, deadline=None)
@given(offices())
def test_a_look_ahead_is_never_later_than_its_own_day_nor_off_a_working_day_nor_after_the_deadline(case) -> None:
    activities, rules = case
    own = {r.key: r for r in plan_all_reminders(activities, replace(rules, weekly_look_ahead=False))}
    planned = plan_all_reminders(activities, rules)
    deadlines = {activity.activity_id: activity.deadline for activity in activities}
    for reminder in planned:
        unmoved = own[reminder.key]  # the look-ahead never adds a reminder
        assert is_working_day(reminder.at.date(), rules)
        assert reminder.at <= unmoved.at and _monday(reminder.at.date()) == _monday(unmoved.at.date())
        if _looks_ahead(reminder.kind):
            assert reminder.at.date() <= deadlines[reminder.activity_id]
        else:
            assert reminder.at == unmoved.at and reminder.moved_from is None  # urgent ones keep their day
        assert reminder.moved_from == (unmoved.at if reminder.at != unmoved.at else None)
        assert reminder.at <= reminder.last_moment <= unmoved.at
    # What the look-ahead drops is an early reminder that met a more urgent one of its activity.
    assert all(_looks_ahead(own[key].kind) for key in set(own) - {r.key for r in planned})


@settings(max_examples=300, deadline=None)
@given(offices())
def test_one_message_a_day_per_activity_even_when_a_look_ahead_is_sent_late(case) -> None:
    activities, rules = case
    planned = plan_all_reminders(activities, rules)
    for activity in activities:
        mine = [r for r in planned if r.activity_id == activity.activity_id]
        days = [r.at.date() for r in mine]
        assert len(days) == len(set(days)) and days == sorted(days)
        # The window a late look-ahead may use ends before the day of the activity's next one.
        for reminder, following in zip(mine, mine[1:]):
            assert reminder.last_moment.date() < following.at.date()


@settings(max_examples=300, deadline=None)
@given(offices())
def test_each_week_has_one_look_ahead_day_the_first_working_day_or_an_urgent_digest(case) -> None:
    activities, rules = case
    planned = plan_all_reminders(activities, rules)
    urgent_days = {r.at.date() for r in planned if not _looks_ahead(r.kind)}
    by_week: dict[date, set[date]] = {}
    for reminder in planned:
        if _looks_ahead(reminder.kind):
            by_week.setdefault(_monday(reminder.at.date()), set()).add(reminder.at.date())
    for monday, days in by_week.items():
        (day,) = days
        first_working = next(monday + timedelta(days=n) for n in range(7) if is_working_day(monday + timedelta(days=n), rules))
        assert day == first_working or day in urgent_days


# --- Thailand's public holidays by default ------------------------------------------------------


def test_songkran_from_the_public_holiday_calendar_moves_a_reminder_to_the_working_day_before() -> None:
    from bot.core.config import Config
    from scheduler.reminders import ReminderPolicy

    rules = ReminderPolicy.from_config(Config(reminder_weekly_look_ahead=False)).settings
    assert date(2024, 4, 15) in rules.holidays  # Songkran, from the `holidays` package
    # Deadline Monday 22 April 2024: the week-before reminder falls on Monday 15 April (Songkran);
    # Friday 12 is a bridge holiday and 13-14 the weekend, so it comes on Thursday 11 April.
    activity = ActivitySchedule(5, start=None, deadline=date(2024, 4, 22))
    assert schedule_of(plan_reminders(activity, rules))[0] == ("before_7d", 0, date(2024, 4, 11))
    # Without the public holidays it would have come on Songkran day itself.
    plain = ReminderPolicy.from_config(Config(public_holidays=False, reminder_weekly_look_ahead=False)).settings
    assert schedule_of(plan_reminders(activity, plain))[0] == ("before_7d", 0, date(2024, 4, 15))


def test_the_offices_own_holidays_add_to_the_public_ones() -> None:
    from bot.core.config import Config

    config = Config.from_environment({"KMBOT_HOLIDAYS": "2024-04-29"})
    assert {date(2024, 4, 29), date(2024, 4, 15), date(2024, 5, 22)} <= set(config.reminder_holidays)
    assert date(2024, 5, 1) not in config.reminder_holidays  # Labour Day: government offices work
    assert Config.from_environment({"KMBOT_HOLIDAYS": "2024-04-29", "KMBOT_PUBLIC_HOLIDAYS": "off"}).reminder_holidays == (
        date(2024, 4, 29),
    )
