"""Logs an operator can read or collect, that never carry a secret or what staff wrote."""

from __future__ import annotations

import json
import logging

import pytest

from bot.core.logging_setup import MASK, configure_logging
from tests.conftest import TEST_ACCESS_TOKEN, TEST_CHANNEL_SECRET

ADMIN_PASSWORD = "รหัส-ผู้ดูแล-ห้ามรั่ว"
QUESTION = "ลับเฉพาะ งบประมาณโครงการ ก ข ค ปี 2567 ใช้ไปเท่าไหร่"


@pytest.fixture
def root_logging():  # type: ignore[no-untyped-def]
    """Restores the root logger's handlers and level that pytest set up."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield root
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_logs_are_one_object_per_line_with_thai_readable(root_logging, capsys) -> None:
    configure_logging("INFO", {"KMBOT_LOG_FORMAT": "json"})

    logging.getLogger("kmbot.test").info("ส่งการแจ้งเตือน %d รายการ", 3)
    try:
        raise RuntimeError("database went away")
    except RuntimeError:
        logging.getLogger("kmbot.test").exception("tick failed")

    lines = capsys.readouterr().err.strip().splitlines()
    records = [json.loads(line) for line in lines]
    assert records[0]["message"] == "ส่งการแจ้งเตือน 3 รายการ"
    assert records[0]["level"] == "INFO" and records[0]["logger"] == "kmbot.test"
    assert records[0]["time"][:2] == "20" and ("+" in records[0]["time"] or "-" in records[0]["time"][10:])
    assert "RuntimeError: database went away" in records[1]["exc_info"]


def test_text_logs_are_plain_lines(root_logging, capsys) -> None:
    configure_logging("WARNING", {})

    logging.getLogger("kmbot.test").info("not shown at WARNING")
    logging.getLogger("kmbot.test").warning("LINE push answered 429")

    err = capsys.readouterr().err
    assert "not shown" not in err
    assert "WARNING kmbot.test: LINE push answered 429" in err


def test_an_unknown_log_format_is_refused_clearly(root_logging) -> None:
    with pytest.raises(ValueError, match="KMBOT_LOG_FORMAT"):
        configure_logging("INFO", {"KMBOT_LOG_FORMAT": "xml"})


def test_a_secret_that_reaches_a_message_is_masked(root_logging, capsys) -> None:
    configure_logging("INFO", {"LINE_CHANNEL_ACCESS_TOKEN": "token-abcdefghijklmnop", "KMBOT_LOG_FORMAT": "json"})

    logging.getLogger("kmbot.test").error("request with Bearer %s failed", "token-abcdefghijklmnop")

    err = capsys.readouterr().err
    assert "token-abcdefghijklmnop" not in err
    assert json.loads(err)["message"] == f"request with Bearer {MASK} failed"


@pytest.fixture
def app_config(app_config):  # type: ignore[no-untyped-def]
    return {**app_config, "admin_password": ADMIN_PASSWORD}


def test_secrets_and_staff_messages_never_reach_the_logs(client, webhook, line_events, line_stub, starter_pack, caplog) -> None:
    """Everything logged, at DEBUG, through a day's worth of traffic and failures."""
    from tests.bot.web.test_admin import sign_in

    caplog.set_level(logging.DEBUG)
    webhook.send(line_events.text(QUESTION))                       # answered or a gap
    webhook.send(line_events.text("KM คืออะไร"))                   # answered
    webhook.post_body(b'{"events": []}', signature="forged")        # refused signature
    line_stub.fail_next("/v2/bot/message/reply", 401, times=4)
    webhook.send(line_events.text("ขั้นตอน KMP มีอะไรบ้าง"))        # LINE refuses the token
    line_stub.fail_next("/v2/bot/message/reply", 500, times=4)
    webhook.send(line_events.text("แผน KM ปีนี้"))                  # LINE down
    sign_in(client, "รหัสผิด-ลองเดา")                                # a wrong admin password
    sign_in(client, ADMIN_PASSWORD)

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "reply failed" in logged  # the failures were logged, so there was something to leak
    for secret in (TEST_CHANNEL_SECRET, TEST_ACCESS_TOKEN, ADMIN_PASSWORD, "รหัสผิด-ลองเดา"):
        assert secret not in logged
    for staff_text in (QUESTION, "ลับเฉพาะ", "KMP มีอะไรบ้าง"):
        assert staff_text not in logged
