"""The baseline for the webhook load test: a bare line-bot-sdk v3 echo bot in Flask.

    gunicorn --workers 2 --threads 4 --bind 127.0.0.1:8001 --chdir benchmarks 'echo_app:create_app()'

It does what every LINE bot must do and nothing else: verify the signature and parse the
events with the SDK's `WebhookParser`, and reply to each text message with the SDK's
`MessagingApi`. Same environment as kmbot: LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN,
LINE_API_BASE_URL. `benchmarks/load_webhook.py` compares kmbot's throughput with this.
"""

from __future__ import annotations

import os

from flask import Flask, Response, abort, jsonify, request
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import (
    ApiClient,
    Configuration,
    MessagingApi,
    ReplyMessageRequest,
    TextMessage,
)
from linebot.v3.webhooks import MessageEvent, TextMessageContent


def create_app() -> Flask:
    parser = WebhookParser(os.environ["LINE_CHANNEL_SECRET"])
    configuration = Configuration(
        host=os.environ.get("LINE_API_BASE_URL", "https://api.line.me"),
        access_token=os.environ["LINE_CHANNEL_ACCESS_TOKEN"],
    )
    # One client per process, as a real bot keeps it: its urllib3 pool reuses connections.
    messaging = MessagingApi(ApiClient(configuration))
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
                messaging.reply_message(
                    ReplyMessageRequest(reply_token=event.reply_token, messages=[TextMessage(text=event.message.text)])
                )
        return jsonify({"status": "ok"})

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify({"status": "ok"})

    return app
