"""One user asking too fast is asked, once, to slow down; everyone else is still answered."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.core.config import Config, QuestionRate, parse_question_rate
from bot.core.tables import InteractionEvent
from handlers.rate_limit import decide, describe_window

BANGKOK = ZoneInfo("Asia/Bangkok")


@pytest.fixture
def app_config(app_config):  # type: ignore[no-untyped-def]
    return {**app_config, "question_rate": QuestionRate(limit=3, window=timedelta(minutes=1))}


def reply_texts(line_stub) -> list[str]:  # type: ignore[no-untyped-def]
    return [reply.body["messages"][0].get("text", "(flex)") for reply in line_stub.replies]


def counted(database, kind: str) -> int:  # type: ignore[no-untyped-def]
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(InteractionEvent).where(InteractionEvent.kind == kind))


def test_a_user_over_the_limit_is_asked_once_to_wait_then_answered_again(webhook, line_events, line_stub, starter_pack, database):
    flooder = line_events.user("U" + "f" * 32)
    with time_machine.travel(datetime(2024, 3, 11, 10, 0, tzinfo=BANGKOK), tick=False) as traveller:
        for _ in range(5):
            assert webhook.send(line_events.text("KM คืออะไร", flooder)).status_code == 200
            traveller.shift(5)
        # Someone else in the office is not held back by the flood.
        webhook.send(line_events.text("KM คืออะไร", line_events.user("U" + "a" * 32)))
        traveller.shift(60)
        webhook.send(line_events.text("KM คืออะไร", flooder))

    texts = reply_texts(line_stub)
    # Three answers, one polite request to wait, silence for the fifth, then the other user's
    # answer and, a minute later, the flooder's.
    assert len(texts) == 6
    assert "ขออภัย" in texts[3] and "๓ คำถามใน ๑ นาที" in texts[3]
    assert [text for index, text in enumerate(texts) if index != 3] == ["(flex)"] * 5
    # Refused messages are not questions in the reach report.
    assert counted(database, "question") == 5
    assert counted(database, "rate_limited") == 2


def test_the_limit_is_off_when_configured_so(app, webhook, line_events, line_stub, starter_pack):
    from dataclasses import replace

    from bot.web.extensions import CONFIG_KEY

    live = app.extensions[CONFIG_KEY]
    live.base = replace(live.base, question_rate=None)
    live.invalidate()
    for _ in range(5):
        webhook.send(line_events.text("KM คืออะไร"))

    assert reply_texts(line_stub) == ["(flex)"] * 5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10/minute", QuestionRate(10, timedelta(minutes=1))),
        ("30 / 5 minutes", QuestionRate(30, timedelta(minutes=5))),
        ("100/hour", QuestionRate(100, timedelta(hours=1))),
        ("2/30 seconds", QuestionRate(2, timedelta(seconds=30))),
        ("off", None),
        ("0/minute", None),
    ],
)
def test_question_rates_are_read_as_staff_would_write_them(text: str, expected: QuestionRate | None) -> None:
    assert parse_question_rate(text) == expected


@pytest.mark.parametrize("text", ["ten a minute", "10/fortnight", "10/0 minutes", "-1/minute"])
def test_a_bad_rate_is_a_clear_error_at_start(text: str) -> None:
    with pytest.raises(ValueError, match="question rate"):
        Config.from_environment({"KMBOT_QUESTION_RATE": text})


def test_the_default_is_ten_questions_a_minute() -> None:
    assert Config.from_environment({}).question_rate == QuestionRate(10, timedelta(minutes=1))


@given(limit=st.integers(1, 50), questions=st.integers(0, 100), refusals=st.integers(0, 100))
def test_only_the_first_refusal_of_a_window_is_answered(limit: int, questions: int, refusals: int) -> None:
    rate = QuestionRate(limit, timedelta(minutes=1))
    decision = decide(questions, refusals, rate)
    if questions < limit:
        assert decision == "answer"
    else:
        assert decision == ("refuse_with_reply" if refusals == 0 else "refuse_silently")


def test_windows_are_said_in_thai() -> None:
    assert describe_window(timedelta(minutes=1)) == "๑ นาที"
    assert describe_window(timedelta(hours=2)) == "๒ ชั่วโมง"
    assert describe_window(timedelta(seconds=90)) == "๙๐ วินาที"
