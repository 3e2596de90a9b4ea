"""Joining a group: its name from LINE's group summary is kept on the group's row."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.tables import ChatGroup

GROUP = "C2222222222222222222222222222bbbb"  # the group of `line_events.join()`


def test_join_stores_the_group_name_from_the_group_summary(webhook, line_events, line_stub, database) -> None:
    line_stub.group_names[GROUP] = "คณะทำงาน KM"

    webhook.send(line_events.join())

    assert [call.path for call in line_stub.calls if call.path.endswith("/summary")] == [f"/v2/bot/group/{GROUP}/summary"]
    with database.session() as session:
        assert session.scalars(select(ChatGroup.name)).one() == "คณะทำงาน KM"


def test_join_without_a_summary_still_greets(webhook, line_events, line_stub, database) -> None:
    webhook.send(line_events.join())

    assert line_stub.replies and "สวัสดี" in line_stub.replies[0].body["messages"][0]["text"]
    with database.session() as session:
        assert session.scalars(select(ChatGroup.name)).one() is None
