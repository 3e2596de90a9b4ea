"""Button presses (postbacks): `data` is a query string whose `action` names the function to run."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl

from linebot.v3.messaging.models import Message
from linebot.v3.webhooks import Event, PostbackEvent

from handlers.commands import postback_action
from handlers.context import HandlerContext

logger = logging.getLogger(__name__)


def handle_postback(event: Event, context: HandlerContext) -> list[Message]:
    assert isinstance(event, PostbackEvent)
    data = parse_postback_data(event.postback.data)
    action = postback_action(data.get("action", ""))
    if action is None:
        logger.info("postback with an unknown action ignored")
        return []
    return action(data, context)


def parse_postback_data(data: str) -> dict[str, str]:
    """`action=feedback&article=3` -> {"action": "feedback", "article": "3"}; junk gives {}."""
    return dict(parse_qsl(data, keep_blank_values=True, max_num_fields=20))
