"""Faults around the bot, in one process: LINE slow, LINE down, LINE throttling, the database
away for a moment, and the reminder clock gone. The LINE stub plays the API; time is frozen
where it matters.

A process killed in the middle of a tick (a delivery left ``sending`` whose retry key LINE had
already accepted) is covered by
``tests/scheduler/test_reminders.py::test_a_process_killed_mid_push_is_finished_without_a_second_delivery``,
and a real SIGKILL of the clock process by ``tests/scheduler/test_failover.py``.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import time
from datetime import date, datetime
from typing import Any, Iterator

import pytest
import time_machine
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from bot.core.calendar import BANGKOK

COMMITTEE_GROUP = "C000000000000000000000000000faults"
REMINDER_MOMENT = datetime(2024, 7, 1, 9, 0, tzinfo=BANGKOK)  # a Monday, the activity's deadline


def closed_port_url() -> str:
    """A local address where nothing listens: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def due_reminder(database) -> str:  # type: ignore[no-untyped-def]
    """One activity whose 'due' reminder is due at REMINDER_MOMENT, and a committee group."""
    from bot.core.people import ensure_group
    from kb.tables import Activity, Plan

    with database.session() as session:
        plan = Plan(fiscal_year=2567, number=1, knowledge_topic="faults")
        plan.activities.append(Activity(position=1, number=1, step="KMP1", name="บ่งชี้ความรู้",
                                        start=date(2024, 6, 3), deadline=date(2024, 7, 1)))
        session.add(plan)
        group = ensure_group(session, COMMITTEE_GROUP, "group", datetime(2023, 9, 1, tzinfo=BANGKOK))
        group.role = "committee"
    return COMMITTEE_GROUP


def make_line_client(app, base_url: str | None = None, sleeps: list[float] | None = None, **overrides: Any):  # type: ignore[no-untyped-def]
    from bot.core.line_client import LineClient
    from bot.web.extensions import get_config

    config = get_config(app).with_overrides({**({"line_api_base_url": base_url} if base_url else {}), **overrides})
    return LineClient(config, sleep=sleeps.append if sleeps is not None else (lambda _seconds: None))


def slow_down(line_stub, path: str, seconds: float, times: int = 1) -> None:  # type: ignore[no-untyped-def]
    """The next ``times`` calls to ``path`` are answered (and acted on) only after ``seconds``."""
    respond = line_stub._respond
    remaining = [times]

    def slow(request):  # type: ignore[no-untyped-def]
        response = respond(request)
        if request.path == path and remaining[0] > 0:
            remaining[0] -= 1
            time.sleep(seconds)
        return response

    line_stub._respond = slow


def settle(line_stub, seconds: float) -> None:  # type: ignore[no-untyped-def]
    """Wait until the stub has had no new call for ``seconds`` (at most ten times that)."""
    deadline = time.monotonic() + 10 * seconds
    seen, quiet_since = len(line_stub.calls), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - quiet_since < seconds:
        time.sleep(0.1)
        if len(line_stub.calls) != seen:
            seen, quiet_since = len(line_stub.calls), time.monotonic()


def deliveries(database) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    from scheduler.tables import Delivery

    with database.session() as session:
        rows = session.execute(
            select(Delivery.state, Delivery.attempts).where(Delivery.reminder_kind == "due")
        )
        return [tuple(row) for row in rows]


# ---------------------------------------------------------------- LINE slow


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    # Short enough that a "slow" LINE is a fraction of a second of test time.
    return {**app_config, "line_request_timeout_seconds": 0.3, "line_reply_budget_seconds": 0.5}


def test_a_slow_line_does_not_hold_the_webhook_past_its_budget(webhook, line_events, line_stub, database, caplog) -> None:
    from bot.core.tables import ReceivedWebhookEvent

    slow_down(line_stub, "/v2/bot/message/reply", seconds=2.0, times=10)
    started = time.monotonic()
    response = webhook.send(line_events.text("วิธีใช้"))
    elapsed = time.monotonic() - started

    assert response.status_code == 200 and response.get_json()["handled"] == 1
    # The reply budget (0.5 s here) bounds the wait: without it, four attempts that each time
    # out after 0.3 s would take at least 1.2 s.
    assert elapsed < 4 * 0.3
    assert "reply failed" in caplog.text
    # The attempts that timed out still reach LINE, one after another; LINE accepts the first
    # and refuses the retry's used token. Let them land here, not in the next test's stub.
    line_stub.expect_refusals()
    settle(line_stub, seconds=2.5)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(ReceivedWebhookEvent)) == 1


@pytest.fixture
def threaded_line_stub() -> Iterator[Any]:
    """A LINE stub answering requests in parallel, as LINE does: a retry is not queued behind
    the slow request it retries."""
    from pytest_httpserver import HTTPServer

    from tests.conftest import LineStub

    server = HTTPServer(threaded=True)
    server.start()
    stub = LineStub(server)
    server.expect_request(re.compile(".*")).respond_with_handler(stub.handle)
    try:
        yield stub
    finally:
        server.clear()
        server.stop()


def test_a_push_that_times_out_is_retried_with_the_same_key_and_delivered_once(
    app, threaded_line_stub, database, due_reminder
) -> None:
    from scheduler.reminders import send_due_reminders

    # LINE accepts the first push but answers after the client (0.3 s timeout) gave up waiting.
    slow_down(threaded_line_stub, "/v2/bot/message/push", seconds=1.0)
    report = send_due_reminders(database, make_line_client(app, threaded_line_stub.url), REMINDER_MOMENT)

    keys = [call.headers["X-Line-Retry-Key"] for call in threaded_line_stub.pushes]
    assert len(keys) == 2 and len(set(keys)) == 1
    assert [call.status for call in threaded_line_stub.pushes] == [200, 409]
    assert len(report.sent) == 1 and report.sent[0].already_delivered is True
    assert deliveries(database) == [("sent", 1)]


# ---------------------------------------------------------------- LINE down


def test_line_down_the_webhook_still_answers_and_logs_the_failed_reply(app_config, line_events, database, caplog) -> None:
    from bot import create_app
    from bot.core.tables import InteractionEvent, ReceivedWebhookEvent
    from tests.conftest import WebhookPoster

    application = create_app({**app_config, "line_api_base_url": closed_port_url()})
    application.config["TESTING"] = True
    caplog.set_level(logging.INFO)
    body_text = "วิธีใช้ข้อความลับ"
    try:
        response = WebhookPoster(application.test_client()).send(line_events.text(body_text))
    finally:
        from bot.web.extensions import get_database

        get_database(application).dispose()

    assert response.status_code == 200 and response.get_json()["handled"] == 1
    assert "reply failed" in caplog.text and "could not be reached" in caplog.text
    assert body_text not in caplog.text and "test-access-token" not in caplog.text
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(ReceivedWebhookEvent)) == 1
        assert session.scalar(select(func.count()).select_from(InteractionEvent)) >= 1


def test_line_down_a_reminder_stays_retryable_and_a_later_tick_sends_it_once(app, line_stub, database, due_reminder) -> None:
    from datetime import timedelta

    from scheduler.reminders import send_due_reminders

    down = send_due_reminders(database, make_line_client(app, closed_port_url()), REMINDER_MOMENT)
    assert len(down.failed) == 1 and down.sent == []
    assert deliveries(database) == [("failed", 1)]

    later = send_due_reminders(database, make_line_client(app), REMINDER_MOMENT + timedelta(minutes=1))
    again = send_due_reminders(database, make_line_client(app), REMINDER_MOMENT + timedelta(minutes=2))

    assert len(later.sent) == 1 and again.sent == []
    assert len(line_stub.delivered_pushes) == 1
    assert deliveries(database) == [("sent", 2)]


# ---------------------------------------------------------------- LINE throttling


def test_429_with_a_long_retry_after_is_retried_a_bounded_number_of_times_with_capped_waits(
    app, line_stub, database, due_reminder
) -> None:
    from datetime import timedelta

    from scheduler.reminders import send_due_reminders

    sleeps: list[float] = []
    client = make_line_client(app, sleeps=sleeps, line_max_attempts=3, line_backoff_cap_seconds=8.0)
    line_stub.fail_next("/v2/bot/message/push", 429, times=10, headers={"Retry-After": "3600"})

    throttled = send_due_reminders(database, client, REMINDER_MOMENT)

    assert len(line_stub.pushes) == 3  # bounded
    assert sleeps == [8.0, 8.0]  # an hour asked, the cap kept
    assert len(throttled.failed) == 1 and deliveries(database) == [("failed", 1)]
    line_stub.scripted.clear()
    later = send_due_reminders(database, client, REMINDER_MOMENT + timedelta(minutes=1))
    assert len(later.sent) == 1 and len(line_stub.delivered_pushes) == 1


# ---------------------------------------------------------------- the database away for a moment


@pytest.fixture
def database_outage(database) -> Iterator[list[bool]]:  # type: ignore[no-untyped-def]
    """While ``outage[0]`` is True every new connection fails as a stopped server's would."""
    outage = [False]

    def refuse(*_arguments: Any, **_keywords: Any) -> None:
        if outage[0]:
            raise OperationalError("connect", {}, ConnectionRefusedError("database is down"))

    event.listen(database.engine, "do_connect", refuse)
    yield outage
    event.remove(database.engine, "do_connect", refuse)


def test_database_down_the_webhook_answers_503_and_the_redelivery_is_handled_once(
    client, webhook, line_events, line_stub, database, database_outage
) -> None:
    from bot.core.tables import InteractionEvent, ReceivedWebhookEvent

    message = line_events.text("วิธีใช้")
    body = json.dumps({"destination": "U0", "events": [message]}).encode()
    database.dispose()  # no pooled connection survives the outage
    database_outage[0] = True
    refused = webhook.post_body(body)
    assert client.get("/healthz").status_code == 503
    database_outage[0] = False

    assert refused.status_code == 503
    assert line_stub.replies == []
    redelivered = webhook.post_body(body)
    twice = webhook.post_body(body)

    assert redelivered.status_code == 200 and redelivered.get_json()["handled"] == 1
    assert twice.status_code == 200 and twice.get_json()["handled"] == 0
    assert len(line_stub.replies) == 1
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(ReceivedWebhookEvent)) == 1
        events = session.scalars(select(InteractionEvent.webhook_event_id)).all()
    assert events and set(events) == {message["webhookEventId"]}


def test_a_database_error_in_the_middle_of_an_event_leaves_nothing_half_written(
    webhook, line_events, line_stub, database, monkeypatch
) -> None:
    import handlers.dispatch as dispatch
    from bot.core.tables import InteractionEvent, ReceivedWebhookEvent, User

    real_handle_event = dispatch.handle_event

    def fail_after_writing(event, context):  # type: ignore[no-untyped-def]
        real_handle_event(event, context)
        context.session.flush()
        raise OperationalError("INSERT", {}, ConnectionResetError("server closed the connection"))

    message = line_events.text("วิธีใช้")
    body = json.dumps({"destination": "U0", "events": [message]}).encode()
    monkeypatch.setattr(dispatch, "handle_event", fail_after_writing)
    assert webhook.post_body(body).status_code == 503
    with database.session() as session:
        for table in (ReceivedWebhookEvent, InteractionEvent, User):
            assert session.scalar(select(func.count()).select_from(table)) == 0
    assert line_stub.replies == []

    monkeypatch.setattr(dispatch, "handle_event", real_handle_event)
    assert webhook.post_body(body).get_json()["handled"] == 1
    assert len(line_stub.replies) == 1


# ---------------------------------------------------------------- the clock gone


HEARTBEAT = datetime(2024, 7, 1, 9, 0, 0, tzinfo=BANGKOK)


@pytest.mark.parametrize("expect_clock", [False, True])
def test_healthz_with_no_clock_ever_run(app_config, expect_clock: bool) -> None:
    from bot import create_app
    from bot.core.migrate import upgrade_database
    from bot.web.extensions import get_database

    application = create_app({**app_config, "expect_clock": expect_clock})
    upgrade_database(get_database(application))
    try:
        response = application.test_client().get("/healthz")
    finally:
        get_database(application).dispose()
    if expect_clock:
        assert response.status_code == 503
        assert "none has ever run" in response.get_json()["reason"]
    else:
        assert response.status_code == 200


def test_healthz_fails_when_the_expected_clocks_heartbeat_is_older_than_two_minutes(app_config, database) -> None:
    from datetime import timedelta

    from bot import create_app
    from bot.web.extensions import get_database
    from scheduler.lease import acquire_lease

    application = create_app({**app_config, "expect_clock": True})
    health = application.test_client()
    try:
        with time_machine.travel(HEARTBEAT, tick=False) as traveller:
            acquire_lease(database, "clock-one", HEARTBEAT)
            fresh = health.get("/healthz")
            traveller.move_to(HEARTBEAT + timedelta(seconds=115))
            late_but_alive = health.get("/healthz")
            traveller.move_to(HEARTBEAT + timedelta(minutes=5))
            dead = health.get("/healthz")
    finally:
        get_database(application).dispose()

    assert fresh.status_code == 200 and fresh.get_json()["scheduler"]["active"] is True
    assert late_but_alive.status_code == 200
    assert dead.status_code == 503
    body = dead.get_json()
    assert body["status"] == "error" and "heartbeat is 300 s old" in body["reason"]
    assert body["database"] == "ok" and body["scheduler"]["active"] is False


def test_the_expect_clock_setting_is_read_from_the_environment() -> None:
    from bot.core.config import Config

    assert Config.from_environment({"KMBOT_EXPECT_CLOCK": "1"}).expect_clock is True
    assert Config.from_environment({}).expect_clock is False


def test_the_lease_can_be_shortened_from_the_environment_and_defaults_otherwise() -> None:
    from datetime import timedelta

    from scheduler.lease import LEASE_DURATION, RENEW_EVERY, lease_timing

    assert lease_timing({}) == (LEASE_DURATION, RENEW_EVERY)
    assert lease_timing({"KMBOT_LEASE_SECONDS": "4"}) == (timedelta(seconds=4), timedelta(seconds=1))
    with pytest.raises(ValueError):
        lease_timing({"KMBOT_LEASE_SECONDS": "0.1"})
