"""Shared fixtures: the app on a real database, a local LINE API stub, and signed webhooks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import create_engine, text
from werkzeug import Request, Response

from bot.core.calendar import BANGKOK
from tests import line_rules

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")

TEST_CHANNEL_SECRET = "test-channel-secret-0123456789ab"
TEST_ACCESS_TOKEN = "test-access-token"
POSTGRES_URL = os.environ.get("KMBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BOT_USER_ID = "U0000000000000000000000000000b0t"


# ---------------------------------------------------------------- search


@pytest.fixture(autouse=True)
def search_rebuilds_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests change the store and ask at once: the index is rebuilt in the asking thread, as the
    background rebuild would have done by the time a person asks again (tests/kb/test_search_service.py
    tests the background rebuild itself)."""
    monkeypatch.setattr("kb.search_service.INLINE_REBUILDS", True)
    # Each test's store is its own: no index is kept between tests (the persisted index has its own tests).
    monkeypatch.setattr("kb.search_service.PERSIST_INDEXES", False)


# ---------------------------------------------------------------- time


def bangkok_time(year: int, month: int, day: int, hour: int = 9, minute: int = 0, second: int = 0) -> datetime:
    """A moment in Bangkok; 09:00 (when reminders go out) unless said otherwise."""
    return datetime(year, month, day, hour, minute, second, tzinfo=BANGKOK)


@pytest.fixture
def at():  # type: ignore[no-untyped-def]
    """`at(2024, 5, 20)` is 20 May 2024 09:00 Bangkok time; `at(2024, 5, 20, 10, 30)` 10:30."""
    return bangkok_time


# ---------------------------------------------------------------- databases


def _postgres_available() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as error:  # any failure means: no server to test against here
        return f"PostgreSQL at {POSTGRES_URL} is not reachable ({type(error).__name__})"


def postgres_required() -> bool:
    """On CI (CI=true) or with KMBOT_REQUIRE_POSTGRES=1 a missing PostgreSQL fails the tests."""
    return os.environ.get("CI", "").lower() in ("true", "1") or os.environ.get("KMBOT_REQUIRE_POSTGRES") == "1"


@pytest.fixture(scope="session")
def postgres_unavailable_reason() -> str | None:
    return _postgres_available()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path, postgres_unavailable_reason) -> Iterator[str]:
    """Every test that touches the database runs on SQLite and on PostgreSQL (its own schema)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'kmbot-test.db'}"
        return
    if postgres_unavailable_reason:
        if postgres_required():
            pytest.fail(f"{postgres_unavailable_reason}, and CI or KMBOT_REQUIRE_POSTGRES=1 requires it")
        pytest.skip(postgres_unavailable_reason)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# ---------------------------------------------------------------- LINE API stub


@dataclass
class RecordedCall:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int = 200
    response: Any = None


# Reply tokens the test events handed out: token -> (event time in ms, redelivered?).
ISSUED_REPLY_TOKENS: dict[str, tuple[int, bool]] = {}

# Every request any strict stub saw in this test session, and the ones LINE would refuse.
SESSION_TALLY = {"requests": 0, "refused": 0, "scripted_failures": 0}


@dataclass
class LineStub:
    """A strict local stand-in for api.line.me: it records every call, checks every message
    against LINE's published rules (`tests/line_rules.py`) and answers 400 in LINE's error shape
    when one is broken, keeps reply tokens to one use and to their age, and can be told to fail.

    A request LINE would refuse fails the test at teardown unless the test says it expects one
    (`expect_refusals()`): a stub that accepts anything would hide messages LINE refuses.
    """

    server: HTTPServer
    calls: list[RecordedCall] = field(default_factory=list)
    scripted: dict[str, list[tuple[int, dict[str, str], dict[str, Any] | None]]] = field(default_factory=dict)
    member_counts: dict[str, int] = field(default_factory=dict)
    group_names: dict[str, str] = field(default_factory=dict)
    accepted_retry_keys: set[str] = field(default_factory=set)
    used_reply_tokens: set[str] = field(default_factory=set)
    refusals: list[tuple[RecordedCall, list[tuple[str, str]]]] = field(default_factory=list)
    refusals_expected: bool = False
    # /v2/bot/message/quota: {"type": "none"} or {"type": "limited", "value": N}.
    quota: dict[str, Any] = field(default_factory=lambda: {"type": "none"})
    quota_used: int = 0
    rich_menus: dict[str, Any] = field(default_factory=dict)
    rich_menu_images: dict[str, bytes] = field(default_factory=dict)
    user_rich_menus: dict[str, str] = field(default_factory=dict)
    default_rich_menu: str | None = None
    # --- profiles (REF#get-profile, #get-group-member-profile) ---------------------------------
    # {userId: displayName} of people who are the bot's friends; {groupId: {userId: displayName}}
    # of group members. Anyone else is 404, as LINE answers for a stranger or a former member.
    profiles: dict[str, str] = field(default_factory=dict)
    group_member_names: dict[str, dict[str, str]] = field(default_factory=dict)
    # --- message content (evidence files): message id -> (bytes, content type) -----------------
    message_contents: dict[str, tuple[bytes, str]] = field(default_factory=dict)

    def serve_content(self, message_id: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """GET /v2/bot/message/{message_id}/content answers these bytes (LINE's data host)."""
        self.message_contents[message_id] = (data, content_type)
    # --- end of message content ---------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def fail_next(self, path: str, status: int, times: int = 1, headers: dict[str, str] | None = None,
                  body: dict[str, Any] | None = None) -> None:
        """The next `times` calls to `path` get `status` (and `body`, LINE's error JSON) instead of success."""
        self.scripted.setdefault(path, []).extend([(status, headers or {}, body)] * times)

    def issue_reply_token(self, token: str, *, age_seconds: float = 0, redelivery: bool = False) -> str:
        """A reply token as if LINE had sent it with an event `age_seconds` ago."""
        ISSUED_REPLY_TOKENS[token] = (int((time.time() - age_seconds) * 1000), redelivery)
        return token

    def expect_refusals(self) -> None:
        """This test sends something LINE refuses on purpose; teardown will not fail for it."""
        self.refusals_expected = True

    def calls_to(self, path: str) -> list[RecordedCall]:
        return [call for call in self.calls if call.path == path]

    @property
    def replies(self) -> list[RecordedCall]:
        return self.calls_to("/v2/bot/message/reply")

    @property
    def pushes(self) -> list[RecordedCall]:
        return self.calls_to("/v2/bot/message/push")

    def handle(self, request: Request) -> Response:
        body = request.get_data()
        parsed: Any
        if request.mimetype == "application/json" and body:
            parsed = json.loads(body)
        else:
            parsed = body or None
        call = RecordedCall(request.method, request.path, dict(request.headers), parsed)
        self.calls.append(call)
        SESSION_TALLY["requests"] += 1
        response = self._respond(request)
        call.status = response.status_code
        return response

    def _json(self, value: Any, status: int = 200, **headers: str) -> Response:
        return Response(json.dumps(value), status=status, content_type="application/json",
                        headers={"x-line-request-id": f"req-{len(self.calls)}", **headers})

    def _respond(self, request: Request) -> Response:
        call = self.calls[-1]
        queue = self.scripted.get(request.path)
        if queue:
            status, headers, body = queue.pop(0)
            SESSION_TALLY["scripted_failures"] += 1
            return self._json(body or {"message": "scripted failure"}, status, **headers)
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            return self._json({"message": "Authentication failed"}, 401)
        problems = line_rules.request_problems(request.path, dict(request.headers), call.body)
        if request.path == "/v2/bot/message/reply" and not problems:
            problems = self._reply_token_problems(call.body["replyToken"])
        if problems:
            self.refusals.append((call, problems))
            SESSION_TALLY["refused"] += 1
            call.response = line_rules.error_body(problems)
            return self._json(call.response, 400)
        if request.path == "/v2/bot/message/reply":
            self.used_reply_tokens.add(call.body["replyToken"])
            return self._json({"sentMessages": [{"id": str(index), "quoteToken": f"q{index}"} for index, _ in enumerate(call.body["messages"])]})
        if request.path == "/v2/bot/message/push":
            retry_key = request.headers.get("X-Line-Retry-Key")
            if retry_key and retry_key in self.accepted_retry_keys:
                return self._json({"message": "The retry key is already accepted"}, 409)
            if retry_key:
                self.accepted_retry_keys.add(retry_key)
            self.quota_used += len(call.body["messages"]) * self._members_of(call.body["to"])
            # REF#send-push-message-response: one id per message sent, unique like LINE's.
            first = 500000000000000000 + 100 * len(self.calls)
            call.response = {"sentMessages": [{"id": str(first + index), "quoteToken": f"q{first + index}"}
                                              for index, _ in enumerate(call.body["messages"])]}
            return self._json(call.response)
        if request.path == "/v2/bot/message/quota":
            return self._json(self.quota)
        if request.path == "/v2/bot/message/quota/consumption":
            return self._json({"totalUsage": self.quota_used})
        match = re.fullmatch(r"/v2/bot/(group|room)/([^/]+)/members/count", request.path)
        if match:
            return self._json({"count": self.member_counts.get(match.group(2), 5)})
        # --- message content (evidence files) -------------------------------------------------
        match = re.fullmatch(r"/v2/bot/message/([^/]+)/content", request.path)
        if match and request.method == "GET":
            # REF#get-content: 404 for a message id LINE does not know (or content gone).
            if match.group(1) not in self.message_contents:
                return self._json({"message": "Not found"}, 404)
            data, content_type = self.message_contents[match.group(1)]
            return Response(data, status=200, content_type=content_type,
                            headers={"x-line-request-id": f"req-{len(self.calls)}"})
        # --- end of message content -----------------------------------------------------------
        match = re.fullmatch(r"/v2/bot/group/([^/]+)/summary", request.path)
        if match:
            group_id = match.group(1)
            if group_id not in self.group_names:
                return self._json({"message": "Not found"}, 404)
            return self._json({"groupId": group_id, "groupName": self.group_names[group_id]})
        profile = self._profile(request)
        if profile is not None:
            return profile
        return self._rich_menu(request, call)

    # --- profiles: one separate block -----------------------------------------------------------

    def _profile(self, request: Request) -> Response | None:
        """GET /v2/bot/profile/{userId} and GET /v2/bot/group/{groupId}/member/{userId}."""
        if request.method != "GET":
            return None
        match = re.fullmatch(r"/v2/bot/profile/([^/]+)", request.path)
        if match:
            user_id = match.group(1)
            if user_id not in self.profiles:
                return self._json({"message": "Not found"}, 404)
            return self._json({"userId": user_id, "displayName": self.profiles[user_id], "language": "th"})
        match = re.fullmatch(r"/v2/bot/group/([^/]+)/member/([^/]+)", request.path)
        if match:
            group_id, user_id = match.groups()
            name = self.group_member_names.get(group_id, {}).get(user_id)
            if name is None:
                return self._json({"message": "Not found"}, 404)
            return self._json({"userId": user_id, "displayName": name})
        return None

    def _rich_menu(self, request: Request, call: RecordedCall) -> Response:
        path = request.path
        if path == "/v2/bot/richmenu" and request.method == "POST":
            menu_id = f"richmenu-{uuid.uuid4().hex}"
            self.rich_menus[menu_id] = call.body
            return self._json({"richMenuId": menu_id})
        if path == "/v2/bot/richmenu/list":
            return self._json({"richmenus": [{"richMenuId": key, **value} for key, value in self.rich_menus.items()]})
        match = re.fullmatch(r"/v2/bot/richmenu/([^/]+)/content", path)
        if match and request.method == "POST":
            if match.group(1) not in self.rich_menus:
                return self._json({"message": "Not found"}, 404)
            problems = line_rules.rich_menu_image_problems(self.rich_menus[match.group(1)], request.mimetype, request.get_data())
            if problems:
                # REF#upload-rich-menu-image: JPEG or PNG, at most 1 MB, the menu's size.
                self.refusals.append((call, problems))
                SESSION_TALLY["refused"] += 1
                call.response = line_rules.error_body(problems)
                return self._json(call.response, 400)
            self.rich_menu_images[match.group(1)] = request.get_data()
            return self._json({})
        match = re.fullmatch(r"/v2/bot/richmenu/([^/]+)", path)
        if match and request.method == "DELETE":
            if self.rich_menus.pop(match.group(1), None) is None:
                return self._json({"message": "Not found"}, 404)
            self.rich_menu_images.pop(match.group(1), None)
            if self.default_rich_menu == match.group(1):
                self.default_rich_menu = None
            self.user_rich_menus = {user: menu for user, menu in self.user_rich_menus.items() if menu != match.group(1)}
            return self._json({})
        match = re.fullmatch(r"/v2/bot/user/([^/]+)/richmenu", path)
        if match and request.method == "DELETE":
            self.user_rich_menus.pop(match.group(1), None)
            return self._json({})
        match = re.fullmatch(r"/v2/bot/user/all/richmenu/([^/]+)", path)
        if match and request.method == "POST":
            if match.group(1) not in self.rich_menu_images:
                # REF#set-default-rich-menu: a menu without an image cannot be the default.
                return self._json({"message": "An image has not been uploaded to the rich menu"}, 400)
            self.default_rich_menu = match.group(1)
            return self._json({})
        match = re.fullmatch(r"/v2/bot/user/([^/]+)/richmenu/([^/]+)", path)
        if match and request.method == "POST":
            if match.group(2) not in self.rich_menus:
                return self._json({"message": "Not found"}, 404)
            self.user_rich_menus[match.group(1)] = match.group(2)
            return self._json({})
        return self._json({})

    def _members_of(self, to: str) -> int:
        return 1 if to.startswith("U") else self.member_counts.get(to, 5)

    def _reply_token_problems(self, token: str) -> list[tuple[str, str]]:
        # REF#send-reply-message: a reply token can be used once, and not for an unknown event.
        if token in self.used_reply_tokens or token not in ISSUED_REPLY_TOKENS:
            return [("replyToken", "Invalid reply token")]
        issued_ms, _ = ISSUED_REPLY_TOKENS[token]
        if (time.time() * 1000 - issued_ms) / 1000 > line_rules.REPLY_TOKEN_MAX_AGE_SECONDS:
            return [("replyToken", "Invalid reply token")]
        return []

    @property
    def delivered_pushes(self) -> list[RecordedCall]:
        """Pushes LINE accepted and delivered (a 409 for a known retry key delivers nothing)."""
        return [call for call in self.pushes if call.status == 200]


@pytest.fixture
def line_stub(httpserver: HTTPServer) -> Iterator[LineStub]:
    stub = LineStub(httpserver)
    httpserver.expect_request(re.compile(".*")).respond_with_handler(stub.handle)
    yield stub
    if stub.refusals and not stub.refusals_expected:
        described = "; ".join(f"{call.method} {call.path}: {problems}" for call, problems in stub.refusals)
        pytest.fail(f"LINE would refuse {len(stub.refusals)} request(s): {described[:2000]}")


# ---------------------------------------------------------------- the app


@pytest.fixture
def app_config(database_url: str, line_stub: LineStub) -> dict[str, Any]:
    return {
        "database_url": database_url,
        "line_channel_secret": TEST_CHANNEL_SECRET,
        "line_channel_access_token": TEST_ACCESS_TOKEN,
        "line_api_base_url": line_stub.url,
        "line_backoff_seconds": 0.0,
        "secret_key": "test-secret-key",
    }


@pytest.fixture
def app(app_config: dict[str, Any]):
    from bot import create_app
    from bot.core.migrate import upgrade_database
    from bot.web.extensions import get_database

    application = create_app(app_config)
    application.config["TESTING"] = True
    upgrade_database(get_database(application))
    yield application
    get_database(application).dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def database(app):
    from bot.web.extensions import get_database

    return get_database(app)


@pytest.fixture
def starter_pack(database) -> int:
    """The knowledge store filled with the articles shipped in the package."""
    from kb.store import load_starter_pack

    with database.session() as session:
        return load_starter_pack(session)


# ---------------------------------------------------------------- webhooks


def sign(body: bytes, secret: str = TEST_CHANNEL_SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class LineEvents:
    """LINE webhook event objects shaped as the Messaging API documents them."""

    @staticmethod
    def _base(event_type: str, source: dict[str, Any], event_id: str | None, redelivery: bool,
              timestamp: int | None = None, **fields: Any) -> dict[str, Any]:
        timestamp = int(time.time() * 1000) if timestamp is None else timestamp
        if isinstance(fields.get("replyToken"), str):
            ISSUED_REPLY_TOKENS[fields["replyToken"]] = (timestamp, redelivery)
        event = {
            "type": event_type,
            "mode": "active",
            "timestamp": timestamp,
            "source": source,
            "webhookEventId": event_id or "01" + uuid.uuid4().hex[:24].upper(),
            "deliveryContext": {"isRedelivery": redelivery},
        }
        event.update(fields)
        return event

    @staticmethod
    def user(user_id: str = "U1111111111111111111111111111aaaa") -> dict[str, Any]:
        return {"type": "user", "userId": user_id}

    @staticmethod
    def group(group_id: str = "C2222222222222222222222222222bbbb", user_id: str | None = "U1111111111111111111111111111aaaa") -> dict[str, Any]:
        source = {"type": "group", "groupId": group_id}
        if user_id:
            source["userId"] = user_id
        return source

    @staticmethod
    def room(room_id: str = "R3333333333333333333333333333cccc", user_id: str | None = "U1111111111111111111111111111aaaa") -> dict[str, Any]:
        source = {"type": "room", "roomId": room_id}
        if user_id:
            source["userId"] = user_id
        return source

    @classmethod
    def text(cls, text: str, source: dict[str, Any] | None = None, *, mention_self_at: tuple[int, int] | None = None,
             event_id: str | None = None, redelivery: bool = False, reply_token: str | None = None,
             timestamp: int | None = None, quoted_message_id: str | None = None) -> dict[str, Any]:
        message: dict[str, Any] = {"id": str(uuid.uuid4().int)[:18], "type": "text", "text": text, "quoteToken": "q" + uuid.uuid4().hex}
        if quoted_message_id is not None:
            message["quotedMessageId"] = quoted_message_id
        if mention_self_at is not None:
            index, length = mention_self_at
            message["mention"] = {"mentionees": [{"index": index, "length": length, "type": "user", "userId": BOT_USER_ID, "isSelf": True}]}
        return cls._base("message", source or cls.user(), event_id, redelivery, timestamp,
                         replyToken=reply_token or uuid.uuid4().hex, message=message)

    @classmethod
    def sticker(cls, source: dict[str, Any] | None = None) -> dict[str, Any]:
        message = {"id": "1", "type": "sticker", "packageId": "446", "stickerId": "1988", "stickerResourceType": "STATIC", "quoteToken": "q1"}
        return cls._base("message", source or cls.user(), None, False, replyToken=uuid.uuid4().hex, message=message)

    # --- photos and files (evidence) ------------------------------------------------------------
    @classmethod
    def image(cls, message_id: str, source: dict[str, Any] | None = None, *, timestamp: int | None = None) -> dict[str, Any]:
        message = {"id": message_id, "type": "image", "quoteToken": "q" + uuid.uuid4().hex,
                   "contentProvider": {"type": "line"}}
        return cls._base("message", source or cls.user(), None, False, timestamp, replyToken=uuid.uuid4().hex, message=message)

    @classmethod
    def file(cls, message_id: str, file_name: str, file_size: int, source: dict[str, Any] | None = None,
             *, timestamp: int | None = None) -> dict[str, Any]:
        message = {"id": message_id, "type": "file", "fileName": file_name, "fileSize": file_size}
        return cls._base("message", source or cls.user(), None, False, timestamp, replyToken=uuid.uuid4().hex, message=message)
    # --- end of photos and files -------------------------------------------------------------

    @classmethod
    def follow(cls, source: dict[str, Any] | None = None, event_id: str | None = None) -> dict[str, Any]:
        return cls._base("follow", source or cls.user(), event_id, False, replyToken=uuid.uuid4().hex, follow={"isUnblocked": False})

    @classmethod
    def unfollow(cls, source: dict[str, Any] | None = None) -> dict[str, Any]:
        return cls._base("unfollow", source or cls.user(), None, False)

    @classmethod
    def join(cls, source: dict[str, Any] | None = None) -> dict[str, Any]:
        return cls._base("join", source or cls.group(user_id=None), None, False, replyToken=uuid.uuid4().hex)

    @classmethod
    def leave(cls, source: dict[str, Any] | None = None) -> dict[str, Any]:
        return cls._base("leave", source or cls.group(user_id=None), None, False)

    @classmethod
    def member_joined(cls, user_ids: list[str], source: dict[str, Any] | None = None) -> dict[str, Any]:
        return cls._base("memberJoined", source or cls.group(user_id=None), None, False, replyToken=uuid.uuid4().hex,
                         joined={"members": [{"type": "user", "userId": user_id} for user_id in user_ids]})

    @classmethod
    def member_left(cls, user_ids: list[str], source: dict[str, Any] | None = None) -> dict[str, Any]:
        return cls._base("memberLeft", source or cls.group(user_id=None), None, False,
                         left={"members": [{"type": "user", "userId": user_id} for user_id in user_ids]})

    @classmethod
    def postback(cls, data: str, source: dict[str, Any] | None = None, event_id: str | None = None) -> dict[str, Any]:
        return cls._base("postback", source or cls.user(), event_id, False, replyToken=uuid.uuid4().hex, postback={"data": data})

    @classmethod
    def unsend(cls, message_id: str, source: dict[str, Any] | None = None) -> dict[str, Any]:
        return cls._base("unsend", source or cls.user(), None, False, unsend={"messageId": message_id})


@pytest.fixture
def line_events() -> type[LineEvents]:
    return LineEvents


class WebhookPoster:
    def __init__(self, client) -> None:  # type: ignore[no-untyped-def]
        self.client = client

    def post_body(self, body: bytes, signature: str | None = "sign", **headers: str):  # type: ignore[no-untyped-def]
        request_headers = {"Content-Type": "application/json", **headers}
        if signature == "sign":
            request_headers["X-Line-Signature"] = sign(body)
        elif signature is not None:
            request_headers["X-Line-Signature"] = signature
        return self.client.post("/callback", data=body, headers=request_headers)

    def send(self, *events: dict[str, Any], destination: str = BOT_USER_ID):  # type: ignore[no-untyped-def]
        body = json.dumps({"destination": destination, "events": list(events)}, ensure_ascii=False).encode()
        return self.post_body(body)


@pytest.fixture
def webhook(client) -> WebhookPoster:  # type: ignore[no-untyped-def]
    """Posts events to /callback signed with the test channel secret."""
    return WebhookPoster(client)


# --- the sample plan, groups and the LINE client -----------------------------------------

# The office's real FY 2567 KM plan, in shared/ beside the repository.
SAMPLE_PLAN = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_7109b574315d70a7.txt"
COMMITTEE_GROUP = "C0000000000000000000000000committee"
BEFORE_THE_FISCAL_YEAR = datetime(2023, 9, 1, 8, 0, tzinfo=BANGKOK)


@pytest.fixture(scope="session")
def sample_plan_path() -> Path:
    """The sample plan; CI sets KMBOT_REQUIRE_SAMPLE=1 so that a missing file fails instead of skipping."""
    if not SAMPLE_PLAN.exists():
        if os.environ.get("KMBOT_REQUIRE_SAMPLE") == "1":
            pytest.fail(f"the sample KM plan is missing ({SAMPLE_PLAN}) and KMBOT_REQUIRE_SAMPLE=1")
        pytest.skip(f"the sample KM plan is not on this machine ({SAMPLE_PLAN})")
    return SAMPLE_PLAN


@pytest.fixture
def imported_plan(database, sample_plan_path):  # type: ignore[no-untyped-def]
    """The sample FY 2567 plan saved in the database; returns {(plan, step): activity id}."""
    from sqlalchemy import select

    from kb.plan_document import read_plan_file
    from kb.plan_store import save_plan_reading
    from kb.tables import Activity

    with database.session() as session:
        save_plan_reading(session, read_plan_file(sample_plan_path))
        return {(activity.plan.number, activity.step): activity.id for activity in session.scalars(select(Activity))}


@pytest.fixture
def add_group(database):  # type: ignore[no-untyped-def]
    """Makes a LINE group the bot is in, a committee group unless told otherwise; returns its row id."""
    from bot.core.people import ensure_group

    def add(line_group_id: str, *, role: str = "committee", joined_at: datetime = BEFORE_THE_FISCAL_YEAR,
            member_count: int | None = None, active: bool = True) -> int:
        with database.session() as session:
            group = ensure_group(session, line_group_id, "group", joined_at)
            group.role = role
            group.member_count = member_count
            group.active = active
            session.flush()
            return group.id

    return add


@pytest.fixture
def committee_group(add_group) -> str:  # type: ignore[no-untyped-def]
    add_group(COMMITTEE_GROUP)
    return COMMITTEE_GROUP


@pytest.fixture
def cli(app):  # type: ignore[no-untyped-def]
    """`cli("plan", "list", "--json")` runs a kmbot command in the test app; arguments may be paths.
    An exception inside the command is raised, not hidden in the result."""
    runner = app.test_cli_runner()

    def invoke(*arguments: object):  # type: ignore[no-untyped-def]
        return runner.invoke(args=[str(argument) for argument in arguments], catch_exceptions=False)

    return invoke


@pytest.fixture
def line_client(app):  # type: ignore[no-untyped-def]
    from bot.web.extensions import get_line_client

    return get_line_client(app)


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    """The strict LINE stub's tally: requests sent and how many LINE would have refused
    (docs/line.md); written as JSON to KMBOT_LINE_TALLY when that is set."""
    if not SESSION_TALLY["requests"]:
        return
    terminalreporter.write_line(
        "strict LINE stub: {requests} requests, {refused} LINE would refuse, "
        "{scripted_failures} scripted failures".format(**SESSION_TALLY)
    )
    target = os.environ.get("KMBOT_LINE_TALLY")
    if target:
        Path(target).write_text(json.dumps(SESSION_TALLY))
