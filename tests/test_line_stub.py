"""The strict LINE stub refuses what LINE refuses, in LINE's error shape (tests/line_rules.py)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from linebot.v3.messaging.models import FlexContainer, FlexMessage, QuickReply, QuickReplyItem, MessageAction, TextMessage

from bot.core.config import Config
from bot.core.line_client import LineApiError, LineClient
from tests import line_rules


@pytest.fixture
def line_client(line_stub) -> LineClient:
    return LineClient(Config(line_channel_secret="s", line_channel_access_token="t", line_api_base_url=line_stub.url))


def _refused(line_stub, line_client, messages) -> list[dict]:
    """Post the messages as they are (kmbot's own client would shorten them first) and return
    LINE's 400 details."""
    line_stub.expect_refusals()
    body = json.dumps({"to": "C1", "messages": [message.to_dict() for message in messages]}).encode()
    request = urllib.request.Request(line_stub.url + "/v2/bot/message/push", data=body, method="POST", headers={
        "Content-Type": "application/json", "Authorization": "Bearer t",
        "X-Line-Retry-Key": "0f8fad5b-d9cb-469f-a165-70867728950e"})
    with pytest.raises(urllib.error.HTTPError) as raised:
        urllib.request.urlopen(request, timeout=5)
    assert raised.value.code == 400
    answer = json.loads(raised.value.read())
    assert answer["message"].startswith("The request body has")
    return answer["details"]


def test_kmbots_client_shortens_what_the_stub_would_refuse(line_stub, line_client):
    item = QuickReplyItem(action=MessageAction(label="ก" * 21, text="x"))
    line_client.push("C1", [TextMessage(text="🙏" * 2600, quick_reply=QuickReply(items=[item]))],
                     retry_key="0f8fad5b-d9cb-469f-a165-70867728950f")
    assert line_stub.pushes[-1].status == 200


def test_text_over_5000_utf16_units_is_refused_though_len_says_less(line_stub, line_client):
    details = _refused(line_stub, line_client, [TextMessage(text="🙏" * 2600)])
    assert details == [{"message": "Length must be between 0 and 5000", "property": "messages[0].text"}]


def test_six_messages_are_refused():
    # The SDK itself refuses six before sending, so the rule is checked on the body.
    body = {"to": "C1", "messages": [{"type": "text", "text": "x"}] * 6}
    assert line_rules.request_problems("/v2/bot/message/push", {}, body) == [("messages", "Size must be between 1 and 5")]


def test_a_quick_reply_label_over_20_graphemes_is_refused(line_stub, line_client):
    item = QuickReplyItem(action=MessageAction(label="ก" * 21, text="x"))
    details = _refused(line_stub, line_client, [TextMessage(text="x", quick_reply=QuickReply(items=[item]))])
    assert details[0]["property"] == "messages[0].quickReply.items[0].action.label"


def test_a_uri_without_a_scheme_is_refused(line_stub, line_client):
    bubble = {"type": "bubble", "body": {"type": "box", "layout": "vertical", "contents": [
        {"type": "button", "action": {"type": "uri", "label": "อ่านต่อ", "uri": "kmbot.example.go.th/kb/1"}}]}}
    details = _refused(line_stub, line_client, [FlexMessage(alt_text="x", contents=FlexContainer.from_dict(bubble))])
    assert details[0]["property"].endswith("action.uri")


def test_a_carousel_of_13_bubbles_is_refused(line_stub, line_client):
    bubble = {"type": "bubble", "body": {"type": "box", "layout": "vertical", "contents": [{"type": "text", "text": "x"}]}}
    carousel = {"type": "carousel", "contents": [bubble] * 13}
    details = _refused(line_stub, line_client, [FlexMessage(alt_text="x", contents=FlexContainer.from_dict(carousel))])
    assert details[0]["property"] == "messages[0].contents.contents"


def test_a_malformed_retry_key_is_refused(line_stub, line_client):
    line_stub.expect_refusals()
    with pytest.raises(LineApiError):
        line_client.push("C1", [TextMessage(text="x")], retry_key="reminder-17")
    assert line_stub.pushes[-1].response["details"][0]["property"] == "X-Line-Retry-Key"


def test_a_reply_token_works_once_and_not_after_20_minutes(line_stub, line_client):
    line_stub.expect_refusals()
    token = line_stub.issue_reply_token("fresh-token")
    line_client.reply(token, [TextMessage(text="x")])
    with pytest.raises(LineApiError):
        line_client.reply(token, [TextMessage(text="x")])
    stale = line_stub.issue_reply_token("stale-token", age_seconds=21 * 60, redelivery=True)
    with pytest.raises(LineApiError):
        line_client.reply(stale, [TextMessage(text="x")])
    assert [call.status for call in line_stub.replies] == [200, 400, 400]
