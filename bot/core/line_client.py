"""Talking to the LINE Messaging API through the official SDK, with bounded, duplicate-safe retries."""

from __future__ import annotations

import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Sequence, TypeVar

import urllib3
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessagingApi,
    MessagingApiBlob,
    PushMessageRequest,
    ReplyMessageRequest,
    RichMenuRequest,
)
from linebot.v3.messaging.models import Message

from bot.core.config import DEFAULT_LINE_API_BASE_URL, Config
from bot.core.text import fits, shorten

# LINE's limits (Messaging API reference, https://developers.line.biz/en/reference/messaging-api/;
# text counted in UTF-16 units, labels and action texts in grapheme clusters, as the
# text-character-count page says). Builders keep within them; `within_limits` is the last guard.
MAX_MESSAGES = 5  # #send-reply-message, #send-push-message: "Max: 5"
TEXT_LIMIT = 5000  # #text-message: text "Max character limit: 5000"
ALT_TEXT_LIMIT = 400  # #flex-message / #template-messages altText (400 is safe for every type)
QUICK_REPLY_ITEMS_LIMIT = 13  # #quick-reply: items "Max: 13"
LABEL_LIMIT = 20  # #action-objects: label "Max character limit: 20"
ACTION_TEXT_LIMIT = 300  # #message-action text, #postback-action displayText: "Max character limit: 300"

logger = logging.getLogger(__name__)


ResultType = TypeVar("ResultType")


def within_limits(messages: Sequence[Message]) -> list[Message]:
    """The messages as LINE accepts them: at most five, texts, alt texts and quick-reply buttons
    shortened to LINE's limits. Every reply and push passes through here, so a message built
    from a long user text is shortened rather than refused (and the person left without an answer)."""
    fitted = []
    for message in list(messages)[:MAX_MESSAGES]:
        update: dict[str, Any] = {}
        text = getattr(message, "text", None)
        if isinstance(text, str) and not fits(text, TEXT_LIMIT):
            update["text"] = shorten(text, TEXT_LIMIT, squeeze=False)
        alt_text = getattr(message, "alt_text", None)
        if isinstance(alt_text, str) and not fits(alt_text, ALT_TEXT_LIMIT):
            update["alt_text"] = shorten(alt_text, ALT_TEXT_LIMIT)
        quick_reply = getattr(message, "quick_reply", None)
        if quick_reply is not None and quick_reply.items:
            update["quick_reply"] = quick_reply.copy(update={"items": [_fitted_item(item) for item in quick_reply.items[:QUICK_REPLY_ITEMS_LIMIT]]})
        fitted.append(message.copy(update=update) if update else message)
    return fitted


def _fitted_item(item: Any) -> Any:
    action = item.action
    update: dict[str, Any] = {}
    for name, limit in (("label", LABEL_LIMIT), ("text", ACTION_TEXT_LIMIT), ("display_text", ACTION_TEXT_LIMIT)):
        value = getattr(action, name, None)
        if isinstance(value, str) and not fits(value, limit, "grapheme"):
            update[name] = shorten(value, limit, unit="grapheme")
    return item.copy(update={"action": action.copy(update=update)}) if update else item

# A retry key that LINE has already accepted answers 409: the message was delivered before.
ALREADY_ACCEPTED_STATUS = 409


# LINE's 429 body when the channel has used its month's message allowance (Messaging API
# reference, #error-responses: "You have reached your monthly limit."). Retrying cannot help
# until the month turns; other 429s (rate limits) are retried.
MONTHLY_LIMIT_MESSAGE = "You have reached your monthly limit."


class LineApiError(RuntimeError):
    """LINE refused a request, or kept failing after every allowed retry.

    ``message`` and ``details`` are LINE's own explanation (its error JSON: which property broke
    which rule), so a refusal can be told apart from an outage and fixed.
    """

    def __init__(self, operation: str, status: int | None, request_id: str | None, reason: str,
                 message: str | None = None, details: list[dict[str, Any]] | None = None) -> None:
        explained = f" {message}" if message else ""
        if details:
            explained += " (" + "; ".join(f"{item.get('property', '?')}: {item.get('message', '')}" for item in details) + ")"
        super().__init__(f"LINE {operation} failed: status={status} request_id={request_id} {reason}{explained}")
        self.operation = operation
        self.status = status
        self.request_id = request_id
        self.message = message
        self.details = details or []

    @property
    def refused(self) -> bool:
        """LINE refused the request itself (400): sending it again would be refused again."""
        return self.status == 400

    @property
    def monthly_limit(self) -> bool:
        """The month's message allowance is used up: nothing more goes out until next month."""
        return self.status == 429 and (self.message or "").strip().lower() == MONTHLY_LIMIT_MESSAGE.lower()


@dataclass(frozen=True)
class Quota:
    """The channel's message allowance this month (#get-quota, #get-consumption): ``limit`` is
    None when no target limit is set."""

    limit: int | None
    used: int

    def allows(self, units: int) -> bool:
        return self.limit is None or self.used + units <= self.limit


@dataclass(frozen=True)
class Delivery:
    """What LINE said about a reply or push that went through."""

    request_id: str | None
    status: int
    already_delivered: bool = False
    # LINE's ids of the messages sent (a push's `sentMessages`), in the order sent; a quoted
    # reply to one of them names it in `quotedMessageId`.
    message_ids: tuple[str, ...] = ()


class LineClient:
    """The SDK's `MessagingApi`, pointed at `LINE_API_BASE_URL`, plus the retry policy.

    Retries 429 and 5xx (and lost connections) with capped exponential back-off and never
    retries another 4xx. Pushes carry an `X-Line-Retry-Key`, so a retried push is delivered once.
    A reply runs inside LINE's webhook request, so all its attempts together keep within
    `line_reply_budget_seconds`: a slow LINE must not hold the webhook until LINE gives up on it.
    """

    def __init__(self, config: Config, sleep: Callable[[float], None] = time.sleep) -> None:
        configuration = Configuration(
            host=config.line_api_base_url, access_token=config.line_channel_access_token or ""
        )
        # The retry policy below is the only one: urllib3's own retries would hide attempts.
        configuration.retries = False
        self._api_client = ApiClient(configuration)
        self._api = MessagingApi(self._api_client)
        # Rich menu images go to LINE's data host (api-data.line.me); a stub serves both.
        blob_configuration = Configuration(
            host=config.line_data_api_base_url or data_api_base_url(config.line_api_base_url), access_token=config.line_channel_access_token or ""
        )
        blob_configuration.retries = False
        self._blob_client = ApiClient(blob_configuration)
        self._blob = MessagingApiBlob(self._blob_client)
        # The raw body is kept undecoded: a change in LINE's response schema must not turn a
        # delivered message into an error (and a duplicate on retry).
        self._request_options = {"_request_timeout": config.line_request_timeout_seconds, "_preload_content": False}
        self._timeout = config.line_request_timeout_seconds
        self._reply_budget = config.line_reply_budget_seconds
        self._max_attempts = max(1, config.line_max_attempts)
        self._backoff = config.line_backoff_seconds
        self._backoff_cap = config.line_backoff_cap_seconds
        self._sleep = sleep

    def reply(self, reply_token: str, messages: Sequence[Message]) -> Delivery:
        request = ReplyMessageRequest(reply_token=reply_token, messages=within_limits(messages))
        # A reply token works once, so a repeated reply can never be delivered twice.
        response = self._call(
            "reply",
            lambda options: self._api.reply_message_with_http_info(request, **options),
            budget_seconds=self._reply_budget,
        )
        return Delivery(request_id=_request_id(response.headers), status=response.status_code)

    def push(self, to: str, messages: Sequence[Message], retry_key: str | None = None) -> Delivery:
        """Push to a user, group or room; the same `retry_key` never delivers twice."""
        retry_key = retry_key or str(uuid.uuid4())
        request = PushMessageRequest(to=to, messages=within_limits(messages))
        try:
            response = self._call(
                "push",
                lambda options: self._api.push_message_with_http_info(
                    request, x_line_retry_key=retry_key, **options
                ),
            )
        except LineApiError as error:
            if error.status == ALREADY_ACCEPTED_STATUS:
                return Delivery(request_id=error.request_id, status=error.status, already_delivered=True)
            raise
        return Delivery(request_id=_request_id(response.headers), status=response.status_code,
                        message_ids=_sent_message_ids(response.raw_data))

    def member_count(self, chat_id: str, kind: str = "group") -> int:
        if kind == "room":
            response = self._call(
                "room member count",
                lambda options: self._api.get_room_member_count_with_http_info(chat_id, **options),
            )
        else:
            response = self._call(
                "group member count",
                lambda options: self._api.get_group_member_count_with_http_info(chat_id, **options),
            )
        return int(json.loads(response.raw_data)["count"])

    def quota(self) -> Quota:
        """This month's allowance and what has been used of it (GET /v2/bot/message/quota and
        /v2/bot/message/quota/consumption)."""
        limit = self._call("quota", lambda options: self._api.get_message_quota_with_http_info(**options))
        used = self._call("quota consumption", lambda options: self._api.get_message_quota_consumption_with_http_info(**options))
        limit_body = json.loads(limit.raw_data)
        return Quota(
            limit=int(limit_body["value"]) if limit_body.get("type") == "limited" else None,
            used=int(json.loads(used.raw_data)["totalUsage"]),
        )

    def group_name(self, group_id: str) -> str | None:
        """The group's name as LINE shows it (GET /v2/bot/group/{groupId}/summary); None when LINE cannot say."""
        try:
            response = self._call("group summary", lambda options: self._api.get_group_summary_with_http_info(group_id, **options))
        except LineApiError:
            return None
        return json.loads(response.raw_data).get("groupName")

    # --- profiles (#get-profile, #get-group-member-profile): names for the secretary ------------

    def display_name(self, user_id: str, group_id: str | None = None) -> str | None:
        """The person's LINE display name: from their profile (friends of the bot), else from the
        group they wrote in; None when LINE cannot say (blocked, left, or a stranger)."""
        try:
            response = self._call("profile", lambda options: self._api.get_profile_with_http_info(user_id, **options))
        except LineApiError:
            if group_id is None:
                return None
            try:
                response = self._call(
                    "group member profile",
                    lambda options: self._api.get_group_member_profile_with_http_info(group_id, user_id, **options),
                )
            except LineApiError:
                return None
        return json.loads(response.raw_data).get("displayName") or None

    # --- rich menus (#rich-menu) ---------------------------------------------------------------

    def rich_menus(self) -> list[dict[str, Any]]:
        """The channel's rich menus (GET /v2/bot/richmenu/list), as LINE describes them."""
        response = self._call("rich menu list", lambda options: self._api.get_rich_menu_list_with_http_info(**options))
        return list(json.loads(response.raw_data).get("richmenus", []))

    def create_rich_menu(self, menu: dict[str, Any]) -> str:
        """Create a rich menu from its object (#rich-menu-object); its richMenuId."""
        request = RichMenuRequest.from_dict(menu)
        response = self._call("create rich menu", lambda options: self._api.create_rich_menu_with_http_info(request, **options))
        return str(json.loads(response.raw_data)["richMenuId"])

    def set_rich_menu_image(self, rich_menu_id: str, image: bytes, content_type: str = "image/png") -> None:
        """Upload the menu's image (POST api-data.line.me/v2/bot/richmenu/{id}/content)."""
        self._call(
            "upload rich menu image",
            lambda options: self._blob.set_rich_menu_image_with_http_info(
                rich_menu_id, body=image, _headers={"Content-Type": content_type}, **options
            ),
        )

    # --- content sent by users (#get-content) -----------------------------------------------------

    def message_content(self, message_id: str) -> tuple[bytes, str | None]:
        """The bytes of an image or file a user sent (GET api-data.line.me/v2/bot/message/{id}/content)
        and the content type LINE gives; retried like every call."""
        response = self._call(
            "message content",
            lambda options: self._blob.get_message_content_with_http_info(message_id, **options),
        )
        headers = response.headers or {}
        content_type = headers.get("Content-Type") or headers.get("content-type")
        return bytes(response.raw_data or b""), content_type

    def delete_rich_menu(self, rich_menu_id: str) -> None:
        self._call("delete rich menu", lambda options: self._api.delete_rich_menu_with_http_info(rich_menu_id, **options))

    def set_default_rich_menu(self, rich_menu_id: str) -> None:
        """The menu every user sees unless one is linked to them."""
        self._call("set default rich menu", lambda options: self._api.set_default_rich_menu_with_http_info(rich_menu_id, **options))

    def link_rich_menu(self, user_id: str, rich_menu_id: str) -> None:
        self._call(
            "link rich menu",
            lambda options: self._api.link_rich_menu_id_to_user_with_http_info(user_id, rich_menu_id, **options),
        )

    def unlink_rich_menu(self, user_id: str) -> None:
        """Back to the default menu."""
        self._call("unlink rich menu", lambda options: self._api.unlink_rich_menu_id_from_user_with_http_info(user_id, **options))

    def close(self) -> None:
        self._api_client.close()
        self._blob_client.close()

    def _call(
        self,
        operation: str,
        request: Callable[[dict[str, Any]], ResultType],
        budget_seconds: float | None = None,
    ) -> ResultType:
        deadline = None if budget_seconds is None else time.monotonic() + budget_seconds
        for attempt in range(1, self._max_attempts + 1):
            options = self._request_options
            if deadline is not None:
                # The last attempt gets only what is left of the budget.
                options = {**options, "_request_timeout": max(0.05, min(self._timeout, deadline - time.monotonic()))}
            try:
                return request(options)
            except ApiException as error:
                status = error.status
                request_id = _request_id(error.headers)
                message, details = _error_body(error)
                failure = LineApiError(operation, status, request_id, str(error.reason or ""), message, details)
                retryable = (status == 429 and not failure.monthly_limit) or (status is not None and status >= 500)
                if status is not None and 400 <= status < 500 and status != 409:
                    # LINE's message and details say which field broke which rule; they never
                    # carry the message text itself.
                    logger.warning(
                        "LINE %s answered %s (x-line-request-id=%s, attempt %d of %d): %s %s",
                        operation, status, request_id, attempt, self._max_attempts, message or "", details or "",
                    )
                else:
                    logger.warning(
                        "LINE %s answered %s (x-line-request-id=%s, attempt %d of %d)",
                        operation, status, request_id, attempt, self._max_attempts,
                    )
                delay = self._delay(attempt, _retry_after_seconds(error.headers))
                if not retryable or attempt == self._max_attempts or _past(deadline, delay):
                    raise failure from None
                self._sleep(delay)
            except (urllib3.exceptions.HTTPError, OSError) as error:
                logger.warning(
                    "LINE %s could not be reached (%s, attempt %d of %d)",
                    operation, type(error).__name__, attempt, self._max_attempts,
                )
                delay = self._delay(attempt, None)
                if attempt == self._max_attempts or _past(deadline, delay):
                    raise LineApiError(operation, None, None, type(error).__name__) from None
                self._sleep(delay)
        raise AssertionError("unreachable")

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        exponential = self._backoff * (2 ** (attempt - 1))
        wanted = retry_after if retry_after is not None else exponential
        return min(wanted, self._backoff_cap)


def _sent_message_ids(raw: bytes | None) -> tuple[str, ...]:
    """The ids in a push response's `sentMessages` (#send-push-message-response); () when the
    body cannot be read, which never turns a delivered push into an error."""
    try:
        body = json.loads(raw or b"{}")
        return tuple(str(item["id"]) for item in body.get("sentMessages", []) if item.get("id"))
    except (ValueError, TypeError, KeyError, AttributeError):
        return ()


def data_api_base_url(api_base_url: str) -> str:
    """LINE serves content (rich menu images) from api-data.line.me; another base URL (a stub, a
    proxy) is taken to serve both."""
    if api_base_url.rstrip("/") == DEFAULT_LINE_API_BASE_URL:
        return "https://api-data.line.me"
    return api_base_url


def _error_body(error: ApiException) -> tuple[str | None, list[dict[str, Any]] | None]:
    """LINE's error JSON (#error-responses): ``message`` and, for a 400, ``details``."""
    body = error.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        return None, None
    if not isinstance(parsed, dict):
        return None, None
    details = parsed.get("details")
    return (str(parsed["message"])[:300] if parsed.get("message") else None,
            [item for item in details if isinstance(item, dict)][:20] if isinstance(details, list) else None)


def _past(deadline: float | None, delay: float) -> bool:
    """True when waiting ``delay`` seconds would leave no time for another attempt."""
    return deadline is not None and time.monotonic() + delay >= deadline


def _request_id(headers: object) -> str | None:
    if not headers:
        return None
    getter = getattr(headers, "get", None)
    if getter is None:
        return None
    return getter("x-line-request-id") or getter("X-Line-Request-Id")


def _retry_after_seconds(headers: object) -> float | None:
    getter = getattr(headers, "get", None) if headers else None
    if getter is None:
        return None
    value = getter("Retry-After") or getter("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
