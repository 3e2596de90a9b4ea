"""The floor for the webhook load test: kmbot's question job in the fewest statements it needs.

    gunicorn --workers 2 --threads 4 --bind 127.0.0.1:8002 --chdir benchmarks 'floor_app:create_app()'

What kmbot does for a question, built from kmbot's own parts (`kb.answering.find_answer` over
the same search index, `handlers.answer_card` for the card, the same tables), but as one
transaction of Core statements: the event id inserted or ignored, the user upserted with
RETURNING, one rate count, the reach rows in one INSERT, the gap upserted for a fallback; the
store revision read at most once a second (`kb.search_service`). The reply goes through the
SDK's `MessagingApi` like the echo bot's. No groups, commands, buttons, small talk or quoting:
it is what a question costs at least with kmbot's search and card, not a bot to deploy.
Environment as kmbot's: DATABASE_URL, LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN,
LINE_API_BASE_URL. `benchmarks/load_webhook.py` runs it beside the echo bot and kmbot.
"""

from __future__ import annotations

import os
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Flask, Response, abort, jsonify, request  # noqa: E402
from linebot.v3 import WebhookParser  # noqa: E402
from linebot.v3.exceptions import InvalidSignatureError  # noqa: E402
from linebot.v3.messaging import ApiClient, Configuration, MessagingApi, ReplyMessageRequest  # noqa: E402
from linebot.v3.webhooks import MessageEvent, TextMessageContent  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bot.core.calendar import now  # noqa: E402
from bot.core.database import Database  # noqa: E402
from bot.core.tables import InteractionEvent, ReceivedWebhookEvent, User  # noqa: E402
from handlers.answer_card import answer_messages, fallback_messages  # noqa: E402
from kb.answering import find_answer  # noqa: E402
from kb.gaps import record_gap  # noqa: E402
from kb.search_service import KnowledgeSearch  # noqa: E402

RATE_WINDOW = timedelta(minutes=1)


def create_app() -> Flask:
    parser = WebhookParser(os.environ["LINE_CHANNEL_SECRET"])
    configuration = Configuration(
        host=os.environ.get("LINE_API_BASE_URL", "https://api.line.me"),
        access_token=os.environ["LINE_CHANNEL_ACCESS_TOKEN"],
    )
    messaging = MessagingApi(ApiClient(configuration))
    database = Database(os.environ.get("DATABASE_URL", "sqlite:///kmbot.db"))
    search = KnowledgeSearch()
    base_url = os.environ.get("KMBOT_PUBLIC_BASE_URL", "http://127.0.0.1/")
    app = Flask(__name__)

    @app.post("/callback")
    def callback() -> Response:
        signature = request.headers.get("X-Line-Signature", "")
        body = request.get_data(as_text=True)
        try:
            events = parser.parse(body, signature)
        except InvalidSignatureError:
            abort(400)
        for event in events:
            if isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent):
                messages = answer(database, search, event, base_url)
                if messages:
                    messaging.reply_message(ReplyMessageRequest(reply_token=event.reply_token, messages=messages))
        return jsonify({"status": "ok"})

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify({"status": "ok"})

    return app


def answer(database: Database, search: KnowledgeSearch, event: MessageEvent, base_url: str) -> list | None:  # type: ignore[type-arg]
    moment = now()
    question = event.message.text.lstrip("?").strip()
    with database.session() as session:
        dialect_insert = _insert(session)
        first = session.execute(
            dialect_insert(ReceivedWebhookEvent).values(
                webhook_event_id=event.webhook_event_id, event_type="message", source_type=str(event.source.type),
                redelivery=False, event_timestamp=event.timestamp, received_at=moment,
            ).on_conflict_do_nothing(index_elements=["webhook_event_id"]).returning(ReceivedWebhookEvent.id)
        ).first()
        if first is None:
            return None
        user_id = session.execute(
            dialect_insert(User).values(line_user_id=event.source.user_id, role="staff", following=False,
                                        first_seen_at=moment, last_seen_at=moment)
            .on_conflict_do_update(index_elements=["line_user_id"], set_={"last_seen_at": moment})
            .returning(User.id)
        ).scalar_one()
        session.execute(select(func.count()).where(InteractionEvent.user_id == user_id,
                                                   InteractionEvent.occurred_at > moment - RATE_WINDOW)).scalar_one()
        found = find_answer(session, search, question)
        row = {"occurred_at": moment, "channel": "1:1", "user_id": user_id, "webhook_event_id": event.webhook_event_id,
               "article_id": None}
        rows = [{**row, "kind": "question", "detail": {"confidence": round(found.confidence, 3)}}]
        if found.answered:
            rows.append({**row, "kind": "answer", "article_id": found.article_id,
                         "detail": {"passage_id": found.sources[0].passage_id}})
        else:
            rows.append({**row, "kind": "fallback", "detail": None})
            record_gap(session, question, moment)
        session.execute(insert(InteractionEvent).values(rows))
    if not found.answered:
        return fallback_messages(found)
    return answer_messages(found, f"{base_url.rstrip('/')}/kb/{found.article_id}?from=line")


def _insert(session: Session):  # type: ignore[no-untyped-def]
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert
