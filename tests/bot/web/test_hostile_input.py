"""Hostile input: whatever reaches /callback gets a defined answer, stores nothing wrong, and pages escape it.

The fuzz loops run on SQLite only (one app reused across hypothesis examples, so they stay fast);
the injection cases also run once on PostgreSQL, where NUL bytes and over-long ids behave differently.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, inspect, select

from bot.core.tables import InteractionEvent, ReceivedWebhookEvent
from kb.parsed import ParsedDocument, ParsedPassage
from kb.tables import KnowledgeGap
from tests.conftest import (
    TEST_ACCESS_TOKEN,
    TEST_CHANNEL_SECRET,
    LineEvents,
    WebhookPoster,
)

DEFINED_STATUSES = {200, 400, 413}
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
ADMIN_PASSWORD = "รหัส-ทดสอบ-hostile"

ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
THAI_COMBINING = ["\u0e31", "\u0e34", "\u0e35", "\u0e36", "\u0e37", "\u0e38", "\u0e39", "\u0e47", "\u0e48", "\u0e49", "\u0e4a", "\u0e4b", "\u0e4c"]
INJECTIONS = [
    "'; DROP TABLE knowledge_gaps; --",
    "Robert'); DROP TABLE users;-- ทดสอบ",
    "1' OR '1'='1' -- ความรู้",
    "\" OR 1=1; DELETE FROM interaction_events; --",
    "<script>alert('xss')</script> KM คืออะไร",
    "<img src=x onerror=alert(1)> แผน",
    "<a href=\"javascript:alert(1)\">คลิก</a>",
    "{{ 7*7 }} ${7*7} %s%n",
    "ก\u0e31\u0e31\u0e31\u0e48\u0e48 \u200bความ\u200dรู้\ufeff 🙏🏽👩‍💻",
]


# ---------------------------------------------------------------- a SQLite-only app for the fuzz loops


@pytest.fixture
def sqlite_app(tmp_path, line_stub) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    from bot import create_app
    from bot.core.migrate import upgrade_database
    from bot.web.extensions import get_database

    application = create_app({
        "database_url": f"sqlite:///{tmp_path / 'hostile.db'}",
        "line_channel_secret": TEST_CHANNEL_SECRET,
        "line_channel_access_token": TEST_ACCESS_TOKEN,
        "line_api_base_url": line_stub.url,
        "line_backoff_seconds": 0.0,
        "secret_key": "test-secret-key",
    })
    application.config["TESTING"] = True
    upgrade_database(get_database(application))
    yield application
    get_database(application).dispose()


@pytest.fixture
def sqlite_webhook(sqlite_app) -> WebhookPoster:  # type: ignore[no-untyped-def]
    return WebhookPoster(sqlite_app.test_client())


@pytest.fixture
def sqlite_database(sqlite_app):  # type: ignore[no-untyped-def]
    from bot.web.extensions import get_database

    return get_database(sqlite_app)


def stored_events(database) -> int:  # type: ignore[no-untyped-def]
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(ReceivedWebhookEvent))


def assert_defined_outcome(response, database, before: int) -> None:  # type: ignore[no-untyped-def]
    """A defined status, and exactly the events the answer says it handled were stored."""
    assert response.status_code in DEFINED_STATUSES, (response.status_code, response.get_data(as_text=True)[:200])
    after = stored_events(database)
    if response.status_code == 200:
        assert after - before == response.get_json()["handled"]
    else:
        assert after == before


# ---------------------------------------------------------------- strategies

json_scalars = st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats(allow_nan=False) | st.text(max_size=40)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
EVENT_KEYS = ["type", "mode", "timestamp", "source", "webhookEventId", "deliveryContext", "replyToken", "message", "postback", "events", "destination", "userId", "text", "isRedelivery", "groupId"]
event_like = st.dictionaries(st.sampled_from(EVENT_KEYS) | st.text(max_size=8), json_values, max_size=8)

hostile_text = st.lists(
    st.sampled_from(ZERO_WIDTH + THAI_COMBINING + INJECTIONS + ["กขค", "ความรู้", "🙂", "👨‍👩‍👧", "\U0001F3FD", " ", "\n", "\t", "\x00", "ี่"])
    | st.text(alphabet=st.characters(min_codepoint=0x0E00, max_codepoint=0x0E7F), max_size=10)
    | st.text(max_size=10),
    max_size=12,
).map("".join)


def paths_of(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key/index path into a JSON value, for mutating one field of a valid event."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(paths_of(child, prefix + (key,)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(paths_of(child, prefix + (index,)))
    return found


def mutated(event: dict[str, Any], path: tuple, replacement: Any, drop: bool) -> dict[str, Any]:
    event = copy.deepcopy(event)
    parent = event
    for key in path[:-1]:
        parent = parent[key]
    if drop and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    return event


# ---------------------------------------------------------------- fuzz loops (SQLite)


@FUZZ
@given(body=st.binary(max_size=600))
def test_random_signed_bytes_get_a_defined_status(sqlite_webhook, sqlite_database, body):
    before = stored_events(sqlite_database)
    assert_defined_outcome(sqlite_webhook.post_body(body), sqlite_database, before)


@FUZZ
@given(payload=json_values)
def test_random_signed_json_gets_a_defined_status(sqlite_webhook, sqlite_database, payload):
    before = stored_events(sqlite_database)
    body = json.dumps(payload).encode()
    assert_defined_outcome(sqlite_webhook.post_body(body), sqlite_database, before)


@FUZZ
@given(events=st.lists(event_like | json_values, max_size=4), destination=json_values)
def test_an_events_list_of_junk_is_acknowledged_and_stores_nothing(sqlite_webhook, sqlite_database, line_stub, events, destination):
    before = stored_events(sqlite_database)
    body = json.dumps({"destination": destination, "events": events}).encode()

    response = sqlite_webhook.post_body(body)

    assert response.status_code == 200
    assert response.get_json()["handled"] == 0
    assert stored_events(sqlite_database) == before


@FUZZ
@given(data=st.data(), replacement=json_values, drop=st.booleans())
def test_a_valid_event_with_one_field_broken_gets_a_defined_status(sqlite_webhook, sqlite_database, data, replacement, drop):
    event = LineEvents.text("KM คืออะไร", LineEvents.group(), mention_self_at=(0, 2))
    path = data.draw(st.sampled_from(paths_of(event)))
    before = stored_events(sqlite_database)

    response = sqlite_webhook.send(mutated(event, path, replacement, drop))

    assert_defined_outcome(response, sqlite_database, before)


@FUZZ
@given(text=hostile_text)
def test_any_question_text_is_answered_once_without_an_error(sqlite_webhook, sqlite_database, line_stub, text):
    before = stored_events(sqlite_database)
    replies = len(line_stub.replies)

    response = sqlite_webhook.send(LineEvents.text(text, LineEvents.user("U" + uuid.uuid4().hex)))

    assert response.status_code == 200
    assert response.get_json()["handled"] == 1
    assert stored_events(sqlite_database) == before + 1
    assert len(line_stub.replies) <= replies + 1


def test_malformed_bodies_each_get_a_defined_status(sqlite_webhook, sqlite_database):
    nested = b"[" * 100_000 + b"]" * 100_000
    cases = {
        b"": 400,
        b"not json": 400,
        b"\xff\xfe\x00garbage": 400,
        b"[]": 400,
        b"null": 400,
        b'{"events": null}': 400,
        b'{"events": {}}': 400,
        b'{"events": "x"}': 400,
        b'{"events": []}': 200,
        b'{"events": [1, "a", null, [], {}]}': 200,
        b'{"events": [{"webhookEventId": 5}]}': 200,
        b'{"events": [{"webhookEventId": "\\ud800"}]}': 200,
        b'{"events": [] , "events": 3}': 400,
        b'{"events": [NaN, Infinity]}': 200,
        nested: 400,
        b'{"events": [' + nested[:50_000] + nested[-50_000:] + b"]}": 400,
    }
    for body, status in cases.items():
        before = stored_events(sqlite_database)
        response = sqlite_webhook.post_body(body)
        assert response.status_code == status, (body[:40], response.status_code)
        assert stored_events(sqlite_database) == before


def test_bodies_near_the_one_mebibyte_limit(sqlite_webhook, sqlite_database, line_stub):
    limit = 1024 * 1024
    envelope = json.dumps({"destination": "U0", "events": [LineEvents.text("", LineEvents.user())]}, ensure_ascii=False).encode()
    room = limit - len(envelope)
    thai = "ก" * (room // 3)  # three UTF-8 bytes each: the body lands just under the limit
    just_under = json.dumps({"destination": "U0", "events": [LineEvents.text(thai, LineEvents.user())]}, ensure_ascii=False).encode()
    assert limit - 3 <= len(just_under) <= limit

    response = sqlite_webhook.post_body(just_under)
    assert response.status_code == 200
    assert response.get_json()["handled"] == 1

    over = just_under[:-2] + b' , "x": "' + b"y" * 10 + b'"}'
    assert len(over) > limit
    before = stored_events(sqlite_database)
    assert sqlite_webhook.post_body(over).status_code == 413
    assert sqlite_webhook.post_body(b"x" * (limit + 1), signature="irrelevant").status_code == 413
    assert stored_events(sqlite_database) == before


def test_ids_longer_than_lines_are_skipped_not_stored(sqlite_webhook, sqlite_database):
    long_event_id = LineEvents.text("สวัสดี", event_id="0" * 500)
    long_user = LineEvents.text("สวัสดี", LineEvents.user("U" * 500))
    long_group = LineEvents.text("? สวัสดี", LineEvents.group("C" * 500))

    response = sqlite_webhook.send(long_event_id, long_user, long_group)

    assert response.status_code == 200
    assert response.get_json()["handled"] == 0
    assert stored_events(sqlite_database) == 0


# ---------------------------------------------------------------- injection, on SQLite and PostgreSQL


def table_counts(database) -> dict[str, int]:  # type: ignore[no-untyped-def]
    from bot.core.database import Base

    with database.session() as session:
        tables = set(inspect(session.connection()).get_table_names())
        assert set(Base.metadata.tables) <= tables
        return {name: session.scalar(select(func.count()).select_from(table)) for name, table in Base.metadata.tables.items()}


def test_injection_strings_are_kept_only_as_verbatim_knowledge_gaps(webhook, database, line_stub):
    table_counts(database)
    for number, question in enumerate(INJECTIONS):
        response = webhook.send(LineEvents.text(question, LineEvents.user(f"U{number:032d}")))
        assert response.status_code == 200
        assert response.get_json()["handled"] == 1

    counts = table_counts(database)
    with database.session() as session:
        gap_texts = set(session.scalars(select(KnowledgeGap.question)))
        details = [json.dumps(detail, ensure_ascii=False) for detail in session.scalars(select(InteractionEvent.detail))]
    # An empty store answers nothing: every question is a gap, kept exactly as asked.
    assert gap_texts == {" ".join(question.split()) for question in INJECTIONS}
    assert counts["users"] == len(INJECTIONS)
    assert counts["received_webhook_events"] == len(INJECTIONS)
    # The reach log never keeps what was said.
    assert not any(fragment in detail for detail in details for fragment in ("DROP", "script", "onerror", "alert"))
    assert len(line_stub.replies) == len(INJECTIONS)


def test_text_postgresql_cannot_store_is_still_answered(webhook, database, line_stub):
    """NUL bytes and lone surrogates are legal JSON; neither may turn into a 500 on any database."""
    nul = LineEvents.text("ถาม\x00ตอบ", LineEvents.user())
    surrogate_body = json.dumps({"destination": "U0", "events": [LineEvents.text("ความรู้ \ud83d", LineEvents.user())]}).encode()
    nul_id = LineEvents.text("สวัสดี", event_id="01AB\x00CD")

    assert webhook.send(nul).status_code == 200
    assert webhook.post_body(surrogate_body).status_code == 200
    response = webhook.send(nul_id)
    assert response.status_code == 200 and response.get_json()["handled"] == 0
    table_counts(database)
    with database.session() as session:
        assert all("\x00" not in question for question in session.scalars(select(KnowledgeGap.question)))


# ---------------------------------------------------------------- pages escape what they show

XSS_TITLE = "<script>alert('title')</script>คู่มือ"
XSS_BODY = (
    "## วิธีใช้ <script>alert('heading')</script>\n\n"
    "ข้อความ <img src=x onerror=\"alert('img')\"> ต่อ\n\n"
    "[คลิกที่นี่](javascript:alert('link')) และ <a href=\"javascript:alert('a')\">ลิงก์</a>\n\n"
    "<iframe src=\"https://evil.example\"></iframe><svg onload=alert(1)></svg>\n"
)
ACTIVE = re.compile(r"<script|onerror|onload|javascript:|<iframe|<svg", re.IGNORECASE)


def hostile_article(database) -> int:  # type: ignore[no-untyped-def]
    from kb.store import save_document

    document = ParsedDocument(
        title=XSS_TITLE,
        body=XSS_BODY,
        source="hostile.md",
        content_hash="h" * 64,
        passages=(ParsedPassage(heading_path=("<script>alert('heading')</script>",), text=XSS_BODY, position=0),),
        category="<b onmouseover=alert(1)>หมวด</b>",
        tags=("<script>tag</script>",),
    )
    with database.session() as session:
        return save_document(session, document, source="hostile.md").article_id


@pytest.fixture
def app_config(app_config):  # type: ignore[no-untyped-def]
    return {**app_config, "admin_password": ADMIN_PASSWORD}


def test_article_pages_escape_titles_and_strip_active_markup(client, database):
    article_id = hostile_article(database)

    page = client.get(f"/kb/{article_id}")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert not ACTIVE.search(html), ACTIVE.search(html)
    assert "<b onmouseover" not in html
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;คู่มือ" in html
    assert "ลิงก์" in html and "คลิกที่นี่" in html


def test_article_imported_from_a_file_is_escaped_too(client, app, database, tmp_path):
    source = tmp_path / "hostile.md"
    source.write_text(f"---\ntitle: \"{XSS_TITLE}\"\n---\n\n{XSS_BODY}", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["kb", "import", str(source), "--json"])
    assert result.exit_code == 0, result.output
    article_id = json.loads(result.output)[0]["article_id"]

    html = client.get(f"/kb/{article_id}").get_data(as_text=True)

    assert not ACTIVE.search(html), ACTIVE.search(html)


def test_admin_pages_escape_articles_and_gaps(client, database, webhook):
    from tests.bot.web.test_admin import sign_in

    article_id = hostile_article(database)
    assert webhook.send(LineEvents.text(INJECTIONS[4], LineEvents.user())).status_code == 200
    assert sign_in(client, ADMIN_PASSWORD).status_code == 302

    for path in ("/admin/kb", f"/admin/kb/{article_id}/edit", "/admin/gaps"):
        page = client.get(path)
        assert page.status_code == 200, path
        html = page.get_data(as_text=True)
        # Text is escaped wherever it is shown (inside a <textarea> too), never live markup.
        assert "<script>alert" not in html, path
        assert "<img src=x onerror" not in html, path
        assert "<b onmouseover" not in html, path
