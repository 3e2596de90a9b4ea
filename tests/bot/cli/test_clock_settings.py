"""The clock reads the secretary's settings on every tick: a change in /admin reaches the
reminders without restarting the clock process."""

from __future__ import annotations

from bot.cli.scheduler import clock_for_app
from bot.core.settings import store_settings
from bot.web.extensions import get_live_config


def test_a_reminder_hour_saved_while_the_clock_runs_applies_at_the_next_tick(app, database, at):
    clock = clock_for_app(app)
    assert clock is not None
    clock.tick(at(2024, 5, 20, 8, 0))
    assert clock.policy.settings.hour == 9

    with database.session() as session:
        store_settings(session, {"reminder_hour": "14", "knowledge_push_schedule": "fri 15:30"})
    get_live_config(app).invalidate()  # as if five seconds had passed
    clock.tick(at(2024, 5, 20, 8, 1))

    assert clock.policy.settings.hour == 14
    assert clock.knowledge_push is not None and (clock.knowledge_push.slot.weekday, clock.knowledge_push.slot.hour) == (4, 15)


def test_a_bad_weekly_push_setting_turns_the_push_off_instead_of_stopping_the_clock(app, database, at):
    clock = clock_for_app(app)
    with database.session() as session:
        store_settings(session, {"knowledge_push_schedule": "someday 25:00"})
    get_live_config(app).invalidate()

    clock.tick(at(2024, 5, 20, 8, 0))

    assert clock.knowledge_push is None
