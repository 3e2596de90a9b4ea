"""The table of LINE event types and the function that handles each.

Chat commands and the buttons that run them have their own table in `handlers.commands`.
"""

from __future__ import annotations

from typing import Callable

from linebot.v3.messaging.models import Message
from linebot.v3.webhooks import Event

from handlers import evidence, follow, membership, message, postback, unsend
from handlers.context import HandlerContext

EventHandler = Callable[[Event, HandlerContext], list[Message]]

# One entry per LINE event type (the webhook's `type`); one function per entry.
EVENT_HANDLERS: dict[str, EventHandler] = {
    "message": message.handle_message,
    "postback": postback.handle_postback,
    "follow": follow.handle_follow,
    "unfollow": follow.handle_unfollow,
    "join": membership.handle_join,
    "leave": membership.handle_leave,
    "memberJoined": membership.handle_member_joined,
    "memberLeft": membership.handle_member_left,
    "unsend": unsend.handle_unsend,
}

# Message types (the message's `type`) with a handler of their own; other messages (text,
# stickers) go to the `message` entry above.
MESSAGE_HANDLERS: dict[str, EventHandler] = {
    "image": evidence.handle_media,
    "file": evidence.handle_media,
}


def handle_event(event: Event, context: HandlerContext) -> list[Message] | None:
    """Run the handler for this event's type; None when no handler is registered for it."""
    handler = EVENT_HANDLERS.get(event.type)
    if event.type == "message":
        handler = MESSAGE_HANDLERS.get(str(getattr(event.message, "type", "")), handler)
    if handler is None:
        return None
    return handler(event, context)
