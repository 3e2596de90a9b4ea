"""The chat simulator's engine: one typed text or pressed button, handled exactly as LINE's would be.

The web page builds an event shaped like LINE's webhook payload, the SDK parses it, and the
same handlers the webhook uses answer it, in one database transaction. Only the source differs:
`ChatSource("web")` for the public page and `ChatSource("admin")` for the secretary's, so the
reach log marks every event with a simulator channel (never evidence, shown apart in the
reports), and no LINE client is given, so nothing from the simulator can reach a real LINE chat.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from typing import Any

from linebot.v3.messaging.models import Message, TextMessage

from bot.core.calendar import now
from bot.core.people import SIMULATOR_USER_PREFIX
from bot.web.webhook import SORRY, EventServices, is_temporary, parse_event
from handlers.dispatch import handle_simulated_event

MAX_TEXT_LENGTH = 5000  # LINE's own limit for a text message
MAX_POSTBACK_LENGTH = 300  # LINE's limit for postback data


@dataclass(frozen=True)
class SimulatedExchange:
    """What the person did (their bubble, if any) and what the bot answered, as LINE JSON dicts."""

    shown_as: str | None
    replies: list[dict[str, Any]]


def new_simulator_user_id() -> str:
    return SIMULATOR_USER_PREFIX + secrets.token_hex(12)


def _event_base(event_type: str, user_id: str) -> dict[str, Any]:
    return {
        "type": event_type,
        "mode": "active",
        "timestamp": int(now().timestamp() * 1000),
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": "web" + secrets.token_hex(12),
        "deliveryContext": {"isRedelivery": False},
        "replyToken": secrets.token_hex(16),
    }


def text_event(text: str, user_id: str) -> dict[str, Any]:
    """A LINE `message` event carrying `text`, as the webhook would receive it."""
    event = _event_base("message", user_id)
    event["message"] = {"id": str(secrets.randbelow(10**18)), "type": "text", "text": text[:MAX_TEXT_LENGTH],
                        "quoteToken": secrets.token_hex(8)}
    return event


def postback_event(data: str, user_id: str) -> dict[str, Any]:
    """A LINE `postback` event, as when a button with `data` is pressed."""
    event = _event_base("postback", user_id)
    event["postback"] = {"data": data[:MAX_POSTBACK_LENGTH]}
    return event


SIMULATOR_KINDS = ("web", "admin")


def run_simulated_event(raw_event: dict[str, Any], services: EventServices, kind: str = "web") -> list[Message]:
    """Handle one LINE-shaped event from the web page through the webhook's handlers.

    `kind` is "web" (the public simulator) or "admin" (the signed-in secretary's)."""
    if kind not in SIMULATOR_KINDS:
        raise ValueError(f"unknown simulator {kind!r}")
    event = parse_event(raw_event)
    if event is None:
        return []
    try:
        replies = handle_simulated_event(event, services, kind)
    except Exception as error:  # noqa: BLE001 - as the webhook: a temporary error is raised, others answered
        if is_temporary(error):
            raise
        logging.getLogger(__name__).error("simulated event failed (%s)", type(error).__name__)
        return [TextMessage(text=SORRY)]
    # LINE delivers at most five messages per reply; the simulator shows what LINE would.
    return replies[:5]


def simulate_text(text: str, user_id: str, services: EventServices, kind: str = "web") -> SimulatedExchange:
    replies = run_simulated_event(text_event(text, user_id), services, kind)
    return SimulatedExchange(text, [message.to_dict() for message in replies])


def simulate_postback(data: str, user_id: str, services: EventServices, display_text: str | None = None,
                      kind: str = "web") -> SimulatedExchange:
    replies = run_simulated_event(postback_event(data, user_id), services, kind)
    return SimulatedExchange(display_text or None, [message.to_dict() for message in replies])
