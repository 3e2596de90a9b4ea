"""The LINE webhook: signatures, limits, de-duplication and replies, through real HTTP to a LINE stub."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from bot.core.tables import ChatGroup, InteractionEvent, ReceivedWebhookEvent, User
from kb.tables import KnowledgeGap


def count(database, model) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_one_to_one_text_gets_a_reply_with_its_reply_token(webhook, line_events, line_stub):
    event = line_events.text("ช่วยเหลือ", reply_token="reply-token-1")

    response = webhook.send(event)

    assert response.status_code == 200
    assert len(line_stub.replies) == 1
    reply = line_stub.replies[0]
    assert reply.body["replyToken"] == "reply-token-1"
    assert reply.headers["Authorization"] == "Bearer test-access-token"
    assert "/plan" in reply.body["messages"][0]["text"]


def test_group_talk_without_a_mention_gets_no_reply(webhook, line_events, line_stub, database):
    response = webhook.send(line_events.text("พรุ่งนี้ประชุมกี่โมงครับ", line_events.group()))

    assert response.status_code == 200
    assert line_stub.replies == []
    assert count(database, ChatGroup) == 1  # the group is still recorded


def test_group_text_that_mentions_the_bot_gets_a_reply(webhook, line_events, line_stub):
    text = "@น้องบอท วิธีใช้"
    response = webhook.send(line_events.text(text, line_events.group(), mention_self_at=(0, len("@น้องบอท"))))

    assert response.status_code == 200
    assert len(line_stub.replies) == 1
    assert "/plan" in line_stub.replies[0].body["messages"][0]["text"]


def test_group_text_with_a_trigger_gets_a_reply(webhook, line_events, line_stub):
    webhook.send(line_events.text("/help", line_events.group()))
    webhook.send(line_events.text("? วิธีใช้", line_events.room()))

    assert len(line_stub.replies) == 2


def test_a_mention_of_someone_else_is_not_for_the_bot(webhook, line_events, line_stub):
    event = line_events.text("@สมชาย ช่วยดูหน่อย", line_events.group())
    event["message"]["mention"] = {"mentionees": [{"index": 0, "length": 6, "type": "user", "userId": "U9", "isSelf": False}]}

    webhook.send(event)

    assert line_stub.replies == []


def test_a_wrong_signature_is_refused_and_nothing_is_stored(webhook, line_events, line_stub, database):
    body = json.dumps({"destination": "U0", "events": [line_events.text("/help")]}).encode()

    response = webhook.post_body(body, signature="d3Jvbmctc2lnbmF0dXJl")

    assert response.status_code == 400
    assert line_stub.calls == []
    assert count(database, ReceivedWebhookEvent) == 0
    assert count(database, User) == 0


def test_a_missing_signature_is_refused(webhook, line_events, database):
    body = json.dumps({"destination": "U0", "events": [line_events.follow()]}).encode()

    assert webhook.post_body(body, signature=None).status_code == 400
    assert count(database, InteractionEvent) == 0


def test_a_signed_body_that_is_not_json_is_refused(webhook, database):
    response = webhook.post_body(b"{not json")

    assert response.status_code == 400
    assert "JSON" in response.get_json()["message"]
    assert count(database, ReceivedWebhookEvent) == 0


def test_a_body_over_one_mebibyte_is_refused(webhook, database):
    body = json.dumps({"destination": "U0", "events": [], "padding": "x" * (1024 * 1024)}).encode()

    assert webhook.post_body(body).status_code == 413
    assert count(database, ReceivedWebhookEvent) == 0


def test_the_verify_request_with_no_events_is_accepted(webhook, line_stub):
    response = webhook.send()

    assert response.status_code == 200
    assert line_stub.calls == []


def test_the_same_event_delivered_twice_is_handled_once(webhook, line_events, line_stub, database):
    event = line_events.follow(event_id="01HREDELIVERED000000000000")
    redelivered = {**event, "deliveryContext": {"isRedelivery": True}, "replyToken": "another-token"}

    assert webhook.send(event).status_code == 200
    assert webhook.send(redelivered).status_code == 200

    assert len(line_stub.replies) == 1
    assert count(database, ReceivedWebhookEvent) == 1
    with database.session() as session:
        follows = session.scalars(select(InteractionEvent).where(InteractionEvent.kind == "follow")).all()
    assert len(follows) == 1


def test_an_event_type_nobody_handles_is_acknowledged(webhook, line_events, line_stub, database):
    event = line_events._base("videoPlayComplete", line_events.user(), None, False, replyToken="t", videoPlayComplete={"trackingId": "x"})

    assert webhook.send(event).status_code == 200
    assert line_stub.replies == []
    assert count(database, ReceivedWebhookEvent) == 1


def test_a_malformed_event_is_skipped_and_the_rest_of_the_batch_is_handled(webhook, line_events, line_stub, database):
    broken = {"type": "message", "webhookEventId": "01HBROKEN", "message": {"type": "text"}}

    response = webhook.send(broken, line_events.text("/help"))

    assert response.status_code == 200
    assert len(line_stub.replies) == 1
    assert count(database, ReceivedWebhookEvent) == 1


def test_a_sticker_in_a_one_to_one_chat_gets_a_friendly_nod(webhook, line_events, line_stub, database):
    webhook.send(line_events.sticker())

    assert line_stub.replies[0].body["messages"][0]["text"] == "😊"
    assert count(database, KnowledgeGap) == 0


def test_follow_greets_in_thai_and_records_the_user(webhook, line_events, line_stub, database):
    webhook.send(line_events.follow(line_events.user("U5555555555555555555555555555ffff")))

    greeting = line_stub.replies[0].body["messages"][0]["text"]
    assert "สวัสดี" in greeting and "/help" in greeting
    with database.session() as session:
        user = session.scalars(select(User)).one()
        assert user.line_user_id == "U5555555555555555555555555555ffff"
        assert user.following is True


def test_join_introduces_the_bot_and_records_the_group_with_its_member_count(webhook, line_events, line_stub, database):
    line_stub.member_counts["C2222222222222222222222222222bbbb"] = 27

    webhook.send(line_events.join())

    introduction = line_stub.replies[0].body["messages"][0]["text"]
    assert "สวัสดี" in introduction and "ถาม" in introduction
    with database.session() as session:
        group = session.scalars(select(ChatGroup)).one()
        join = session.scalars(select(InteractionEvent).where(InteractionEvent.kind == "join")).one()
    assert group.active is True and group.member_count == 27
    assert join.recipients == 27


def test_leave_unfollow_and_member_changes_are_recorded(webhook, line_events, database, line_stub):
    line_stub.member_counts["C2222222222222222222222222222bbbb"] = 10
    webhook.send(line_events.join())
    webhook.send(line_events.member_joined(["U1", "U2"]))
    webhook.send(line_events.member_left(["U1"]))
    webhook.send(line_events.leave())
    webhook.send(line_events.unfollow())

    with database.session() as session:
        kinds = [event.kind for event in session.scalars(select(InteractionEvent).order_by(InteractionEvent.id))]
        group = session.scalars(select(ChatGroup)).one()
    assert kinds == ["join", "member_joined", "member_left", "leave", "unfollow"]
    assert group.member_count == 11
    assert group.active is False


def test_a_help_postback_replies_with_help(webhook, line_events, line_stub):
    webhook.send(line_events.postback("action=help"))

    assert "/plan" in line_stub.replies[0].body["messages"][0]["text"]


def test_a_postback_with_unknown_data_is_acknowledged_quietly(webhook, line_events, line_stub):
    assert webhook.send(line_events.postback("%%%&&&==")).status_code == 200
    assert line_stub.replies == []


def test_a_failed_reply_does_not_fail_the_webhook(webhook, line_events, line_stub, database):
    line_stub.fail_next("/v2/bot/message/reply", 400)

    assert webhook.send(line_events.text("/help")).status_code == 200
    assert count(database, ReceivedWebhookEvent) == 1


def test_a_redelivery_too_old_to_reply_to_is_handled_without_a_reply(webhook, line_events, line_stub, starter_pack, database):
    # LINE redelivers an event it could not deliver; after the reply token's lifetime a reply would
    # be refused, so the question is handled and logged, and nothing is sent.
    import time

    half_an_hour_ago = int((time.time() - 30 * 60) * 1000)
    webhook.send(line_events.text("KMP 5 คืออะไร", redelivery=True, timestamp=half_an_hour_ago))

    assert line_stub.replies == []
    assert count(database, ReceivedWebhookEvent) == 1
    with database.session() as session:
        assert session.scalars(select(InteractionEvent).where(InteractionEvent.kind == "question")).first() is not None


def test_a_text_reply_in_a_group_quotes_the_question(webhook, line_events, line_stub, starter_pack):
    event = line_events.text("? สวัสดีค่ะ", line_events.group())
    webhook.send(event)

    reply = line_stub.replies[0].body["messages"][0]
    assert reply["type"] == "text" and reply["quoteToken"] == event["message"]["quoteToken"]


def test_an_event_in_standby_mode_is_left_to_the_active_channel(webhook, line_events, line_stub, database):
    event = line_events.text("KMP 5 คืออะไร")
    event["mode"] = "standby"
    webhook.send(event)

    assert line_stub.replies == []
    with database.session() as session:
        assert session.scalars(select(InteractionEvent)).all() == []


def test_an_answer_line_refused_is_not_counted_as_answered(webhook, line_events, line_stub, starter_pack, database):
    # LINE refuses the reply (a 400): the person never saw the answer, so the log keeps the
    # question but not an answer, and the reach report's answered count leaves it out.
    line_stub.fail_next("/v2/bot/message/reply", 400, body={"message": "The request body has 1 error(s)"})
    webhook.send(line_events.text("LPA ย่อมาจากอะไร"))

    with database.session() as session:
        kinds = sorted(session.scalars(select(InteractionEvent.kind)).all())
    assert "question" in kinds and "answer" not in kinds and "answer_undelivered" in kinds
