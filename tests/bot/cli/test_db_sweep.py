"""`kmbot db sweep`: the webhook delivery log is kept for LINE's redelivery window only."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from bot.core import channels
from bot.core.calendar import now
from bot.core.database import insert_ignoring_duplicates
from bot.core.tables import InteractionEvent, ReceivedWebhookEvent


def test_sweep_removes_old_delivery_records_and_keeps_the_reach_log(app, database) -> None:  # type: ignore[no-untyped-def]
    moment = now()
    with database.session() as session:
        for number, age in enumerate((40, 15, 3)):
            insert_ignoring_duplicates(session, ReceivedWebhookEvent, {
                "webhook_event_id": f"01SWEEP{number:019d}", "event_type": "message",
                "received_at": moment - timedelta(days=age),
            }, unique_columns=["webhook_event_id"])
        session.add(InteractionEvent(kind="question", channel=channels.LINE_ONE_TO_ONE, occurred_at=moment - timedelta(days=40),
                                     webhook_event_id="01SWEEP0000000000000000000"))

    result = app.test_cli_runner().invoke(args=["db", "sweep", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"removed": 2, "kept_days": 14}
    with database.session() as session:
        assert list(session.scalars(select(ReceivedWebhookEvent.webhook_event_id))) == ["01SWEEP0000000000000000002"]
        assert len(session.scalars(select(InteractionEvent)).all()) == 1

    # A window shorter than LINE's redelivery would let a redelivered event be handled twice.
    assert app.test_cli_runner().invoke(args=["db", "sweep", "--days", "1"]).exit_code == 2
    shorter = app.test_cli_runner().invoke(args=["db", "sweep", "--days", "2"])
    assert shorter.exit_code == 0 and "removed 1 " in shorter.output
