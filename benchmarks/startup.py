"""How long `kmbot` commands take to start, answer and exit; and `kmbot serve` until /healthz.

    python benchmarks/startup.py                               # this checkout, 5 runs each
    python benchmarks/startup.py --base-tree /tmp/base --runs 7  # and another checkout, interleaved
    python benchmarks/startup.py --only serve --runs 7         # the commands whose label has "serve"

Each command runs as `python -c "from bot.app import main; main()" ...` with PYTHONPATH at the
checkout (what the `kmbot` script runs, without a version manager's shim in front), against a
SQLite database made once with `kmbot db upgrade` (the starter pack) in a temporary folder. The
first run of each command is thrown away (a cold disk and the index file written); the others
give the median wall time and the median CPU time (user + system) of the process. With
--base-tree the two checkouts take turns, run by run, so the machine's load weighs on both
alike. `kmbot serve` is measured until /healthz answers as the benchmark's environment has it
(no admin password: no admin pages, no LINE credentials: local mode), with KMBOT_ADMIN_PASSWORD
set (the admin pages registered too), and with LINE credentials until a webhook posted as soon
as /healthz answers is answered too. The figures go to stdout (a table, or --json).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
COMMANDS = {
    "--help": ["--help"],
    "ask --json": ["ask", "KM คืออะไร", "--json"],
    "plan list --json": ["plan", "list", "--json"],
    "kb list --json": ["kb", "list", "--json"],
}
ADMIN_PASSWORD = "startup-benchmark-admin-password"


def run(tree: Path, arguments: list[str], environment: dict[str, str], cwd: Path) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "from bot.app import main; main()", *arguments], cwd=cwd,
                   env={**environment, "PYTHONPATH": str(tree)}, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def serve_until_healthy(tree: Path, environment: dict[str, str], cwd: Path, *, then_webhook: bool = False) -> tuple[float, float]:
    """From starting `kmbot serve` to /healthz answering 200 (or, with `then_webhook`, to the
    webhook posted as soon as /healthz answers being answered), the process then stopped."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", "from bot.app import main; main()", "serve", "--port", str(port)],
                               cwd=cwd, env={**environment, "PYTHONPATH": str(tree)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None:
                    raise SystemExit(f"kmbot serve exited with {process.returncode}")
                time.sleep(0.01)
        if then_webhook:
            post_verify_webhook(port)
        wall = time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(30)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


# `kmbot serve` with LINE credentials, for the webhook's figure; its LINE calls (the clock's) go
# to a closed local port and fail at once, and LINE's "verify" delivery (no events) needs none.
WEBHOOK_SECRET = "startup-benchmark-channel-secret"
WEBHOOK_ENVIRONMENT = {"LINE_CHANNEL_SECRET": WEBHOOK_SECRET, "LINE_CHANNEL_ACCESS_TOKEN": "startup-benchmark-token",
                       "LINE_API_BASE_URL": "http://127.0.0.1:9"}


def post_verify_webhook(port: int) -> None:
    body = json.dumps({"destination": "U0000000000000000000000000000b0t", "events": []}).encode()
    signature = base64.b64encode(hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).digest()).decode()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/callback", data=body, method="POST",
                                     headers={"Content-Type": "application/json", "X-Line-Signature": signature})
    with urllib.request.urlopen(request, timeout=60) as response:
        if response.status != 200:
            raise SystemExit(f"the first webhook was answered {response.status}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--base-tree", type=Path)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--only", metavar="TEXT", help="measure only the commands whose label contains TEXT")
    arguments = parser.parse_args()
    trees = {"this": REPOSITORY}
    if arguments.base_tree:
        trees = {"base": arguments.base_tree.resolve(), **trees}
    load_before = os.getloadavg()
    figures: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="kmbot-startup-") as folder:
        workdir = Path(folder)
        base_environment = {**os.environ, "PYTHAINLP_OFFLINE": "1"}
        for name in ("LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "LINE_API_BASE_URL", "KMBOT_LOG_LEVEL",
                     "KMBOT_ADMIN_PASSWORD"):
            base_environment.pop(name, None)
        # Each checkout its own database (at its own migrations) and index folder.
        environments = {
            tree: {**base_environment, "KMBOT_INDEX_CACHE": str(workdir / f"index-{name}"),
                   "DATABASE_URL": f"sqlite:///{workdir}/kmbot-{name}.db"}
            for name, tree in trees.items()
        }
        for tree, environment in environments.items():
            run(tree, ["db", "upgrade"], environment, workdir)
        measures = {**{label: (lambda tree, args=args: run(tree, args, environments[tree], workdir)) for label, args in COMMANDS.items()},
                    "serve until /healthz": lambda tree: serve_until_healthy(tree, environments[tree], workdir),
                    "serve, admin on": lambda tree: serve_until_healthy(
                        tree, {**environments[tree], "KMBOT_ADMIN_PASSWORD": ADMIN_PASSWORD}, workdir),
                    "serve until a webhook": lambda tree: serve_until_healthy(
                        tree, {**environments[tree], **WEBHOOK_ENVIRONMENT}, workdir, then_webhook=True)}
        if arguments.only:
            measures = {label: measure for label, measure in measures.items() if arguments.only in label}
        for label, measure in measures.items():
            samples: dict[str, list[tuple[float, float]]] = {tree: [] for tree in trees}
            for attempt in range(arguments.runs + 1):
                for tree_name, tree in trees.items():
                    sample = measure(tree)
                    if attempt:  # the first run warms the disk and writes the index file
                        samples[tree_name].append(sample)
            figures[label] = {
                tree_name: {"wall_s": round(statistics.median(wall for wall, _ in values), 3),
                            "cpu_s": round(statistics.median(cpu for _, cpu in values), 3)}
                for tree_name, values in samples.items()
            }
    report: dict[str, Any] = {"runs": arguments.runs, "load_average_before": load_before,
                              "load_average_after": os.getloadavg(), "figures": figures}
    if arguments.json:
        print(json.dumps(report, indent=2))
        return
    print(f"medians of {arguments.runs} runs; load average before {' '.join(f'{v:.2f}' for v in load_before)}, "
          f"after {' '.join(f'{v:.2f}' for v in report['load_average_after'])}")
    header = f"{'command':<22}" + "".join(f"{name + ' wall s':>14}{name + ' cpu s':>13}" for name in trees)
    print(header)
    for label, by_tree in figures.items():
        print(f"{label:<22}" + "".join(f"{by_tree[name]['wall_s']:>14.3f}{by_tree[name]['cpu_s']:>13.3f}" for name in trees))


if __name__ == "__main__":
    main()
