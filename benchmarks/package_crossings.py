"""How often the call stack crosses from one layer of kmbot to another, in the three main flows.

    PYTHONPATH=. python benchmarks/package_crossings.py [--json] [--calls] [--sample PATH]

Traces (``sys.setprofile``) three flows on a fresh SQLite database with a local LINE stub:

- question: one text message through the webhook (Flask test client), from POST /callback to
  the reply sent to LINE (a first question warms the search index and is not counted);
- reminder: one tick of the reminder clock at 09:00 on 1 July 2024 with the sample plan imported;
- reach: ``kmbot reach report --format xlsx --out FILE`` through the CLI runner.

A crossing is a call into kmbot code whose nearest calling kmbot frame is in another layer
(bot.app, bot.cli, bot.web, handlers, bot.reach, scheduler, kb, bot.core; library frames in
between do not count as a layer). "all" counts every crossing; "between non-kernel layers"
leaves out crossings to or from bot.core, the kernel every layer may use; `--calls` lists
those (caller -> callee, by function).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PYTHAINLP_OFFLINE", "1")

DEFAULT_SAMPLE = ROOT.parents[0] / "shared" / "seeds" / "000_7109b574315d70a7.txt"
SECRET = "bench-channel-secret-0123456789ab"
# Longest prefixes first: bot.core before bot.
LAYERS = ("bot.app", "bot.cli", "bot.web", "handlers", "bot.reach", "scheduler", "kb", "bot.core")
KERNEL = "bot.core"


def layer_of(module: str | None) -> str | None:
    if not module:
        return None
    for layer in LAYERS:
        if module == layer or module.startswith(layer + "."):
            return layer
    if module == "bot":
        return "bot.app"
    return None


class CrossingCounter:
    def __init__(self) -> None:
        self.crossings: Counter[tuple[str, str]] = Counter()
        self.non_kernel_calls: Counter[tuple[str, str]] = Counter()
        self.calls = 0

    def _profile(self, frame: FrameType, event: str, arg: Any) -> None:
        if event != "call":
            return
        callee = layer_of(frame.f_globals.get("__name__"))
        if callee is None:
            return
        self.calls += 1
        caller_frame = frame.f_back
        while caller_frame is not None:
            caller = layer_of(caller_frame.f_globals.get("__name__"))
            if caller is not None:
                if caller != callee:
                    self.crossings[(caller, callee)] += 1
                    if KERNEL not in (caller, callee):
                        self.non_kernel_calls[(function_name(caller_frame), function_name(frame))] += 1
                return
            caller_frame = caller_frame.f_back

    def trace(self, action: Callable[[], Any]) -> Any:
        sys.setprofile(self._profile)
        try:
            return action()
        finally:
            sys.setprofile(None)

    def summary(self) -> dict[str, Any]:
        total = sum(self.crossings.values())
        non_kernel = sum(count for (a, b), count in self.crossings.items() if KERNEL not in (a, b))
        return {
            "kmbot_calls": self.calls,
            "crossings": total,
            "crossings_between_non_kernel_layers": non_kernel,
            "by_pair": {f"{a} -> {b}": count for (a, b), count in self.crossings.most_common()},
            "non_kernel_calls": {f"{a} -> {b}": count for (a, b), count in self.non_kernel_calls.most_common()},
        }


def function_name(frame: FrameType) -> str:
    return f"{frame.f_globals.get('__name__')}.{frame.f_code.co_qualname}"


def line_stub() -> Any:
    from pytest_httpserver import HTTPServer
    from werkzeug import Response

    server = HTTPServer(host="127.0.0.1", port=0)
    server.expect_request(re.compile(".*")).respond_with_handler(
        lambda request: Response(json.dumps({"sentMessages": [{"id": "1"}], "count": 5}), content_type="application/json")
    )
    server.start()
    return server


def build_app(database_path: Path, stub_url: str) -> Any:
    from bot import create_app
    from bot.core.migrate import upgrade_database
    from bot.web.extensions import get_database

    app = create_app({
        "database_url": f"sqlite:///{database_path}", "line_channel_secret": SECRET,
        "line_channel_access_token": "bench-token", "line_api_base_url": stub_url, "line_backoff_seconds": 0.0,
        "secret_key": "bench", "question_rate": None,
    })
    app.config["TESTING"] = True
    upgrade_database(get_database(app))
    return app


def text_event(text: str, number: int) -> bytes:
    # Stamped now: an older event's reply token has expired, and the path would end without a reply.
    event = {
        "type": "message", "mode": "active", "timestamp": int(time.time() * 1000), "webhookEventId": f"01BENCH{number:019d}",
        "deliveryContext": {"isRedelivery": False}, "replyToken": f"reply-token-{number}",
        "source": {"type": "user", "userId": "U1111111111111111111111111111aaaa"},
        "message": {"type": "text", "id": str(900 + number), "quoteToken": "q", "text": text},
    }
    return json.dumps({"destination": "U0000000000000000000000000000b0t", "events": [event]}).encode()


def signed_post(client: Any, body: bytes) -> Any:
    import base64
    import hashlib
    import hmac

    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    return client.post("/callback", data=body, headers={"X-Line-Signature": signature, "Content-Type": "application/json"})


def measure(sample: Path) -> dict[str, dict[str, Any]]:
    import time_machine

    from bot.core.calendar import BANGKOK
    from bot.core.people import ensure_group
    from bot.web.extensions import get_config, get_database, get_line_client
    from kb.plan_document import read_plan_file
    from kb.plan_store import save_plan_reading
    from scheduler.clock import ReminderClock
    from scheduler.reminders import ReminderPolicy

    results: dict[str, dict[str, Any]] = {}
    stub = line_stub()
    try:
        with tempfile.TemporaryDirectory() as folder:
            app = build_app(Path(folder) / "bench.db", stub.url_for("").rstrip("/"))
            client = app.test_client()
            # A first question loads the starter pack's index: not part of one question's path.
            assert signed_post(client, text_event("KM คืออะไร", 1)).status_code == 200
            counter = CrossingCounter()
            response = counter.trace(lambda: signed_post(client, text_event("ความรู้ฝังลึกคืออะไร", 2)))
            assert response.status_code == 200, response.status_code
            results["question"] = counter.summary()

            database = get_database(app)
            moment = datetime(2024, 7, 1, 9, 0, tzinfo=BANGKOK)
            with database.session() as session:
                save_plan_reading(session, read_plan_file(sample))
                ensure_group(session, "C2222222222222222222222222222bbbb", "group", datetime(2023, 9, 1, tzinfo=BANGKOK)).role = "committee"
            clock = ReminderClock(database, get_line_client(app), ReminderPolicy.from_config(get_config(app)), holder="bench")
            counter = CrossingCounter()
            with time_machine.travel(moment, tick=False):
                report = counter.trace(clock.tick)
            assert report is not None and report.sent, "the tick sent no reminder"
            results["reminder"] = counter.summary()

            runner = app.test_cli_runner()
            out = Path(folder) / "reach.xlsx"
            counter = CrossingCounter()
            result = counter.trace(lambda: runner.invoke(
                args=["reach", "report", "--fiscal-year", "2567", "--format", "xlsx", "--out", str(out)], catch_exceptions=False))
            assert result.exit_code == 0 and out.stat().st_size > 0, result.output
            results["reach"] = counter.summary()
            database.dispose()
    finally:
        stub.stop()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--sample", type=Path, default=Path(os.environ.get("KMBOT_SAMPLE_PLAN", DEFAULT_SAMPLE)))
    parser.add_argument("--calls", action="store_true", help="list the crossings between non-kernel layers, by function")
    arguments = parser.parse_args()
    results = measure(arguments.sample)
    if arguments.json:
        print(json.dumps(results, indent=2, ensure_ascii=False))
        return
    print(f"{'flow':<10} {'kmbot calls':>12} {'crossings':>10} {'non-kernel':>11}")
    for flow, summary in results.items():
        print(f"{flow:<10} {summary['kmbot_calls']:>12,} {summary['crossings']:>10,} "
              f"{summary['crossings_between_non_kernel_layers']:>11,}")
    for flow, summary in results.items():
        print(f"\n{flow}: " + ", ".join(f"{pair} {count}" for pair, count in summary["by_pair"].items()))
        if arguments.calls:
            for call, count in summary["non_kernel_calls"].items():
                print(f"  {count:>3}  {call}")


if __name__ == "__main__":
    main()
