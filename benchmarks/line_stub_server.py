"""A small, fast stand-in for the LINE Messaging API, for load tests on loopback.

    python benchmarks/line_stub_server.py --port 0      # prints the chosen port on stdout

It answers `POST /v2/bot/message/reply` and `/v2/bot/message/push` with 200 and a
`{"sentMessages": [...]}` body shaped as LINE documents it, group/room member counts with
`{"count": 5}`, and counts what it received. `GET /__stats` returns the counters,
`GET /__reply_tokens` every reply token it was given (with how many times), and
`POST /__reset` zeroes them, so a harness can check that every webhook got exactly one reply.

It is an aiohttp app in its own process: one event loop with keep-alive connections costs
far less CPU per call than a threaded `http.server`, so the stub takes as little as possible
of the machine away from the servers being measured.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import socket
import sys
from collections import Counter

from aiohttp import web

SENT_MESSAGES_LIMIT = 5


class StubState:
    """Counters of what the stub received, by path, plus malformed reply bodies."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.bad_replies = 0
        self.reply_tokens: Counter[str] = Counter()
        self.reply_ids = itertools.count(1)

    def reset(self) -> None:
        self.calls.clear()
        self.reply_tokens.clear()
        self.bad_replies = 0

    def snapshot(self) -> dict[str, object]:
        return {
            "replies": self.calls["/v2/bot/message/reply"],
            "pushes": self.calls["/v2/bot/message/push"],
            "bad_replies": self.bad_replies,
            "distinct_reply_tokens": len(self.reply_tokens),
            "calls": dict(self.calls),
        }


def build_app(state: StubState) -> web.Application:
    async def send_message(request: web.Request) -> web.Response:
        state.calls[request.path] += 1
        try:
            payload = json.loads(await request.read())
            messages = payload["messages"]
            if not isinstance(messages, list) or not 1 <= len(messages) <= SENT_MESSAGES_LIMIT:
                raise ValueError("messages must be a list of 1 to 5 items")
            if request.path.endswith("/reply"):
                if not isinstance(payload.get("replyToken"), str) or not payload["replyToken"]:
                    raise ValueError("replyToken is missing")
                state.reply_tokens[payload["replyToken"]] += 1
        except (ValueError, KeyError, TypeError) as error:
            # A reply LINE would refuse is an error in the app under test, not a success.
            state.bad_replies += 1
            return web.json_response({"message": str(error)}, status=400)
        sent = [{"id": str(next(state.reply_ids)), "quoteToken": "q"} for _ in messages]
        return web.json_response({"sentMessages": sent}, headers={"x-line-request-id": "stub"})

    async def member_count(request: web.Request) -> web.Response:
        state.calls["members/count"] += 1
        return web.json_response({"count": 5})

    async def stats(_request: web.Request) -> web.Response:
        return web.json_response(state.snapshot())

    async def reply_tokens(_request: web.Request) -> web.Response:
        return web.json_response(dict(state.reply_tokens))

    async def reset(_request: web.Request) -> web.Response:
        state.reset()
        return web.json_response(state.snapshot())

    app = web.Application()
    app.router.add_post("/v2/bot/message/reply", send_message)
    app.router.add_post("/v2/bot/message/push", send_message)
    app.router.add_get("/v2/bot/{kind}/{chat_id}/members/count", member_count)
    app.router.add_get("/__stats", stats)
    app.router.add_get("/__reply_tokens", reply_tokens)
    app.router.add_post("/__reset", reset)
    return app


async def serve(host: str, port: int) -> None:
    state = StubState()
    runner = web.AppRunner(build_app(state), access_log=None)
    await runner.setup()
    # Bind first, then print the port: the harness reads it to know the stub is ready.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    site = web.SockSite(runner, sock, backlog=1024)
    await site.start()
    print(sock.getsockname()[1], flush=True)
    await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed on stdout)")
    args = parser.parse_args(argv)
    try:
        asyncio.run(serve(args.host, args.port))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
