"""Button presses (postbacks): `data` is a query string whose `action` names the function to run."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from linebot.v3.messaging.models import Message
from linebot.v3.webhooks import Event, PostbackEvent

from handlers.commands import ASK_ACTION, postback_action
from handlers.context import HandlerContext
from handlers.message import route_text

logger = logging.getLogger(__name__)


def handle_postback(event: Event, context: HandlerContext) -> list[Message]:
    assert isinstance(event, PostbackEvent)
    data = parse_postback_data(event.postback.data)
    if data.get("action") == ASK_ACTION:
        # A question button: the question (or command) it carries, as if typed to the bot.
        return route_text(" ".join(data.get("q", "").split()), context)
    action = postback_action(data.get("action", ""))
    if action is None:
        logger.info("postback with an unknown action ignored")
        return []
    return action(data, context)


def parse_postback_data(data: str) -> dict[str, str]:
    """`action=feedback&article=3` -> {"action": "feedback", "article": "3"}; junk gives {}."""
    return dict(parse_qsl(data, keep_blank_values=True, max_num_fields=20))
