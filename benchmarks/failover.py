"""Kill the active reminder clock and measure how long the standby takes to carry on.

    python benchmarks/failover.py                         # SQLite, production lease (40 s), 3 rounds
    python benchmarks/failover.py --database postgres     # PostgreSQL at 127.0.0.1:5432/test
    python benchmarks/failover.py --rounds 5 --seed 7 --json

Each round, all on 127.0.0.1 and without any outside network:

1. starts a LINE stub in this process: it accepts each `X-Line-Retry-Key` once and answers
   409 to a repeat, as LINE does, and counts every push per retry key and per group;
2. makes an empty database: a SQLite file in a temporary folder, or on PostgreSQL a schema
   of its own in `--postgres-url` (selected with `?options=-csearch_path%3D<schema>`, dropped
   at the end of the round); migrates it and adds a plan activity whose reminders are due now
   and one committee group;
3. starts clock A (`kmbot scheduler run`), waits until it holds the lease and its pushes are
   recorded as sent, then starts clock B after a random delay of up to one renewal interval
   (so B's renewals fall at a random point of A's cycle) and waits until B runs as a standby;
4. after another random delay of up to one renewal interval, kills A with SIGKILL (no clean
   shutdown: its lease stays in the database until it lapses), adds a second committee group
   and waits until B has pushed that group's reminders;
5. waits past B's next scheduled tick, then checks what was delivered: every retry key
   pushed exactly once, exactly the keys of the delivery rows marked sent, as many pushes to
   each group as reminders were due, every row `sent` after one attempt, the lease now held
   by B, and B still running.

Takeover is the time from the kill to the stub receiving B's first push. By design it is the
lease time the killed clock had left (up to the lease, 40 s) plus the wait for the standby's
next attempt (up to one renewal interval, 10 s): at most 50 s. The table shows both parts.

Progress goes to stderr; the table and summary (or, with --json, one JSON object) to stdout.
The exit status is 1 when a reminder was delivered twice, a check failed, a round timed out
or a takeover took longer than --limit-seconds (60).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Sequence

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from bench_database import empty_database  # noqa: E402 - beside this script

from scheduler.lease import LEASE_DURATION  # noqa: E402 - after the path is set

DEFAULT_POSTGRES_URL = os.environ.get(
    "KMBOT_BENCH_POSTGRES_URL",
    os.environ.get("KMBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
)
SECRET = "benchmark-channel-secret"
TOKEN = "benchmark-access-token"
# Wide enough that the seeded activity's past reminders are all still due, whatever the hour.
GRACE_HOURS = 240
FIRST_GROUP = "C0000000000000000000000benchmark1"
SECOND_GROUP = "C0000000000000000000000benchmark2"
STARTUP_DEADLINE = 60.0


def progress(message: str) -> None:
    print(f"failover: {message}", file=sys.stderr, flush=True)


class CheckFailed(Exception):
    """A round whose deliveries or lease are not what exactly-once failover promises."""


# --- LINE stub ------------------------------------------------------------------------------


class LineStub:
    """Just enough of the Messaging API: pushes (retry keys honoured) and member counts."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.first_accepted: dict[str, float] = {}  # retry key -> monotonic time of the 200
        self.requests_per_key: Counter[str] = Counter()  # every push request, 409s included
        self.accepted_per_group: Counter[str] = Counter()
        self.requests_without_key = 0
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, name="line-stub", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def app(self, environ, start_response):  # type: ignore[no-untyped-def]
        request = Request(environ)
        if request.path == "/v2/bot/message/push":
            key = request.headers.get("X-Line-Retry-Key", "")
            try:
                to = str(json.loads(request.get_data())["to"])
            except (ValueError, KeyError, TypeError):
                to = "?"
            with self.lock:
                self.requests_per_key[key] += 1
                if not key:
                    self.requests_without_key += 1
                if key and key in self.first_accepted:
                    response = Response('{"message": "The retry key is already accepted"}', status=409)
                else:
                    if key:
                        self.first_accepted[key] = time.monotonic()
                    self.accepted_per_group[to] += 1
                    response = Response('{"sentMessages": [{"id": "1", "quoteToken": "q"}]}')
        elif request.path.endswith("/members/count"):
            response = Response('{"count": 5}')
        else:
            response = Response("{}")
        response.content_type = "application/json"
        response.headers["x-line-request-id"] = "benchmark"
        return response(environ, start_response)

    def accepted(self) -> set[str]:
        with self.lock:
            return set(self.first_accepted)

    def pushes(self) -> int:
        with self.lock:
            return sum(self.requests_per_key.values())

    def duplicates(self) -> int:
        """Push requests beyond the first for a retry key: each one a second delivery LINE refused."""
        with self.lock:
            return sum(count - 1 for count in self.requests_per_key.values() if count > 1)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- databases and clocks ---------------------------------------------------------------------


@dataclass
class Clock:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_clock(name: str, environment: dict[str, str], workdir: Path) -> Clock:
    log_path = workdir / f"clock-{name}.log"
    with log_path.open("wb") as log_file:
        # The working directory is the round's own folder, so no developer .env is read.
        process = subprocess.Popen(
            [sys.executable, "-c", "from bot.app import main; main()", "scheduler", "run"],
            cwd=workdir, env=environment, stdout=log_file, stderr=subprocess.STDOUT,
        )
    return Clock(name, process, log_path)


def wait_for(condition: Callable[[], bool], deadline_seconds: float, what: str, clocks: Sequence[Clock] = ()) -> None:
    started = time.monotonic()
    while not condition():
        for clock in clocks:
            if clock.process.poll() is not None and clock.process.returncode != -signal.SIGKILL:
                raise CheckFailed(f"clock {clock.name} exited with {clock.process.returncode} while waiting until {what}:\n"
                                  + clock.log()[-2000:])
        if time.monotonic() - started > deadline_seconds:
            raise CheckFailed(f"not within {deadline_seconds:.0f} s: {what}")
        time.sleep(0.02)


# --- one round --------------------------------------------------------------------------------


@dataclass
class RoundResult:
    round: int
    takeover_seconds: float | None = None
    lease_left_at_kill_seconds: float | None = None
    standby_wait_seconds: float | None = None
    start_offset_seconds: float = 0.0
    kill_delay_seconds: float = 0.0
    reminders_due: int = 0
    pushes: int = 0
    duplicates: int = 0
    problems: list[str] = field(default_factory=list)


def one_round(number: int, kind: str, postgres_url: str, lease_seconds: float, rng: random.Random,
              keep_logs: Path | None) -> RoundResult:
    from sqlalchemy import select

    from bot import create_app
    from bot.core.calendar import fiscal_year_of, now
    from bot.core.migrate import upgrade_database
    from bot.core.people import ensure_group
    from bot.web.extensions import get_database
    from kb.tables import Activity, Plan
    from scheduler.lease import lease_status
    from scheduler.reminders import ReminderPolicy, preview_reminders, retry_key_for
    from scheduler.tables import Delivery

    renew_seconds = lease_seconds / 4  # as scheduler.lease.lease_timing
    result = RoundResult(round=number, start_offset_seconds=round(rng.uniform(0, renew_seconds), 2),
                         kill_delay_seconds=round(rng.uniform(0, renew_seconds), 2))
    stub = LineStub()
    stub.start()
    with tempfile.TemporaryDirectory(prefix="kmbot-failover-") as directory, \
            empty_database(kind, postgres_url, Path(directory), prefix="kmbot_failover") as database_url:
        workdir = Path(directory)
        app = create_app({"database_url": database_url})
        database = get_database(app)
        clocks: list[Clock] = []

        def holder_pid() -> int | None:
            status = lease_status(database)
            return int(status["holder"].split(":")[1]) if status and status["holder"] else None

        def rows() -> list[tuple[str, str, str, int]]:
            with database.session() as session:
                return [(row.delivery_key, row.recipient, row.state, row.attempts)
                        for row in session.scalars(select(Delivery).where(Delivery.purpose == "reminder"))]

        def sent_to(group: str) -> int:
            return sum(1 for _, recipient, state, _ in rows() if recipient == group and state == "sent")

        def add_committee_group(line_group_id: str) -> None:
            with database.session() as session:
                ensure_group(session, line_group_id, "group", now() - timedelta(days=30)).role = "committee"

        try:
            upgrade_database(database)
            today = now().date()
            with database.session() as session:
                plan = Plan(fiscal_year=fiscal_year_of(today), number=1, knowledge_topic="failover benchmark")
                plan.activities.append(Activity(position=1, number=1, step="KMP1", name="failover benchmark",
                                                start=today - timedelta(days=9), deadline=today - timedelta(days=2)))
                session.add(plan)
            add_committee_group(FIRST_GROUP)
            with database.session() as session:
                moment = now()
                due = {p.key for p in preview_reminders(session, ReminderPolicy(grace=timedelta(hours=GRACE_HOURS)), moment)
                       if p.state == "pending" and p.at <= moment}
            if not due:
                raise CheckFailed("the seeded activity has no reminder due now")
            result.reminders_due = len(due)
            first_keys = {retry_key_for(key, FIRST_GROUP) for key in due}
            second_keys = {retry_key_for(key, SECOND_GROUP) for key in due}

            environment = {key: value for key, value in os.environ.items() if not key.startswith(("KMBOT_", "LINE_"))}
            environment.update(
                DATABASE_URL=database_url, LINE_CHANNEL_SECRET=SECRET, LINE_CHANNEL_ACCESS_TOKEN=TOKEN,
                LINE_API_BASE_URL=stub.url, KMBOT_LEASE_SECONDS=f"{lease_seconds:g}",
                KMBOT_REMINDER_GRACE_HOURS=str(GRACE_HOURS), KMBOT_LOG_LEVEL="INFO", PYTHAINLP_OFFLINE="1",
                PYTHONUNBUFFERED="1", PYTHONPATH=os.pathsep.join(filter(None, [str(REPOSITORY), os.environ.get("PYTHONPATH")])),
            )

            active = start_clock("a", environment, workdir)
            clocks.append(active)
            wait_for(lambda: holder_pid() == active.pid, STARTUP_DEADLINE, "clock A holds the lease", clocks)
            wait_for(lambda: sent_to(FIRST_GROUP) == len(due), STARTUP_DEADLINE,
                     "clock A's pushes are recorded as sent", clocks)
            progress(f"round {number}: clock A (pid {active.pid}) holds the lease and pushed {len(due)} reminders; "
                     f"clock B starts in {result.start_offset_seconds:.1f} s")
            time.sleep(result.start_offset_seconds)
            standby = start_clock("b", environment, workdir)
            clocks.append(standby)
            wait_for(lambda: "reminder clock started" in standby.log(), STARTUP_DEADLINE, "clock B runs", clocks)
            if holder_pid() != active.pid or stub.accepted() != first_keys:
                raise CheckFailed("clock B sent or took the lease while clock A was alive")
            progress(f"round {number}: clock B (pid {standby.pid}) is the standby; "
                     f"killing clock A in {result.kill_delay_seconds:.1f} s")
            time.sleep(result.kill_delay_seconds)

            active.process.send_signal(signal.SIGKILL)
            active.process.wait()
            killed_at = time.monotonic()
            killed_at_wall = now()
            lease = lease_status(database)
            assert lease is not None
            lease_left = (datetime.fromisoformat(lease["expires_at"]) - killed_at_wall).total_seconds()
            result.lease_left_at_kill_seconds = round(max(lease_left, 0.0), 2)
            add_committee_group(SECOND_GROUP)
            progress(f"round {number}: killed clock A with SIGKILL ({lease_left:.1f} s of its lease left); "
                     "waiting for clock B to push the new group's reminders")
            wait_for(lambda: second_keys <= stub.accepted(), lease_seconds + renew_seconds + 60,
                     "clock B took over and pushed", clocks)
            with stub.lock:
                takeover = min(stub.first_accepted[key] for key in second_keys) - killed_at
            result.takeover_seconds = round(takeover, 2)
            result.standby_wait_seconds = round(takeover - result.lease_left_at_kill_seconds, 2)
            wait_for(lambda: sent_to(SECOND_GROUP) == len(due), STARTUP_DEADLINE,
                     "clock B's pushes are recorded as sent", clocks)
            # Past B's next renewal and its next scheduled tick (at second 0 of every minute):
            # anything it would send twice would show up by then.
            time.sleep(max(renew_seconds, 61 - datetime.now().second) if lease_seconds >= 15 else renew_seconds + 1)

            result.pushes = stub.pushes()
            result.duplicates = stub.duplicates()
            result.problems = verify(stub, rows(), due, holder_pid(), standby, retry_key_for)
            progress(f"round {number}: takeover {result.takeover_seconds:.2f} s, {result.pushes} pushes, "
                     f"{result.duplicates} duplicates" + (f", problems: {'; '.join(result.problems)}" if result.problems else ""))
        except CheckFailed as problem:
            result.problems.append(str(problem))
            result.pushes, result.duplicates = stub.pushes(), stub.duplicates()
            progress(f"round {number}: FAILED: {problem}")
        finally:
            for clock in clocks:
                clock.stop()
            database.dispose()
            stub.stop()
            if keep_logs is not None:
                keep_logs.mkdir(parents=True, exist_ok=True)
                for clock in clocks:
                    (keep_logs / f"round{number}-clock-{clock.name}.log").write_text(clock.log(), encoding="utf-8")
    return result


def verify(stub: LineStub, delivery_rows: list[tuple[str, str, str, int]], due: set[str], holder: int | None,
           standby: Clock, retry_key_for: Callable[[str, str], str]) -> list[str]:
    """What exactly-once failover promises, checked against the stub and the database."""
    problems = []
    with stub.lock:
        requests_per_key = dict(stub.requests_per_key)
        accepted = set(stub.first_accepted)
        per_group = dict(stub.accepted_per_group)
        without_key = stub.requests_without_key
    repeated = {key: count for key, count in requests_per_key.items() if count > 1}
    if repeated:
        problems.append(f"{len(repeated)} retry keys pushed more than once")
    if without_key:
        problems.append(f"{without_key} pushes without a retry key")
    expected_rows = {(key, group) for key in due for group in (FIRST_GROUP, SECOND_GROUP)}
    sent_rows = {(key, recipient) for key, recipient, state, _ in delivery_rows if state == "sent"}
    if not expected_rows <= sent_rows:
        problems.append(f"{len(expected_rows - sent_rows)} due (reminder, group) pairs not recorded sent")
    if len(delivery_rows) != len({(key, recipient) for key, recipient, _, _ in delivery_rows}):
        problems.append("two delivery rows for one (reminder, group)")
    retried = [row for row in delivery_rows if row[3] != 1]
    if retried:
        problems.append(f"{len(retried)} delivery rows needed more than one attempt")
    if {retry_key_for(key, recipient) for key, recipient in sent_rows} != accepted:
        problems.append("the retry keys LINE accepted differ from the delivery rows marked sent")
    if per_group != {FIRST_GROUP: len(due), SECOND_GROUP: len(due)}:
        problems.append(f"pushes per group {per_group}, expected {len(due)} to each")
    if holder != standby.pid:
        problems.append(f"the lease is held by pid {holder}, not by the standby ({standby.pid})")
    if standby.process.poll() is not None:
        problems.append(f"the standby exited with {standby.process.returncode}")
    if " sent," not in standby.log():
        problems.append("the standby logged no tick that sent reminders")
    return problems


# --- report -----------------------------------------------------------------------------------


def print_table(results: list[RoundResult], summary: dict[str, Any]) -> None:
    print(f"clock failover on {summary['database']}: lease {summary['lease_seconds']:g} s, renewed every "
          f"{summary['renew_seconds']:g} s; {summary['reminders_due']} reminders due per committee group")
    header = f"{'round':>5}  {'takeover s':>10}  {'lease left s':>12}  {'standby wait s':>14}  {'pushes':>6}  {'duplicates':>10}  result"
    print(header)
    print("-" * len(header))
    for result in results:
        def seconds(value: float | None) -> str:
            return "-" if value is None else f"{value:.2f}"
        outcome = "ok" if not result.problems and result.takeover_seconds is not None \
            and result.takeover_seconds <= summary["limit_seconds"] else "FAIL"
        print(f"{result.round:>5}  {seconds(result.takeover_seconds):>10}  {seconds(result.lease_left_at_kill_seconds):>12}  "
              f"{seconds(result.standby_wait_seconds):>14}  {result.pushes:>6}  {result.duplicates:>10}  {outcome}")
        for problem in result.problems:
            print(f"       {problem}")
        if result.takeover_seconds is not None and result.takeover_seconds > summary["limit_seconds"]:
            print(f"       takeover over the {summary['limit_seconds']:g} s limit")
    if summary["takeover_seconds_max"] is not None:
        print(f"takeover: median {summary['takeover_seconds_median']:.2f} s, max {summary['takeover_seconds_max']:.2f} s "
              f"(limit {summary['limit_seconds']:g} s; by design at most lease + renewal = "
              f"{summary['lease_seconds'] + summary['renew_seconds']:g} s)")
    print(f"duplicate deliveries: {summary['duplicates']}; result: {'PASS' if summary['passed'] else 'FAIL'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="Takeover is measured from the SIGKILL to the standby's first push.")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL,
                        help="PostgreSQL server for --database postgres; each round uses a schema of its own in it")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lease-seconds", type=float, default=LEASE_DURATION.total_seconds(),
                        help="KMBOT_LEASE_SECONDS for both clocks (default: the production lease, 40 s)")
    parser.add_argument("--limit-seconds", type=float, default=60.0, help="longest acceptable takeover (default: 60)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the random start and kill delays")
    parser.add_argument("--keep-logs", type=Path, default=None, help="copy the clocks' logs into this folder")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    arguments = parser.parse_args()
    if arguments.rounds < 1:
        parser.error("--rounds must be at least 1")
    if arguments.lease_seconds < 1.5:
        parser.error("--lease-seconds must be at least 1.5")
    os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
    # Warnings only from this process (the app it builds to seed the database would log at
    # INFO); one access-log line per stub request would bury the progress lines.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    seed = arguments.seed if arguments.seed is not None else random.SystemRandom().randrange(1_000_000)
    rng = random.Random(seed)
    progress(f"{arguments.rounds} rounds on {arguments.database}, lease {arguments.lease_seconds:g} s, seed {seed}")

    from sqlalchemy.exc import OperationalError

    try:
        results = [one_round(number, arguments.database, arguments.postgres_url, arguments.lease_seconds, rng,
                             arguments.keep_logs)
                   for number in range(1, arguments.rounds + 1)]
    except OperationalError as error:
        raise SystemExit(f"failover: the database did not answer ({error.orig or error}); "
                         "is PostgreSQL running at --postgres-url?") from None

    takeovers = [result.takeover_seconds for result in results if result.takeover_seconds is not None]
    duplicates = sum(result.duplicates for result in results)
    passed = (duplicates == 0 and len(takeovers) == len(results) and max(takeovers) <= arguments.limit_seconds
              and not any(result.problems for result in results))
    summary: dict[str, Any] = {
        "database": "PostgreSQL" if arguments.database == "postgres" else "SQLite",
        "lease_seconds": arguments.lease_seconds,
        "renew_seconds": round(arguments.lease_seconds / 4, 2),
        "limit_seconds": arguments.limit_seconds,
        "rounds": len(results),
        "seed": seed,
        "reminders_due": max((result.reminders_due for result in results), default=0),
        "takeover_seconds_median": round(statistics.median(takeovers), 2) if takeovers else None,
        "takeover_seconds_max": round(max(takeovers), 2) if takeovers else None,
        "takeover_seconds_min": round(min(takeovers), 2) if takeovers else None,
        "duplicates": duplicates,
        "passed": passed,
        "python": platform.python_version(),
    }
    if arguments.json:
        print(json.dumps({**summary, "results": [asdict(result) for result in results]}, indent=2))
    else:
        print_table(results, summary)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
