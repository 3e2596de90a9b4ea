"""Webhook load test on loopback: kmbot under gunicorn against a bare line-bot-sdk echo bot.

    python benchmarks/load_webhook.py                                  # PostgreSQL, levels 1 10 25 50
    python benchmarks/load_webhook.py --database sqlite
    python benchmarks/load_webhook.py --requests 500 --levels 1 50 --settings 2x4 3x4 --json
    python benchmarks/load_webhook.py --phases 1000                    # where kmbot's time goes

What it does, all on 127.0.0.1 and without any outside network:

1. starts the LINE stub (`benchmarks/line_stub_server.py`, its own process) that answers
   `/v2/bot/message/reply` with 200 `{"sentMessages": [...]}` and keeps every reply token;
2. makes a database: on PostgreSQL a schema of its own in `--postgres-url` (selected with
   `?options=-csearch_path%3D<schema>`, dropped at the end), on SQLite a file in a temporary
   folder; then runs `kmbot db upgrade` on it, which loads the starter knowledge pack;
3. for each gunicorn setting (`WxT`: W workers, T threads each; the Procfile's flags otherwise)
   serves `benchmarks/echo_app.py` and `bot:create_app()` side by side the way the Procfile
   does, warms each one up (kmbot's first question in each worker builds the search index),
   and at each concurrency level runs the echo bot, then kmbot: `--requests` signed webhooks,
   each one text message with its own webhookEventId and reply token, texts drawn from the
   staff questions of `tests/eval/dev.yaml` (4 in 5 from 1:1 chats, 1 in 5 from a group
   with the `?` trigger, from 5,000 distinct users);
4. reports per app and level the throughput (answered requests/s), p50/p99 latency (from
   sending the request to reading the whole response), errors, the replies the stub got,
   webhooks answered 200 without a reply and replies beyond one per webhook (both must be 0:
   the exit status is 1 otherwise), the CPU time per request of gunicorn's processes and of
   the whole machine (from /proc), and kmbot's throughput as a fraction of the echo bot's.

kmbot runs with its defaults except `KMBOT_QUESTION_RATE`, set so high that no question is
refused: the per-user limit's query still runs on every question, but 200 users asking at
this pace would otherwise be refused, and a refusal is cheaper and often gets no reply.

A level stops by itself after `--requests` requests or `--time-limit` seconds, whichever
comes first. The client is aiohttp with a semaphore, in this process (closed loop: each of
the `c` concurrent senders posts its next webhook when the previous one is answered); it
shares the machine with the servers, the same way for both apps. Progress goes to stderr,
the table (or with `--json` one JSON object) to stdout. docs/performance.md has the figures.

`--phases N` runs no load test: it serves N webhooks one at a time to both apps inside this
process (Flask's test client, the same database and stub) and times each step of kmbot's
webhook, in wall and CPU time, with the SQL statements it runs.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import dataclasses
import hashlib
import hmac
import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, Iterator

import aiohttp
from bench_database import empty_database

REPOSITORY = Path(__file__).resolve().parents[1]
BENCHMARKS = REPOSITORY / "benchmarks"
QUESTIONS_FILE = REPOSITORY / "tests" / "eval" / "dev.yaml"
DEFAULT_POSTGRES_URL = os.environ.get(
    "KMBOT_BENCH_POSTGRES_URL",
    os.environ.get("KMBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
)
CHANNEL_SECRET = "bench-channel-secret-0123456789ab"
ACCESS_TOKEN = "bench-access-token"
BOT_USER_ID = "U0000000000000000000000000000b0t"
GROUP_ID = "C" + "5" * 32
# Enough people that none passes kmbot's per-person limit of 30 events a minute
# (handlers/rate_limit.py) at a few hundred requests a second: a refused event gets no reply
# and costs less, which is not the work being measured.
DISTINCT_USERS = 5000
SEED = 2567
WARMUP_REQUESTS = 60
APPS = {
    "echo": ("echo_app:create_app()", BENCHMARKS),
    # kmbot's question job in the fewest statements (benchmarks/floor_app.py): the least it needs.
    "floor": ("floor_app:create_app()", BENCHMARKS),
    "kmbot": ("bot:create_app()", REPOSITORY),
}


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- webhooks


def sign(body: bytes) -> str:
    return base64.b64encode(hmac.new(CHANNEL_SECRET.encode(), body, hashlib.sha256).digest()).decode()


def staff_questions() -> list[str]:
    """The evaluation questions as staff type them (in-domain and out-of-domain alike)."""
    import yaml

    data = yaml.safe_load(QUESTIONS_FILE.read_text(encoding="utf-8"))
    questions = [str(item["q"]) for item in data.get("in_domain", data.get("questions", [])) if item.get("q")]
    questions += [str(item["q"] if isinstance(item, dict) else item) for item in data.get("out_of_domain", []) or []]
    if not questions:
        raise SystemExit(f"no questions in {QUESTIONS_FILE}")
    return questions


@dataclasses.dataclass(frozen=True)
class Webhook:
    """One signed delivery: a single text message event with its own reply token."""

    body: bytes
    signature: str
    reply_token: str
    source_type: str
    text: str


def signed_webhooks(count: int, questions: list[str], rng: random.Random) -> list[Webhook]:
    """`count` signed bodies, each one text event with a fresh webhookEventId and reply token."""
    webhooks: list[Webhook] = []
    timestamp = int(time.time() * 1000)
    for _ in range(count):
        user_id = f"U{rng.randrange(DISTINCT_USERS):032x}"
        text = rng.choice(questions)
        if rng.random() < 0.2:
            # In a group the bot answers only a trigger, as staff use it there.
            source: dict[str, Any] = {"type": "group", "groupId": GROUP_ID, "userId": user_id}
            text = "?" + text
        else:
            source = {"type": "user", "userId": user_id}
        event = {
            "type": "message",
            "mode": "active",
            "timestamp": timestamp,
            "source": source,
            "webhookEventId": f"01{rng.getrandbits(96):024X}",
            "deliveryContext": {"isRedelivery": False},
            "replyToken": f"{rng.getrandbits(128):032x}",
            "message": {
                "id": str(rng.randrange(10**17, 10**18)), "type": "text", "text": text,
                "quoteToken": f"q{rng.getrandbits(128):032x}",
            },
        }
        body = json.dumps({"destination": BOT_USER_ID, "events": [event]}, ensure_ascii=False).encode()
        webhooks.append(Webhook(body, sign(body), event["replyToken"], source["type"], text))
    return webhooks


# ---------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process(process: subprocess.Popen[Any], timeout: float = 15.0) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def line_stub() -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, str(BENCHMARKS / "line_stub_server.py"), "--port", "0"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        if not line.strip().isdigit():
            raise SystemExit("the LINE stub did not start")
        yield f"http://127.0.0.1:{int(line)}"
    finally:
        stop_process(process)


def app_environment(database_url: str, stub_url: str) -> dict[str, str]:
    environment = dict(os.environ)
    environment.update(
        DATABASE_URL=database_url,
        LINE_CHANNEL_SECRET=CHANNEL_SECRET,
        LINE_CHANNEL_ACCESS_TOKEN=ACCESS_TOKEN,
        LINE_API_BASE_URL=stub_url,
        PYTHAINLP_OFFLINE="1",
        KMBOT_SECRET_KEY="bench-secret-key",
        # The per-user question limit stays on, so its query runs on every question as in
        # production, but high enough that 200 users asking a question each 10 ms or so are
        # all answered: a refused question is cheaper and gets no reply, which is not the
        # work being measured.
        KMBOT_QUESTION_RATE="1000000/minute",
    )
    return environment


def upgrade(environment: dict[str, str]) -> None:
    progress("kmbot db upgrade (loads the starter knowledge pack)")
    subprocess.run(
        [sys.executable, "-c", "import sys; from bot.app import main; main(sys.argv[1:])", "db", "upgrade"],
        # Its report goes to stderr with the progress, so `--json` output stays one object.
        cwd=REPOSITORY, env=environment, check=True, stdout=sys.stderr,
    )


@dataclasses.dataclass(frozen=True)
class Setting:
    workers: int
    threads: int

    @classmethod
    def parse(cls, text: str) -> "Setting":
        workers, _, threads = text.lower().partition("x")
        return cls(int(workers), int(threads or 1))

    def __str__(self) -> str:
        return f"{self.workers}x{self.threads}"


@dataclasses.dataclass(frozen=True)
class Server:
    url: str
    pid: int  # gunicorn's master; its workers are its children


@contextmanager
def gunicorn(app: str, setting: Setting, environment: dict[str, str], log_path: Path) -> Iterator[Server]:
    """The app served the way the Procfile serves kmbot (access log included), on a free port."""
    target, chdir = APPS[app]
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn",
        "--workers", str(setting.workers), "--threads", str(setting.threads),
        "--bind", f"127.0.0.1:{port}", "--access-logfile", "-", "--chdir", str(chdir), target,
    ]
    config = Path(chdir) / "gunicorn.conf.py"
    if app != "echo" and app != "floor" and config.exists():
        command[3:3] = ["--config", str(config)]  # the Procfile's, where the tree has one
    # Each tree's own code, whatever an installed copy of the package points at.
    environment = {**environment, "PYTHONPATH": str(chdir if app not in ("echo", "floor") else REPOSITORY)}
    if has_control_socket():
        # gunicorn 24+ opens a control socket at one fixed path per user; two servers at once
        # (or another gunicorn on the machine) would fight over it. Requests never touch it.
        command.insert(3, "--no-control-socket")
    with open(log_path, "ab") as log:
        # Started in the app's own folder: gunicorn reads ./gunicorn.conf.py from where it starts.
        process = subprocess.Popen(command, env=environment, stdout=log, stderr=subprocess.STDOUT, cwd=chdir)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_until_healthy(url, process, log_path)
            yield Server(url, process.pid)
        finally:
            stop_process(process)


def has_control_socket() -> bool:
    from gunicorn.config import KNOWN_SETTINGS

    return any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS)


def wait_until_healthy(url: str, process: subprocess.Popen[Any], log_path: Path, timeout: float = 60.0) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer /healthz within {timeout:.0f} s; see {log_path}")


# ---------------------------------------------------------------- CPU accounting (Linux)

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def process_tree_cpu(root_pid: int) -> float | None:
    """CPU seconds (user + system) used so far by a process and its children, from /proc.

    For gunicorn that is the master and its workers: the app's whole cost, at 10 ms resolution.
    """
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    ticks = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended meanwhile
        if int(entry.name) == root_pid or int(fields[1]) == root_pid:
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / CLOCK_TICKS


def host_busy_cpu() -> float | None:
    """CPU seconds the whole machine spent busy (all CPUs, not idle nor waiting on I/O)."""
    try:
        values = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError, IndexError):
        return None
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    # guest time is already counted in user time
    return (sum(values[:8]) - idle) / CLOCK_TICKS


# ---------------------------------------------------------------- the load


@dataclasses.dataclass
class LevelResult:
    app: str
    setting: str
    concurrency: int
    requests: int
    errors: int
    replies: int
    missing_replies: int
    duplicate_replies: int
    seconds: float
    throughput: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    app_cpu_ms: float | None  # CPU of gunicorn's processes per answered request
    host_cpu_ms: float | None  # busy CPU of the whole machine (database, stub and client included) per request
    stopped_by_time_limit: bool


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the value below which `fraction` of the samples fall."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), int(-(-fraction * len(sorted_values) // 1))))
    return sorted_values[rank - 1]


@dataclasses.dataclass
class Load:
    """What one batch of requests came back with."""

    latencies: list[float]  # seconds, of the requests answered 200
    answered: list[Webhook]  # the webhooks answered 200
    errors: int  # requests answered otherwise, or not at all
    elapsed: float
    timed_out: bool
    statuses: dict[str, int]


async def post_all(
    url: str, webhooks: list[Webhook], concurrency: int, time_limit: float, keep_alive: bool = True
) -> Load:
    """Post every webhook, at most `concurrency` at a time, until they are done or time runs out."""
    semaphore = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    answered: list[Webhook] = []
    statuses: dict[str, int] = {}
    errors = 0
    timed_out = False
    connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency, force_close=not keep_alive)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        deadline = started + time_limit

        async def one(webhook: Webhook) -> None:
            nonlocal errors, timed_out
            async with semaphore:
                if time.perf_counter() > deadline:
                    timed_out = True
                    return
                headers = {"Content-Type": "application/json", "X-Line-Signature": webhook.signature}
                sent = time.perf_counter()
                try:
                    async with session.post(f"{url}/callback", data=webhook.body, headers=headers) as response:
                        await response.read()
                        status = str(response.status)
                except (aiohttp.ClientError, asyncio.TimeoutError) as error:
                    status = type(error).__name__
                if status == "200":
                    latencies.append(time.perf_counter() - sent)
                    answered.append(webhook)
                else:
                    errors += 1
                    statuses[status] = statuses.get(status, 0) + 1

        await asyncio.gather(*(one(webhook) for webhook in webhooks))
        elapsed = time.perf_counter() - started
    return Load(latencies, answered, errors, elapsed, timed_out, statuses)


async def stub_call(stub_url: str, method: str, path: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        async with session.request(method, f"{stub_url}{path}") as response:
            response.raise_for_status()
            return await response.json()


def check_replies(stub_url: str, load: Load) -> tuple[int, int, int]:
    """(replies the stub counted, answered webhooks it got no reply for, extra replies).

    Every reply carries the webhook's own reply token, so the stub's tokens say exactly which
    webhook was replied to, and how many times.
    """
    stats = asyncio.run(stub_call(stub_url, "GET", "/__stats"))
    tokens: dict[str, int] = asyncio.run(stub_call(stub_url, "GET", "/__reply_tokens"))
    missing = [webhook for webhook in load.answered if webhook.reply_token not in tokens]
    expected = {webhook.reply_token for webhook in load.answered}
    extra = sum(count - 1 for count in tokens.values() if count > 1)
    extra += sum(count for token, count in tokens.items() if token not in expected)
    for webhook in missing[:5]:
        progress(f"    no reply to a {webhook.source_type} message: {webhook.text[:60]!r}")
    if int(stats["bad_replies"]):
        progress(f"    the stub refused {stats['bad_replies']} malformed replies")
    return int(stats["replies"]), len(missing), extra


def per_request_ms(before: float | None, after: float | None, requests: int) -> float | None:
    if before is None or after is None or not requests:
        return None
    return round((after - before) * 1000 / requests, 2)


def run_level(
    app: str, setting: Setting, server: Server, stub_url: str, concurrency: int, webhooks: list[Webhook],
    time_limit: float, keep_alive: bool,
) -> LevelResult:
    asyncio.run(stub_call(stub_url, "POST", "/__reset"))
    app_cpu, host_cpu = process_tree_cpu(server.pid), host_busy_cpu()
    load = asyncio.run(post_all(server.url, webhooks, concurrency, time_limit, keep_alive))
    app_cpu_after, host_cpu_after = process_tree_cpu(server.pid), host_busy_cpu()
    replies, missing, extra = check_replies(stub_url, load)
    if load.statuses:
        progress(f"    errors by status: {load.statuses}")
    latencies = sorted(load.latencies)
    answered = len(latencies)
    return LevelResult(
        app=app, setting=str(setting), concurrency=concurrency, requests=answered + load.errors, errors=load.errors,
        replies=replies, missing_replies=missing, duplicate_replies=extra, seconds=round(load.elapsed, 3),
        throughput=round(answered / load.elapsed, 1) if load.elapsed else 0.0,
        p50_ms=round(percentile(latencies, 0.50) * 1000, 1),
        p99_ms=round(percentile(latencies, 0.99) * 1000, 1),
        max_ms=round((latencies[-1] if latencies else float("nan")) * 1000, 1),
        app_cpu_ms=per_request_ms(app_cpu, app_cpu_after, answered),
        host_cpu_ms=per_request_ms(host_cpu, host_cpu_after, answered),
        stopped_by_time_limit=load.timed_out,
    )


def warm_up(url: str, setting: Setting, questions: list[str], rng: random.Random) -> None:
    # Enough concurrent requests that every worker and thread has answered (and built its index).
    # A new connection per request: gunicorn keeps a kept-alive connection on the worker that
    # accepted it, so reused connections could leave a worker cold.
    count = max(WARMUP_REQUESTS, setting.workers * setting.threads * 10)
    webhooks = signed_webhooks(count, questions, rng)
    load = asyncio.run(post_all(url, webhooks, setting.workers * setting.threads, 120.0, keep_alive=False))
    progress(f"  warm-up: {count} requests in {load.elapsed:.1f} s, {load.errors} errors")
    if load.errors:
        raise SystemExit(f"the warm-up of {url} failed: {load.statuses}")


# ---------------------------------------------------------------- report


def ratios(results: list[LevelResult]) -> list[dict[str, Any]]:
    """Each app's throughput as a fraction of the echo bot's, and kmbot's CPU per request as a
    multiple of the floor app's, at the same setting and level (so in the same stretch of the run)."""
    by_key = {(result.app, result.setting, result.concurrency): result for result in results}
    rows = []
    for result in results:
        if result.app == "echo":
            continue
        echo = by_key.get(("echo", result.setting, result.concurrency))
        floor = by_key.get(("floor", result.setting, result.concurrency))
        row: dict[str, Any] = {"app": result.app, "setting": result.setting, "concurrency": result.concurrency}
        if echo and echo.throughput:
            row["throughput_ratio"] = round(result.throughput / echo.throughput, 2)
        if result.app in ("kmbot", "base") and floor and floor.app_cpu_ms and result.app_cpu_ms:
            row["cpu_vs_floor"] = round(result.app_cpu_ms / floor.app_cpu_ms, 2)
        rows.append(row)
    return rows


def load_average_text(load: tuple[float, float, float] | None) -> str:
    return " ".join(f"{value:.2f}" for value in load) if load else "?"


def optional(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def table(results: list[LevelResult]) -> str:
    """One row per app, setting and level.

    `unreplied` and `extra` must be 0 (exactly one reply per webhook); `app cpu` and `host cpu`
    are CPU milliseconds per answered request, of gunicorn's processes and of the whole machine.
    """
    ratio = {(row["app"], row["setting"], row["concurrency"]): row for row in ratios(results)}
    columns = [
        ("app", "<6"), ("gunicorn", ">8"), ("conc", ">5"), ("requests", ">8"), ("errors", ">6"),
        ("replies", ">7"), ("unreplied", ">9"), ("extra", ">5"), ("req/s", ">8"), ("p50 ms", ">8"),
        ("p99 ms", ">8"), ("max ms", ">8"), ("app cpu", ">7"), ("host cpu", ">8"), ("vs echo", ">7"),
        ("cpu/floor", ">9"),
    ]
    header = " ".join(f"{name:{spec}}" for name, spec in columns)
    lines = [header, "-" * len(header)]
    for result in results:
        row = ratio.get((result.app, result.setting, result.concurrency), {})
        fraction, cpu_multiple = row.get("throughput_ratio"), row.get("cpu_vs_floor")
        values = [
            result.app, result.setting, result.concurrency, result.requests, result.errors, result.replies,
            result.missing_replies, result.duplicate_replies, f"{result.throughput:.1f}", f"{result.p50_ms:.1f}",
            f"{result.p99_ms:.1f}", f"{result.max_ms:.1f}", optional(result.app_cpu_ms), optional(result.host_cpu_ms),
            f"{fraction:.2f}" if fraction is not None else "",
            f"{cpu_multiple:.2f}" if cpu_multiple is not None else "",
        ]
        line = " ".join(f"{value:{spec}}" for value, (_, spec) in zip(values, columns))
        lines.append(line + ("  (time limit)" if result.stopped_by_time_limit else ""))
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import gunicorn as gunicorn_package
    import linebot
    import sqlalchemy

    return {
        "cpus": os.cpu_count(), "cpu": cpu, "python": platform.python_version(), "platform": platform.platform(),
        "gunicorn": gunicorn_package.__version__, "line_bot_sdk": getattr(linebot, "__version__", "?"),
        "sqlalchemy": sqlalchemy.__version__,
    }


# ---------------------------------------------------------------- where the time goes (--phases)

# Steps of kmbot's webhook, timed where the code that runs them looks them up, so each call is
# counted once. They do not overlap; what they leave out (Flask, JSON, the handler's glue, the
# ORM objects of the reach log) is reported as the rest. A name (or module) that does not exist is skipped.
PHASES = [
    ("linebot.v3.webhook", "SignatureValidator.validate", "signature check"),
    ("bot.web.webhook", "parse_event", "event model (SDK)"),
    ("handlers.context", "HandlerContext.note_participants", "user and group upsert (+ connection checkout)"),
    ("handlers.dispatch", "_claim", "event claim, with the rate counts"),
    ("handlers.question", "check_question_rate", "per-user question limit"),
    ("kb.answering", "answer_from_activities", "plan-activity lookup query"),
    ("kb.search_service", "KnowledgeSearch.index", "store revision query"),
    ("kb.search", "SearchIndex.answer", "BM25 search"),
    ("kb.search", "SearchIndex.related_questions", "related questions"),
    ("kb.asking", "record_gap", "knowledge-gap upsert"),
    ("handlers.question", "answer_messages", "answer card (Flex) built"),
    ("handlers.question", "fallback_messages", "fallback card built"),
    ("sqlalchemy.orm", "Session.commit", "commit (flushes the reach log)"),
    ("bot.core.line_client", "LineClient.reply", "reply call to the stub"),
]


@dataclasses.dataclass
class PhaseClock:
    calls: int = 0
    wall: float = 0.0
    cpu: float = 0.0


def instrument(module_name: str, path: str, clock: PhaseClock) -> bool:
    import importlib

    try:
        owner: Any = importlib.import_module(module_name)
    except ModuleNotFoundError:  # another checkout (--base-tree, PYTHONPATH) without it
        return False
    *parents, name = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent, None)
    original = getattr(owner, name, None) if owner is not None else None
    if original is None:
        return False

    def timed(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return original(*args, **kwargs)
        finally:
            clock.calls += 1
            clock.wall += time.perf_counter() - wall
            clock.cpu += time.thread_time() - cpu

    setattr(owner, name, timed)
    return True


def profile_phases(count: int, environment: dict[str, str], questions: list[str], rng: random.Random) -> dict[str, Any]:
    """kmbot and the echo bot in this process, one request at a time, each step timed.

    The Flask test client stands in for gunicorn (whose share the load test's `app cpu`
    includes); the database and the LINE stub are the real ones. CPU is this thread's time,
    so waiting for PostgreSQL or the stub is wall time, not CPU.
    """
    os.environ.update(environment)
    sys.path.insert(0, str(BENCHMARKS))
    import echo_app
    from sqlalchemy import event

    from bot import create_app
    from bot.web.extensions import get_database

    clocks = {label: PhaseClock() for _, _, label in PHASES}
    for module_name, path, label in PHASES:
        if not instrument(module_name, path, clocks[label]):
            progress(f"  {module_name}.{path} not found; not timed")
    kmbot = create_app()
    statements: dict[str, int] = {}

    def count_statement(_connection: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        key = " ".join(statement.split())[:90]
        statements[key] = statements.get(key, 0) + 1

    event.listen(get_database(kmbot).engine, "before_cursor_execute", count_statement)
    echo = echo_app.create_app()
    reply_clock = PhaseClock()
    instrument("linebot.v3.messaging", "MessagingApi.reply_message", reply_clock)

    # How many requests ran how many statements (one question each: answered or not, 1:1 or group).
    per_request: dict[int, int] = {}

    def run(app: Any, webhooks: list[Webhook]) -> tuple[float, float]:
        client = app.test_client()
        wall, cpu = time.perf_counter(), time.thread_time()
        for webhook in webhooks:
            before = sum(statements.values())
            response = client.post(
                "/callback", data=webhook.body,
                headers={"Content-Type": "application/json", "X-Line-Signature": webhook.signature},
            )
            if response.status_code != 200:
                raise SystemExit(f"{app.name}: /callback answered {response.status_code}: {response.get_data(as_text=True)[:200]}")
            ran = sum(statements.values()) - before
            per_request[ran] = per_request.get(ran, 0) + 1
        return (time.perf_counter() - wall) / len(webhooks), (time.thread_time() - cpu) / len(webhooks)

    report: dict[str, Any] = {"requests": count}
    for name, app in (("echo", echo), ("kmbot", kmbot)):
        run(app, signed_webhooks(WARMUP_REQUESTS, questions, rng))  # the search index is built here
        for clock in (*clocks.values(), reply_clock):
            clock.calls, clock.wall, clock.cpu = 0, 0.0, 0.0
        statements.clear()
        per_request.clear()
        wall, cpu = run(app, signed_webhooks(count, questions, rng))
        report[name] = {"wall_ms": round(wall * 1000, 2), "cpu_ms": round(cpu * 1000, 2)}
        if name == "echo":
            report[name]["reply_call_cpu_ms"] = round(reply_clock.cpu * 1000 / count, 2)
    report["kmbot"]["phases"] = [
        {"phase": label, "calls": clock.calls, "wall_ms": round(clock.wall * 1000 / count, 2),
         "cpu_ms": round(clock.cpu * 1000 / count, 2)}
        for label, clock in clocks.items() if clock.calls
    ]
    timed_cpu = sum(clock.cpu for clock in clocks.values()) * 1000 / count
    report["kmbot"]["rest_cpu_ms"] = round(report["kmbot"]["cpu_ms"] - timed_cpu, 2)
    report["kmbot"]["sql_statements"] = round(sum(statements.values()) / count, 2)
    report["kmbot"]["statements"] = {key: round(value / count, 2) for key, value in sorted(statements.items(), key=lambda item: -item[1])}
    report["kmbot"]["requests_by_statements"] = dict(sorted(per_request.items()))
    get_database(kmbot).dispose()
    return report


def phases_table(report: dict[str, Any]) -> str:
    kmbot, echo = report["kmbot"], report["echo"]
    lines = [
        f"{report['requests']} webhooks one at a time in this process, after {WARMUP_REQUESTS} to warm up; "
        "ms per request (averaged over all requests, answered or not)",
        f"echo:  {echo['wall_ms']:.2f} ms wall, {echo['cpu_ms']:.2f} ms CPU (of which the reply call {echo['reply_call_cpu_ms']:.2f})",
        f"kmbot: {kmbot['wall_ms']:.2f} ms wall, {kmbot['cpu_ms']:.2f} ms CPU, {kmbot['sql_statements']:.2f} SQL statements",
        "",
        f"{'kmbot step':<44} {'calls':>6} {'wall ms':>8} {'CPU ms':>7} {'CPU %':>6}",
    ]
    for phase in kmbot["phases"]:
        share = phase["cpu_ms"] / kmbot["cpu_ms"] * 100 if kmbot["cpu_ms"] else 0.0
        lines.append(f"{phase['phase']:<44} {phase['calls']:>6} {phase['wall_ms']:>8.2f} {phase['cpu_ms']:>7.2f} {share:>5.0f}%")
    share = kmbot["rest_cpu_ms"] / kmbot["cpu_ms"] * 100 if kmbot["cpu_ms"] else 0.0
    lines.append(f"{'the rest (Flask, JSON, glue, ORM objects)':<44} {'':>6} {'':>8} {kmbot['rest_cpu_ms']:>7.2f} {share:>5.0f}%")
    lines += ["", "SQL statements per request:"]
    lines += [f"  {value:5.2f}  {key}" for key, value in kmbot["statements"].items()]
    lines += ["", "requests by the statements they ran: " + ", ".join(
        f"{statements} statements {requests}" for statements, requests in kmbot["requests_by_statements"].items())]
    return "\n".join(lines)


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL, help="server and database; a schema of its own is made in it")
    parser.add_argument("--requests", type=int, default=2000, help="requests per concurrency level (default 2000)")
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 10, 25, 50], help="concurrency levels")
    parser.add_argument("--settings", nargs="+", default=["2x4"], help="gunicorn WORKERSxTHREADS to try (default 2x4, the Procfile's)")
    parser.add_argument("--apps", nargs="+", choices=[*APPS, "base"], default=list(APPS))
    parser.add_argument(
        "--base-tree", type=Path,
        help="also serve kmbot from this checkout (e.g. `git worktree add /tmp/base <commit>`) as app 'base', "
             "to compare before and after in the same run",
    )
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per level at most (default 60)")
    parser.add_argument("--no-keep-alive", action="store_true", help="a new connection per request (LINE's delivery may not reuse them)")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--keep-logs", type=Path, help="copy the gunicorn logs into this folder")
    parser.add_argument(
        "--phases", type=int, metavar="N",
        help="instead of the load test: time each step of kmbot's webhook over N requests in this process",
    )
    args = parser.parse_args(argv)
    if args.base_tree is not None:
        APPS["base"] = ("bot:create_app()", args.base_tree.resolve())
        if "base" not in args.apps:
            args.apps.insert(args.apps.index("kmbot") if "kmbot" in args.apps else len(args.apps), "base")

    rng = random.Random(SEED)
    questions = staff_questions()
    settings = [Setting.parse(text) for text in args.settings]
    results: list[LevelResult] = []
    log_paths: list[Path] = []
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    progress(f"load average (1, 5, 15 min) before the run: {load_average_text(load_before)}")
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kmbot-load-")))
        stub_url = stack.enter_context(line_stub())
        progress(f"LINE stub at {stub_url}")
        database_url = stack.enter_context(empty_database(args.database, args.postgres_url, workdir, prefix="kmbot_bench"))
        environment = app_environment(database_url, stub_url)
        upgrade(environment)
        if args.phases:
            report = profile_phases(args.phases, environment, questions, rng)
            report.update(database=args.database, machine=machine())
            print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else f"database: {args.database}\n{phases_table(report)}")
            return 0
        for setting in settings:
            with ExitStack() as servers:
                # Both apps are up together and take turns at each level, so a change in what
                # else runs on the machine weighs on both alike. An idle gunicorn costs nothing.
                running: dict[str, Server] = {}
                for app in args.apps:
                    log_path = workdir / f"gunicorn-{app}-{setting}.log"
                    log_paths.append(log_path)
                    progress(f"{app}: gunicorn --workers {setting.workers} --threads {setting.threads} ({args.database})")
                    running[app] = servers.enter_context(gunicorn(app, setting, environment, log_path))
                    warm_up(running[app].url, setting, questions, rng)
                for level in args.levels:
                    for app, server in running.items():
                        webhooks = signed_webhooks(args.requests, questions, rng)
                        result = run_level(
                            app, setting, server, stub_url, level, webhooks, args.time_limit, not args.no_keep_alive
                        )
                        results.append(result)
                        progress(
                            f"  {app:<5} {setting} c={level:<3} {result.requests} requests, {result.errors} errors, "
                            f"{result.replies} replies ({result.missing_replies} unreplied, {result.duplicate_replies} extra), "
                            f"{result.throughput:.1f} req/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, "
                            f"app CPU {optional(result.app_cpu_ms)} ms/request"
                        )
        if args.keep_logs:
            args.keep_logs.mkdir(parents=True, exist_ok=True)
            for log_path in log_paths:
                (args.keep_logs / log_path.name).write_bytes(log_path.read_bytes())

    load_after = os.getloadavg() if hasattr(os, "getloadavg") else None
    host = machine()
    host["load_average_before"] = load_before
    host["load_average_after"] = load_after
    if args.json:
        print(json.dumps({
            "database": args.database, "requests_per_level": args.requests, "levels": args.levels,
            "keep_alive": not args.no_keep_alive,
            "settings": [str(setting) for setting in settings], "machine": host,
            "results": [dataclasses.asdict(result) for result in results], "ratios": ratios(results),
        }, ensure_ascii=False, indent=2))
    else:
        print(
            f"database: {args.database}; {args.requests} requests per level; "
            f"{'keep-alive' if not args.no_keep_alive else 'a new connection per request'}; "
            f"{host['cpus']} CPUs ({host['cpu']}), Python {host['python']}; load average before "
            f"{load_average_text(load_before)}, after {load_average_text(load_after)}"
        )
        print(table(results))
    failed = any(result.errors or result.missing_replies or result.duplicate_replies for result in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
