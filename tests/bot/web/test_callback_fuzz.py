"""A fuzz run of POST /callback: thousands of hostile bodies in a bounded time (issue 16).

Each case is one delivery: LINE-shaped events with fields replaced by hostile values (numbers
beyond any column, timestamps of 2^63, nesting hundreds deep, commands with impossible
arguments from a committee member), random JSON, or a body with a wrong signature. Whatever
comes, the answer is never 5xx; a refused delivery (4xx) writes no row anywhere; an accepted
one stores exactly the events it reports as handled or failed.

KMBOT_FUZZ_EXAMPLES sets the number of cases (default 2,000); KMBOT_FUZZ_SECONDS bounds the
time (default 45 s; cases beyond it are skipped). `KMBOT_FUZZ_EXAMPLES=10000
KMBOT_FUZZ_SECONDS=600` is the long run of docs/security.md.
"""

from __future__ import annotations

import copy
import json
import os
import time
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.core.tables import ChatGroup, InteractionEvent, ReceivedWebhookEvent, User
from kb.tables import KnowledgeGap, SharedTip
from tests.conftest import TEST_ACCESS_TOKEN, TEST_CHANNEL_SECRET, LineEvents, WebhookPoster, sign

EXAMPLES = int(os.environ.get("KMBOT_FUZZ_EXAMPLES", "2000"))
BUDGET_SECONDS = float(os.environ.get("KMBOT_FUZZ_SECONDS", "45"))
COMMITTEE = "U0000000000000000000000000000c0c"
WRITABLE_TABLES = (ReceivedWebhookEvent, InteractionEvent, User, ChatGroup, SharedTip, KnowledgeGap)

HUGE_NUMBERS = [2**31, 2**31 - 1, 2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**20, 10**400, -1, 0]


@pytest.fixture
def fuzz_app(tmp_path, line_stub) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    from bot import create_app
    from bot.core.migrate import upgrade_database
    from bot.core.people import ensure_user
    from bot.core.calendar import now
    from bot.web.extensions import get_database

    # Fuzzed events carry reply tokens LINE never issued; the stub refuses those replies, as LINE
    # would, and this test is about what the webhook answers and stores, not about the replies.
    line_stub.expect_refusals()
    application = create_app({
        "database_url": f"sqlite:///{tmp_path / 'fuzz.db'}",
        "line_channel_secret": TEST_CHANNEL_SECRET,
        "line_channel_access_token": TEST_ACCESS_TOKEN,
        "line_api_base_url": line_stub.url,
        "line_backoff_seconds": 0.0,
        "secret_key": "test-secret-key",
    })
    application.config["TESTING"] = True
    database = get_database(application)
    upgrade_database(database)
    with database.session() as session:
        ensure_user(session, COMMITTEE, now()).role = "committee"
    yield application
    database.dispose()


def _counts(database) -> tuple[int, ...]:  # type: ignore[no-untyped-def]
    with database.session() as session:
        return tuple(session.scalar(select(func.count()).select_from(table)) for table in WRITABLE_TABLES)


def _deep(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


commands = st.sampled_from(["/done", "/plan", "/share", "/survey", "/stats", "/help", "?", "/comment", "/done KMP5 แผน"]).flatmap(
    lambda word: st.builds(
        lambda n, tail: f"{word} {n} {tail}",
        st.sampled_from(HUGE_NUMBERS) | st.integers(),
        st.text(max_size=30),
    )
)
hostile_values = (
    st.sampled_from(HUGE_NUMBERS)
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=60)
    | st.sampled_from(["", "\x00", "\ud800", "x" * 5000, "U" * 70, None, True, [], {}])
    | st.recursive(st.none() | st.integers() | st.text(max_size=5), lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=10)
)


@st.composite
def deliveries(draw) -> tuple[bytes, str]:  # type: ignore[no-untyped-def]
    """(body, how it is signed): "good", "bad" or "none"."""
    kind = draw(st.sampled_from(["events", "events", "events", "deep", "random", "bad-signature"]))
    if kind == "random":
        value = draw(st.recursive(st.none() | st.integers() | st.text(max_size=10),
                                  lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                                  max_leaves=15))
        return json.dumps(value).encode(), "good"
    source = draw(st.sampled_from([LineEvents.user(COMMITTEE), LineEvents.user(), LineEvents.group(), LineEvents.room()]))
    makers = [
        lambda: LineEvents.text(draw(commands), copy.deepcopy(source)),
        lambda: LineEvents.postback(draw(st.sampled_from(["action=done&activity=99999999999999999999", "action=survey&score=" + str(draw(st.integers())),
                                                          "action=feedback&article=" + str(draw(st.sampled_from(HUGE_NUMBERS))), draw(st.text(max_size=40))])),
                                    copy.deepcopy(source)),
        lambda: LineEvents.join(LineEvents.group(user_id=None)),
        lambda: LineEvents.member_joined(["U" + "1" * 32]),
        lambda: LineEvents.follow(LineEvents.user(COMMITTEE)),
    ]
    events = [draw(st.sampled_from(makers))() for _ in range(draw(st.integers(1, 3)))]
    for event in events:
        if draw(st.booleans()):
            field = draw(st.sampled_from(["timestamp", "mode", "replyToken", "deliveryContext", "message", "source", "type", "postback", "joined"]))
            event[field] = draw(hostile_values)
        if draw(st.booleans()):
            event["timestamp"] = draw(st.sampled_from(HUGE_NUMBERS))
    body = json.dumps({"destination": "U0", "events": events}, ensure_ascii=draw(st.booleans()))
    if kind == "deep":
        body = body.replace('"destination": "U0"', '"destination": "U0", "x": ' + _deep(draw(st.integers(30, 990))), 1)
    # A lone surrogate makes the body invalid UTF-8, which LINE never sends: it must be a 400.
    return body.encode("utf-8", "surrogatepass"), "bad" if kind == "bad-signature" else "good"


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much, HealthCheck.large_base_example],
)
@given(delivery=deliveries())
def test_callback_fuzz_never_5xx_and_a_refused_request_writes_nothing(fuzz_app, delivery, fuzz_clock) -> None:
    from bot.web.extensions import get_database

    if time.monotonic() - fuzz_clock["start"] > BUDGET_SECONDS:
        return  # the time budget is spent; the cases run so far stand
    fuzz_clock["cases"] += 1
    body, signed = delivery
    database = get_database(fuzz_app)
    poster = WebhookPoster(fuzz_app.test_client())
    before = _counts(database)
    signature = sign(body) if signed == "good" else sign(body, "not-the-channel-secret")
    response = poster.post_body(body, signature=signature)
    assert response.status_code < 500, (response.status_code, body[:300])
    after = _counts(database)
    if response.status_code >= 400:
        assert after == before, "a refused request wrote rows"
    else:
        outcome = response.get_json()
        assert after[0] - before[0] == outcome["handled"] + outcome["failed"]


@pytest.fixture(scope="module")
def fuzz_clock() -> Iterator[dict[str, float]]:
    clock = {"start": time.monotonic(), "cases": 0}
    yield clock
    elapsed = time.monotonic() - clock["start"]
    print(f"\n/callback fuzz: {int(clock['cases'])} cases in {elapsed:.1f} s")
