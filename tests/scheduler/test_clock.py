"""The reminder clock: one sender at a time through the lease, jobs in memory that a restart
schedules again, and the catch-up on start. Time is frozen; nothing sleeps."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import inspect

from scheduler.clock import LEASE_JOB_ID, SWEEP_JOB_ID, TICK_JOB_ID, ReminderClock
from scheduler.lease import acquire_lease, lease_status
from scheduler.reminders import ReminderPolicy


def test_two_clocks_on_one_database_only_the_lease_holder_sends(database, line_stub, line_client, imported_plan, committee_group, at) -> None:
    first = ReminderClock(database, line_client, ReminderPolicy(), holder="clock-one")
    second = ReminderClock(database, line_client, ReminderPolicy(), holder="clock-two")

    with time_machine.travel(at(2024, 7, 1), tick=False):
        sent_by_first = first.tick()
        sent_by_second = second.tick()

    assert sent_by_first is not None and len(sent_by_first.sent) == 4
    assert sent_by_second is None
    assert len(line_stub.pushes) == 1  # the four reminders in one digest


def test_the_other_clock_takes_over_when_the_holders_lease_lapses(database, line_stub, line_client, imported_plan, committee_group, at) -> None:
    holder = ReminderClock(database, line_client, ReminderPolicy(), holder="clock-one")
    standby = ReminderClock(database, line_client, ReminderPolicy(), holder="clock-two")

    with time_machine.travel(at(2024, 7, 1, 8, 59, 0), tick=False) as traveller:
        assert holder.hold_lease() is True
        traveller.move_to(at(2024, 7, 1, 8, 59, 10))
        holder.renew()  # renewed every 10 s while it lives
        traveller.move_to(at(2024, 7, 1, 8, 59, 45))
        assert standby.hold_lease() is False  # 35 s after the renewal: still held
        # The holder dies here. 40 s after its last renewal the lease has lapsed.
        traveller.move_to(at(2024, 7, 1, 9, 0, 0))
        report = standby.tick()
        assert report is not None and len(report.sent) == 4
        assert holder.tick() is None  # back from the dead, it finds the lease taken
        assert lease_status(database)["holder"] == "clock-two"

    assert len(line_stub.pushes) == 1


def test_a_clean_shutdown_hands_the_lease_over_at_once(database, line_client, at) -> None:
    first = ReminderClock(database, line_client, ReminderPolicy(), holder="clock-one")
    second = ReminderClock(database, line_client, ReminderPolicy(), holder="clock-two")

    with time_machine.travel(at(2024, 7, 1), tick=False):
        assert first.hold_lease() is True
        assert second.hold_lease() is False
        first.shutdown()
        assert second.hold_lease() is True


def test_the_lease_is_one_conditional_update_on_both_databases(database, at) -> None:
    moment = at(2024, 7, 1)

    assert acquire_lease(database, "a", moment) is True
    assert acquire_lease(database, "b", moment + timedelta(seconds=39)) is False
    assert acquire_lease(database, "a", moment + timedelta(seconds=39)) is True  # renewed until 9:01:19
    assert acquire_lease(database, "b", moment + timedelta(seconds=78)) is False
    assert acquire_lease(database, "b", moment + timedelta(seconds=79)) is True
    status = lease_status(database)
    assert status == {
        "holder": "b",
        "expires_at": (moment + timedelta(seconds=79 + 40)).isoformat(),
        "heartbeat_at": (moment + timedelta(seconds=79)).isoformat(),
    }


def test_start_catches_up_and_a_restart_schedules_its_jobs_again(database, line_stub, line_client, imported_plan, committee_group, at) -> None:
    with time_machine.travel(at(2024, 7, 1, 9, 30), tick=False):
        first = ReminderClock(database, line_client, ReminderPolicy(), holder="clock-one")
        caught_up = first.start()
        try:
            assert first.running
            assert caught_up is not None and len(caught_up.sent) == 4  # 09:00's reminders, sent at 09:30
        finally:
            first.shutdown()
        assert not first.running

        second = ReminderClock(database, line_client, ReminderPolicy(), holder="clock-two")
        again = second.start()
        try:
            assert again is not None and again.sent == []  # the delivery rows remember what went out
            jobs = second._scheduler.get_jobs()  # type: ignore[union-attr]
            assert sorted(job.id for job in jobs) == sorted([TICK_JOB_ID, LEASE_JOB_ID, SWEEP_JOB_ID])
            assert second._scheduler.get_job(TICK_JOB_ID).func == second.tick  # type: ignore[union-attr]
            # The jobs are the process's own: nothing about them is written to the database.
            assert "apscheduler_jobs" not in inspect(database.engine).get_table_names()
        finally:
            second.shutdown()
    assert len(line_stub.pushes) == 1


def test_the_scheduled_tick_job_sends_what_is_due(database, line_stub, line_client, imported_plan, committee_group, at) -> None:
    reminder_clock = ReminderClock(database, line_client, ReminderPolicy(), holder="clock-one")
    with time_machine.travel(at(2024, 6, 28, 8, 0), tick=False) as traveller:
        reminder_clock.start()
        try:
            traveller.move_to(at(2024, 7, 1))
            reminder_clock._scheduler.get_job(TICK_JOB_ID).func()  # type: ignore[union-attr]
        finally:
            reminder_clock.shutdown()

    assert len(line_stub.delivered_pushes) == 1
    (push,) = line_stub.delivered_pushes
    assert len(push.body["messages"][0]["contents"]["contents"]) == 4  # a carousel of the four


def test_a_database_outage_during_a_tick_is_survived(database, line_client, imported_plan, committee_group, monkeypatch, at) -> None:
    from sqlalchemy.exc import OperationalError

    import scheduler.clock as runner

    def unavailable(*_arguments, **_keywords):  # type: ignore[no-untyped-def]
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    reminder_clock = ReminderClock(database, line_client, ReminderPolicy(), holder="clock-one")
    monkeypatch.setattr(runner, "send_due_reminders", unavailable)
    assert reminder_clock.tick(at(2024, 7, 1)) is None
    monkeypatch.setattr(runner, "acquire_lease", unavailable)
    assert reminder_clock.hold_lease(at(2024, 7, 1)) is False


def test_healthz_shows_the_clocks_heartbeat_once_a_clock_has_run(client, database, line_client, at) -> None:
    assert "scheduler" not in client.get("/healthz").get_json()

    with time_machine.travel(at(2024, 7, 1, 9, 0, 15), tick=False) as traveller:
        ReminderClock(database, line_client, ReminderPolicy(), holder="clock-one").hold_lease()
        live = client.get("/healthz").get_json()
        traveller.move_to(at(2024, 7, 1, 9, 5))
        lapsed = client.get("/healthz").get_json()

    assert live["status"] == "ok"
    assert live["scheduler"] == {"heartbeat_at": "2024-07-01T09:00:15+07:00", "active": True}
    assert lapsed["scheduler"]["active"] is False


def test_the_daily_sweep_drops_delivery_records_past_the_redelivery_window_by_the_lease_holder_only(database, line_client, at) -> None:
    from sqlalchemy import func, select

    from bot.core.database import insert_ignoring_duplicates
    from bot.core.tables import ReceivedWebhookEvent

    with database.session() as session:
        for number, day in enumerate((1, 10, 20, 29)):
            insert_ignoring_duplicates(session, ReceivedWebhookEvent, {
                "webhook_event_id": f"01EVENT{number:019d}", "event_type": "message", "received_at": at(2024, 6, day),
            }, unique_columns=["webhook_event_id"])
    holder = ReminderClock(database, line_client, ReminderPolicy(), holder="clock-one")
    standby = ReminderClock(database, line_client, ReminderPolicy(), holder="clock-two")
    assert holder.hold_lease(at(2024, 6, 30, 3, 17))

    assert standby.sweep(at(2024, 6, 30, 3, 17)) is None
    assert holder.sweep(at(2024, 6, 30, 3, 17)) == 2  # 1 and 10 June: more than 14 days old
    with database.session() as session:
        kept = sorted(session.scalars(select(ReceivedWebhookEvent.received_at)))
        assert [moment.day for moment in kept] == [20, 29]
        assert session.scalar(select(func.count()).select_from(ReceivedWebhookEvent)) == 2
