"""The LINE client: the SDK over HTTP to a local stub, with retries that never deliver twice."""

from __future__ import annotations

import pytest
from linebot.v3.messaging.models import TextMessage

from bot.core.config import Config
from bot.core.line_client import LineApiError, LineClient


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def line_client(line_stub, sleeps) -> LineClient:
    config = Config(
        line_channel_secret="s",
        line_channel_access_token="token-xyz",
        line_api_base_url=line_stub.url,
        line_backoff_seconds=0.5,
        line_max_attempts=4,
    )
    return LineClient(config, sleep=sleeps.append)


def test_a_push_that_meets_500_then_200_is_retried_with_the_same_retry_key(line_client, line_stub, sleeps):
    line_stub.fail_next("/v2/bot/message/push", 500)

    delivery = line_client.push("C123", [TextMessage(text="เตือนความจำ")], retry_key="0f8fad5b-d9cb-469f-a165-70867728950e")

    assert [call.status for call in line_stub.pushes] == [500, 200]
    assert {call.headers["X-Line-Retry-Key"] for call in line_stub.pushes} == {"0f8fad5b-d9cb-469f-a165-70867728950e"}
    assert len(line_stub.delivered_pushes) == 1
    assert delivery.status == 200 and delivery.request_id == "req-2"
    assert sleeps == [0.5]


def test_a_push_that_meets_400_is_not_retried(line_client, line_stub):
    line_stub.fail_next("/v2/bot/message/push", 400)

    with pytest.raises(LineApiError) as raised:
        line_client.push("C123", [TextMessage(text="x")], retry_key="5b7c9a52-0000-4000-8000-000000000001")

    assert len(line_stub.pushes) == 1
    assert raised.value.status == 400
    assert raised.value.request_id == "req-1"


def test_429_waits_as_long_as_retry_after_says_within_the_cap(line_client, line_stub, sleeps):
    line_stub.fail_next("/v2/bot/message/push", 429, headers={"Retry-After": "3"})

    line_client.push("C123", [TextMessage(text="x")], retry_key="5b7c9a52-0000-4000-8000-000000000002")

    assert sleeps == [3.0]
    assert len(line_stub.delivered_pushes) == 1


def test_retries_are_bounded(line_client, line_stub, sleeps):
    line_stub.fail_next("/v2/bot/message/push", 503, times=10)

    with pytest.raises(LineApiError):
        line_client.push("C123", [TextMessage(text="x")], retry_key="5b7c9a52-0000-4000-8000-000000000003")

    assert len(line_stub.pushes) == 4
    assert sleeps == [0.5, 1.0, 2.0]


def test_pushing_again_with_an_accepted_retry_key_delivers_nothing_new(line_client, line_stub):
    key = "5b7c9a52-0000-4000-8000-000000000004"
    first = line_client.push("C123", [TextMessage(text="x")], retry_key=key)
    second = line_client.push("C123", [TextMessage(text="x")], retry_key=key)

    assert first.already_delivered is False
    assert second.already_delivered is True
    assert len(line_stub.delivered_pushes) == 1


def test_reply_sends_the_token_and_messages(line_client, line_stub):
    line_client.reply(line_stub.issue_reply_token("token-abc"), [TextMessage(text="สวัสดีค่ะ")])

    body = line_stub.replies[0].body
    assert body["replyToken"] == "token-abc"
    assert body["messages"] == [{"type": "text", "text": "สวัสดีค่ะ"}]


def test_member_count_is_read_from_line(line_client, line_stub):
    line_stub.member_counts["C777"] = 42

    assert line_client.member_count("C777") == 42
    assert line_client.member_count("R777", kind="room") == 5


def test_the_access_token_never_reaches_the_logs(line_client, line_stub, caplog):
    line_stub.fail_next("/v2/bot/message/push", 500, times=4)

    with pytest.raises(LineApiError):
        line_client.push("C1", [TextMessage(text="ข้อความลับ")], retry_key="5b7c9a52-0000-4000-8000-000000000005")

    assert "token-xyz" not in caplog.text
    assert "ข้อความลับ" not in caplog.text
    assert "req-" in caplog.text


def test_a_400_carries_lines_message_and_details_and_logs_them(line_client, line_stub, caplog):
    line_stub.fail_next("/v2/bot/message/push", 400, body={
        "message": "The request body has 1 error(s)",
        "details": [{"message": "Length must be between 0 and 5000", "property": "messages[0].text"}],
    })

    with pytest.raises(LineApiError) as raised:
        line_client.push("C123", [TextMessage(text="x")], retry_key="5b7c9a52-0000-4000-8000-000000000009")

    assert raised.value.refused and raised.value.details[0]["property"] == "messages[0].text"
    assert "messages[0].text: Length must be between 0 and 5000" in str(raised.value)
    assert "messages[0].text" in caplog.text


def test_a_monthly_limit_429_is_not_retried(line_client, line_stub, sleeps):
    line_stub.fail_next("/v2/bot/message/push", 429, body={"message": "You have reached your monthly limit."})

    with pytest.raises(LineApiError) as raised:
        line_client.push("C123", [TextMessage(text="x")], retry_key="5b7c9a52-0000-4000-8000-00000000000a")

    assert raised.value.monthly_limit
    assert len(line_stub.pushes) == 1 and sleeps == []


def test_the_quota_and_a_group_name_are_read_from_line(line_client, line_stub):
    line_stub.quota = {"type": "limited", "value": 300}
    line_stub.quota_used = 120
    line_stub.group_names["C777"] = "คณะทำงาน KM"

    assert line_client.quota().limit == 300 and line_client.quota().used == 120
    assert line_client.quota().allows(180) and not line_client.quota().allows(181)
    assert line_client.group_name("C777") == "คณะทำงาน KM"
    assert line_client.group_name("Cunknown") is None
