"""One impossible event is recorded and acknowledged; the other events of its delivery are handled.

These reproduce issue 16's second and third findings: `/done 2147483648` (PostgreSQL) or
`/done 99999999999999999999` (SQLite) from a committee member, an event timestamp of 2^63 and
an event nested hundreds deep each used to fail the whole delivery (500/503) on every redelivery.
"""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import func, select

from bot.core.people import ensure_user
from bot.core.tables import InteractionEvent, ReceivedWebhookEvent

MEMBER = "U1111111111111111111111111111aaaa"
OTHER = "U9999999999999999999999999999ffff"


@pytest.fixture
def committee_member(database, at):  # type: ignore[no-untyped-def]
    with database.session() as session:
        ensure_user(session, MEMBER, at(2024, 1, 1)).role = "committee"
    return MEMBER


def _replied_to(line_stub, token: str) -> list:  # type: ignore[no-untyped-def]
    return [call for call in line_stub.replies if call.body["replyToken"] == token]


@pytest.mark.parametrize("number", ["2147483648", "99999999999999999999", "9" * 400])
def test_done_with_a_number_no_column_holds_does_not_stop_the_next_event(
    webhook, line_events, line_stub, database, committee_member, number
) -> None:
    bad = line_events.text(f"/done {number} หลักฐาน", line_events.user(MEMBER), reply_token="bad-token")
    good = line_events.text("/help", line_events.user(OTHER), reply_token="good-token")

    response = webhook.send(bad, good)

    assert response.status_code == 200
    outcome = response.get_json()
    # SQLite's integers are 64-bit, so 2147483648 is merely not found there.
    assert outcome["handled"] + outcome["failed"] == 2
    assert _replied_to(line_stub, "good-token")
    assert _replied_to(line_stub, "bad-token")  # a polite apology (or "not found"), not silence
    with database.session() as session:
        recorded = session.scalars(
            select(ReceivedWebhookEvent).where(ReceivedWebhookEvent.webhook_event_id == bad["webhookEventId"])
        ).one()
    assert bool(recorded.failure) == (outcome["failed"] == 1)  # a failure is recorded with the event
    # A redelivery of the same body is acknowledged and nothing runs twice.
    again = webhook.send(bad, good)
    assert again.status_code == 200 and again.get_json()["handled"] == 0
    assert len(line_stub.replies) == 2


def test_done_plan_number_beyond_any_column_is_not_found(webhook, line_events, line_stub, committee_member) -> None:
    response = webhook.send(line_events.text("/done KMP5 แผน 99999999999999999999", line_events.user(MEMBER)))
    assert response.status_code == 200 and response.get_json()["failed"] == 0


def test_an_event_timestamp_of_two_to_the_63_is_handled(webhook, line_events, line_stub, database) -> None:
    event = line_events.text("/help", reply_token="t")
    event["timestamp"] = 2**63
    other = line_events.text("/help", line_events.user(OTHER), reply_token="u")
    response = webhook.send(event, other)
    assert response.status_code == 200
    assert len(line_stub.replies) == 2
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(ReceivedWebhookEvent)) == 2


@pytest.mark.parametrize("depth", [100, 850, 900])  # deeper, the body itself is refused (400)
def test_an_event_nested_hundreds_deep_is_skipped_and_the_next_handled(webhook, line_events, line_stub, depth) -> None:
    event = line_events.text("/help")
    event["message"]["extra"] = "DEEP"
    other = line_events.text("/help", line_events.user(OTHER), reply_token="u")
    # Written by hand: json.dumps itself cannot encode nesting this deep.
    deep = '{"a":' * depth + '"x"' + "}" * depth
    body = json.dumps({"destination": "U0", "events": [event, other]}).replace('"DEEP"', deep).encode()
    response = webhook.post_body(body)
    assert response.status_code == 200
    assert _replied_to(line_stub, "u")


def test_a_bug_in_a_handler_is_recorded_and_acknowledged_not_redelivered(
    webhook, line_events, line_stub, database, monkeypatch
) -> None:
    import handlers.dispatch as dispatch

    real = dispatch.handle_event

    def broken(event, context):  # type: ignore[no-untyped-def]
        if event.source.user_id == MEMBER:
            context.record("question")
            context.session.flush()
            raise KeyError("a bug")
        return real(event, context)

    monkeypatch.setattr(dispatch, "handle_event", broken)
    bad = line_events.text("/help", line_events.user(MEMBER))
    good = line_events.text("/help", line_events.user(OTHER), reply_token="good")
    response = webhook.send(bad, good)
    assert response.status_code == 200 and response.get_json()["failed"] == 1
    assert _replied_to(line_stub, "good")
    with database.session() as session:
        # The broken event's own writes were rolled back; only its failure is kept.
        assert session.scalar(select(func.count()).select_from(InteractionEvent).where(
            InteractionEvent.webhook_event_id == bad["webhookEventId"])) == 0


def test_simulator_answers_an_impossible_number_politely(app, database, monkeypatch) -> None:
    import bot.web.simulator as simulator
    import handlers.dispatch as dispatch
    from bot.web.extensions import get_config, get_search
    from bot.web.webhook import SORRY, EventServices

    def overflow(event, context):  # type: ignore[no-untyped-def]
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    monkeypatch.setattr(dispatch, "handle_event", overflow)
    services = EventServices(database, get_config(app), None, get_search(app), "http://localhost/")
    exchange = simulator.simulate_text("/done 99999999999999999999", "web-someone", services)
    assert exchange.replies[0]["text"] == SORRY


# ---------------------------------------------------------------- pages anyone can open


@pytest.mark.parametrize("path", ["/kb/99999999999999999999", "/kb/9223372036854775808", "/kb/2147483648", "/kb/0"])
def test_article_ids_no_column_holds_are_404(client, path) -> None:
    assert client.get(path).status_code == 404


# ---------------------------------------------------------------- no LINE call inside a transaction


def test_the_member_count_is_asked_after_the_join_is_committed(webhook, line_events, line_stub, database, app, monkeypatch) -> None:
    from bot.web.extensions import get_line_client

    line = get_line_client(app)
    real = line.member_count
    seen: list[int] = []

    def watched(*arguments, **keywords):  # type: ignore[no-untyped-def]
        seen.append(database.open_units_of_work)
        return real(*arguments, **keywords)

    monkeypatch.setattr(line, "member_count", watched)
    line_stub.member_counts["C2222222222222222222222222222bbbb"] = 27
    assert webhook.send(line_events.join()).status_code == 200
    assert seen == [0]
    with database.session() as session:
        join = session.scalars(select(InteractionEvent).where(InteractionEvent.kind == "join")).one()
    assert join.recipients == 27


def test_a_hanging_line_does_not_hold_the_database_for_other_requests(webhook, line_events, app, database, client, monkeypatch) -> None:
    from bot.web.extensions import get_line_client

    line = get_line_client(app)
    entered, release = threading.Event(), threading.Event()

    def hanging(*_arguments, **_keywords):  # type: ignore[no-untyped-def]
        entered.set()
        release.wait(10)
        return 5

    monkeypatch.setattr(line, "member_count", hanging)
    poster = threading.Thread(target=lambda: webhook.send(line_events.join()))
    poster.start()
    try:
        assert entered.wait(10)
        # While LINE hangs, another thread gets a unit of work at once.
        done = threading.Event()

        def use_database() -> None:
            with database.session() as session:
                session.scalar(select(func.count()).select_from(InteractionEvent))
            done.set()

        threading.Thread(target=use_database).start()
        assert done.wait(2), "the database was held while LINE was asked"
    finally:
        release.set()
        poster.join(10)


@pytest.mark.parametrize("next_url", ["/admin\r\nSet-Cookie: x=1", "/admin/%0d%0aLocation:%20http://evil", "/admin\n"])
def test_sign_in_next_with_cr_lf_never_500(app_config, next_url) -> None:
    import re

    from bot import create_app
    from bot.core.migrate import upgrade_database
    from bot.web.extensions import get_database

    app = create_app({**app_config, "admin_password": "a-long-enough-password"})
    upgrade_database(get_database(app))
    client = app.test_client()
    page = client.get("/admin/sign-in", query_string={"next": next_url})
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    # The right password with a hostile next=: the redirect must not carry CR or LF (it was a 500).
    response = client.post("/admin/sign-in", data={"csrf_token": token, "password": "a-long-enough-password", "next": next_url})
    assert response.status_code == 302
    assert "\n" not in response.headers["Location"] and "\r" not in response.headers["Location"]
    # And signed in, the GET redirects the same way.
    again = client.get("/admin/sign-in", query_string={"next": next_url})
    assert again.status_code == 302 and "\n" not in again.headers["Location"]
