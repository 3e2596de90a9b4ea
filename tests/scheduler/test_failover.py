"""Failover between two real `kmbot scheduler run` processes on one database.

Both clocks start at once against the LINE stub of this test process; only the lease holder
sends. The holder is then killed with SIGKILL (no clean shutdown, its lease stays in the
database until it lapses) and the standby must take over within the (shortened) lease and
send what became due, without any retry key being accepted twice. Real processes need real
time: every wait polls against a deadline.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable, Iterator

import pytest

from tests.conftest import TEST_ACCESS_TOKEN, TEST_CHANNEL_SECRET

LEASE_SECONDS = 3.0
GRACE_HOURS = "240"
FIRST_GROUP = "C00000000000000000000000failover1"
SECOND_GROUP = "C00000000000000000000000failover2"
STARTUP_DEADLINE = 20.0


@dataclass
class ClockProcess:
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def clock_environment(database_url: str, line_api_base_url: str) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("KMBOT_", "LINE_"))}
    environment.update(
        DATABASE_URL=database_url,
        LINE_CHANNEL_SECRET=TEST_CHANNEL_SECRET,
        LINE_CHANNEL_ACCESS_TOKEN=TEST_ACCESS_TOKEN,
        LINE_API_BASE_URL=line_api_base_url,
        KMBOT_LEASE_SECONDS=str(LEASE_SECONDS),
        KMBOT_REMINDER_GRACE_HOURS=GRACE_HOURS,
        KMBOT_LOG_LEVEL="INFO",
        PYTHAINLP_OFFLINE="1",
        PYTHONUNBUFFERED="1",
    )
    return environment


def wait_for(condition: Callable[[], bool], deadline_seconds: float, what: str) -> float:
    """Poll until ``condition`` holds; the seconds it took. Fails with ``what`` at the deadline."""
    started = time.monotonic()
    while time.monotonic() - started < deadline_seconds:
        if condition():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"not within {deadline_seconds:.0f} s: {what}")


@pytest.fixture
def start_clock(tmp_path: Path, database_url: str, line_stub) -> Iterator[Callable[[str], ClockProcess]]:  # type: ignore[no-untyped-def]
    started: list[ClockProcess] = []
    environment = clock_environment(database_url, line_stub.url)

    def start(name: str, *command: str) -> ClockProcess:
        log_path = tmp_path / f"{name}.log"
        with log_path.open("wb") as log_file:
            # The working directory is the test's own, so no developer .env is read.
            process = subprocess.Popen(
                [sys.executable, "-c", "from bot.app import main; main()", *(command or ("scheduler", "run"))],
                cwd=tmp_path, env=environment, stdout=log_file, stderr=subprocess.STDOUT,
            )
        clock = ClockProcess(process, log_path)
        started.append(clock)
        return clock

    yield start
    for clock in started:
        if clock.process.poll() is None:
            clock.process.send_signal(signal.SIGTERM)
            try:
                clock.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                clock.process.kill()
                clock.process.wait()


def seed_overdue_activity(database) -> None:  # type: ignore[no-untyped-def]
    """An activity whose deadline has just passed: its reminders are due now, whatever the hour."""
    from bot.core.calendar import fiscal_year_of, now
    from bot.core.people import ensure_group
    from kb.tables import Activity, Plan

    today = now().date()
    with database.session() as session:
        plan = Plan(fiscal_year=fiscal_year_of(today), number=1, knowledge_topic="failover drill")
        plan.activities.append(
            Activity(position=1, number=1, step="KMP1", name="บ่งชี้ความรู้", start=today - timedelta(days=9),
                     deadline=today - timedelta(days=2))
        )
        session.add(plan)
        group = ensure_group(session, FIRST_GROUP, "group", now() - timedelta(days=30))
        group.role = "committee"


def add_committee_group(database, line_group_id: str) -> None:  # type: ignore[no-untyped-def]
    from bot.core.calendar import now
    from bot.core.people import ensure_group

    with database.session() as session:
        group = ensure_group(session, line_group_id, "group", now() - timedelta(days=30))
        group.role = "committee"


def due_reminder_keys(database) -> set[str]:  # type: ignore[no-untyped-def]
    """The keys of every reminder due now and not sent yet, as the policy plans them."""
    from bot.core.calendar import now
    from scheduler.reminders import ReminderPolicy, preview_reminders

    policy = ReminderPolicy(grace=timedelta(hours=float(GRACE_HOURS)))
    moment = now()
    with database.session() as session:
        previews = preview_reminders(session, policy, moment)
    return {preview.key for preview in previews if preview.state == "pending" and preview.at <= moment}


def retry_keys(reminder_keys: set[str], line_group_id: str) -> set[str]:
    """The retry key of the one digest that carries the reminders due together to the group."""
    from scheduler.reminders import digest_retry_key

    return {digest_retry_key(reminder_keys, line_group_id)}


def lease_holder_pid(database) -> int | None:  # type: ignore[no-untyped-def]
    from scheduler.lease import lease_status

    status = lease_status(database)
    if status is None or not status["holder"]:
        return None
    return int(status["holder"].split(":")[1])


def sent_rows(database) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from scheduler.tables import Delivery

    with database.session() as session:
        return session.scalar(select(func.count()).select_from(Delivery).where(Delivery.state == "sent"))


def accepted_keys(line_stub) -> list[str]:  # type: ignore[no-untyped-def]
    return [call.headers.get("X-Line-Retry-Key", "") for call in line_stub.delivered_pushes]


def test_only_the_lease_holder_sends_and_the_standby_takes_over_after_a_kill(database, line_stub, start_clock) -> None:
    seed_overdue_activity(database)
    reminder_keys = due_reminder_keys(database)
    first_keys = retry_keys(reminder_keys, FIRST_GROUP)
    assert first_keys, "the seeded activity should have reminders due now"

    clocks = [start_clock("clock-a"), start_clock("clock-b")]
    wait_for(lambda: set(accepted_keys(line_stub)) >= first_keys, STARTUP_DEADLINE, "the due reminders were pushed")
    # Killed once its pushes are recorded: a kill between LINE's answer and the commit is the
    # mid-tick case (tests/bot/test_faults.py), completed after the stale-claim delay instead.
    wait_for(lambda: sent_rows(database) == len(reminder_keys), STARTUP_DEADLINE, "the pushes were recorded as sent")
    active_pid = lease_holder_pid(database)
    active = next(clock for clock in clocks if clock.pid == active_pid)
    standby = next(clock for clock in clocks if clock.pid != active_pid)
    # Both processes are up and ticking: the standby has logged that it runs, and sent nothing.
    wait_for(lambda: "reminder clock started" in standby.log(), STARTUP_DEADLINE, "the standby clock started")
    assert " sent," in active.log()
    assert " sent," not in standby.log()

    active.process.send_signal(signal.SIGKILL)
    active.process.wait(timeout=10)
    killed_at = time.monotonic()
    # Due from now on: the reminders of a committee group added after the kill.
    add_committee_group(database, SECOND_GROUP)
    second_keys = retry_keys(reminder_keys, SECOND_GROUP)
    assert second_keys and not second_keys & first_keys

    wait_for(lambda: set(accepted_keys(line_stub)) >= first_keys | second_keys, LEASE_SECONDS * 4 + 5,
             "the standby took over and pushed the new group's reminders")
    takeover_seconds = time.monotonic() - killed_at
    assert lease_holder_pid(database) == standby.pid
    assert takeover_seconds < LEASE_SECONDS * 4 + 5
    assert standby.process.poll() is None

    # LINE accepting the last push comes before the standby records it (member count, commit).
    wait_for(lambda: sent_rows(database) == 2 * len(reminder_keys), STARTUP_DEADLINE,
             "the standby's pushes were recorded as sent")

    # Nothing twice: every retry key was accepted once, and no push was even tried again.
    keys = accepted_keys(line_stub)
    assert sorted(keys) == sorted(first_keys | second_keys)
    assert [call.status for call in line_stub.pushes].count(409) == 0
    assert_one_sent_row_per_reminder_and_one_reach_event_per_push(database, 2 * len(reminder_keys), len(keys))


def assert_one_sent_row_per_reminder_and_one_reach_event_per_push(database, rows: int, pushes: int) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from bot.core.tables import InteractionEvent
    from scheduler.tables import Delivery

    with database.session() as session:
        states = session.execute(select(Delivery.state, func.count()).group_by(Delivery.state)).all()
        events = session.scalar(select(func.count()).select_from(InteractionEvent).where(InteractionEvent.kind == "reminder_push"))
    assert dict(states).get("sent") == rows
    assert dict(states).get("sending", 0) == 0
    assert events == pushes


def test_a_standby_that_takes_the_lease_over_on_renewal_sends_at_once(app, database, line_stub) -> None:
    """In one process, time frozen: the renewal that takes a lapsed lease over runs a tick,
    so a standby does not wait for the next minute's tick; a renewal while holding does not."""
    import time_machine

    from bot.core.calendar import now
    from bot.web.extensions import get_line_client
    from scheduler.clock import ReminderClock
    from scheduler.reminders import ReminderPolicy

    policy = ReminderPolicy(grace=timedelta(hours=float(GRACE_HOURS)))
    with time_machine.travel(now(), tick=False) as traveller:
        seed_overdue_activity(database)
        expected = retry_keys(due_reminder_keys(database), FIRST_GROUP)
        timing = {"lease_duration": timedelta(seconds=LEASE_SECONDS), "renew_every": timedelta(seconds=1)}
        holder = ReminderClock(database, get_line_client(app), policy, holder="clock-one", **timing)
        standby = ReminderClock(database, get_line_client(app), policy, holder="clock-two", **timing)
        assert holder.hold_lease() is True
        standby.renew()
        assert line_stub.pushes == []
        traveller.shift(LEASE_SECONDS + 1)  # the holder died without renewing
        standby.renew()
        assert set(accepted_keys(line_stub)) == expected
        standby.renew()
    assert len(line_stub.pushes) == len(expected)


def test_kmbot_serve_stopped_by_sigterm_gives_its_lease_up_at_once(database, line_stub, start_clock) -> None:
    """systemd and Procfile platforms stop with SIGTERM; the restarted process must not wait
    for the old lease to lapse."""
    import socket

    from bot.core.calendar import now
    from scheduler.lease import lease_status

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    served = start_clock("serve", "serve", "--port", str(port))
    wait_for(lambda: lease_holder_pid(database) == served.pid, STARTUP_DEADLINE, "kmbot serve holds the clock's lease")

    served.process.send_signal(signal.SIGTERM)

    assert served.process.wait(timeout=15) == 0, served.log()
    assert "reminder clock stopped" in served.log()
    # Given up, not left to lapse: it expires the moment the process stopped.
    assert datetime.fromisoformat(lease_status(database)["expires_at"]) <= now()
