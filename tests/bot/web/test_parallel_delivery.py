"""The same webhook event delivered to two real worker processes at once is handled once.

gunicorn runs the Procfile's app with two worker processes on PostgreSQL; threads fire the
same signed body at it concurrently, for many event ids. The ``received_webhook_events``
unique key must let exactly one worker handle each event: one row, one set of interaction
events, one reply per event id.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Iterator

import pytest

from tests.conftest import (
    BOT_USER_ID,
    TEST_ACCESS_TOKEN,
    TEST_CHANNEL_SECRET,
    LineEvents,
    sign,
)

EVENTS = 15
COPIES = 6
STARTUP_DEADLINE = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def post(url: str, body: bytes) -> int:
    request = urllib.request.Request(
        url, data=body, method="POST",
        headers={"Content-Type": "application/json", "X-Line-Signature": sign(body)},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def web_workers(app, database_url: str, line_stub, tmp_path: Path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """gunicorn with two worker processes on the migrated database; yields its base URL."""
    port = free_port()
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("KMBOT_", "LINE_"))}
    environment.update(
        DATABASE_URL=database_url,
        LINE_CHANNEL_SECRET=TEST_CHANNEL_SECRET,
        LINE_CHANNEL_ACCESS_TOKEN=TEST_ACCESS_TOKEN,
        LINE_API_BASE_URL=line_stub.url,
        KMBOT_SECRET_KEY="test-secret-key",
        PYTHAINLP_OFFLINE="1",
    )
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "4", "--bind", f"127.0.0.1:{port}",
             "bot:create_app()"],
            cwd=tmp_path, env=environment, stdout=log_file, stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        started = time.monotonic()
        while True:
            assert process.poll() is None, log_path.read_text(errors="replace")[-2000:]
            try:
                with urllib.request.urlopen(base_url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() - started < STARTUP_DEADLINE, "gunicorn did not answer /healthz"
            time.sleep(0.1)
        yield base_url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def signed_body(event_id: str) -> bytes:
    event = LineEvents.text("วิธีใช้", LineEvents.user(), event_id=event_id, reply_token=f"token-{event_id}")
    return json.dumps({"destination": BOT_USER_ID, "events": [event]}, ensure_ascii=False).encode()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_same_event_at_two_workers_at_once_is_handled_once(web_workers: str, database, line_stub) -> None:
    from sqlalchemy import func, select

    from bot.core.tables import InteractionEvent, ReceivedWebhookEvent

    callback = web_workers + "/callback"
    reference_id = "01REF" + uuid.uuid4().hex[:20].upper()
    assert post(callback, signed_body(reference_id)) == 200
    event_ids = ["01PAR" + uuid.uuid4().hex[:20].upper() for _ in range(EVENTS)]
    deliveries = [signed_body(event_id) for event_id in event_ids for _ in range(COPIES)]

    with ThreadPoolExecutor(max_workers=COPIES * 2) as pool:
        statuses = list(pool.map(lambda body: post(callback, body), deliveries))

    assert statuses == [200] * len(deliveries)
    with database.session() as session:
        received = dict(session.execute(
            select(ReceivedWebhookEvent.webhook_event_id, func.count()).group_by(ReceivedWebhookEvent.webhook_event_id)
        ).all())
        interactions = dict(session.execute(
            select(InteractionEvent.webhook_event_id, func.count())
            .where(InteractionEvent.webhook_event_id.is_not(None))
            .group_by(InteractionEvent.webhook_event_id)
        ).all())
    assert received == {event_id: 1 for event_id in [reference_id, *event_ids]}
    per_event = interactions[reference_id]
    assert per_event >= 1
    assert {event_id: interactions.get(event_id) for event_id in event_ids} == {event_id: per_event for event_id in event_ids}
    reply_tokens = sorted(call.body["replyToken"] for call in line_stub.replies)
    assert reply_tokens == sorted(f"token-{event_id}" for event_id in [reference_id, *event_ids])


QUESTIONS = 16  # more than the default limit of ten questions a minute


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_one_persons_questions_at_two_workers_at_once_are_limited_exactly(web_workers: str, database) -> None:
    # Each event locks its sender's row before counting their recent questions, so questions
    # handled at the same moment in two processes are counted one after the other.
    from sqlalchemy import func, select

    from bot.core.tables import InteractionEvent

    bodies = []
    for _ in range(QUESTIONS):
        event_id = "01RAT" + uuid.uuid4().hex[:20].upper()
        event = LineEvents.text("KM คืออะไร", LineEvents.user(), event_id=event_id, reply_token=f"token-{event_id}")
        bodies.append(json.dumps({"destination": BOT_USER_ID, "events": [event]}, ensure_ascii=False).encode())

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda body: post(web_workers + "/callback", body), bodies))

    assert statuses == [200] * QUESTIONS
    with database.session() as session:
        kinds = dict(session.execute(
            select(InteractionEvent.kind, func.count()).where(InteractionEvent.kind.in_(("question", "rate_limited")))
            .group_by(InteractionEvent.kind)
        ).all())
    assert kinds == {"question": 10, "rate_limited": QUESTIONS - 10}
