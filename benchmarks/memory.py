"""Memory of the Procfile's `web` (gunicorn master and workers) as PSS, with and without preloading.

    python benchmarks/memory.py                          # this checkout, SQLite, 2 workers x 4 threads
    python benchmarks/memory.py --base-tree /tmp/base    # and another checkout, the same way

PSS (proportional set size, from /proc/<pid>/smaps_rollup) counts a page shared by n processes
as 1/n in each, so the sum over the master and its workers is what the set really takes. Each
server gets a SQLite database made by `kmbot db upgrade` (the starter pack), answers 40
questions so that every worker has its index, and is measured; then it is stopped. This
checkout runs as the Procfile runs it (`--config gunicorn.conf.py`, which preloads) and, for
comparison, without the config file; a --base-tree checkout runs with its own Procfile flags.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
SECRET = "bench-channel-secret-0123456789ab"


def pss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def webhook(text: str, user: int) -> tuple[bytes, str]:
    body = json.dumps({"destination": "U" + "0" * 32, "events": [{
        "type": "message", "mode": "active", "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": f"U{user:032d}"}, "webhookEventId": uuid.uuid4().hex[:26].upper(),
        "deliveryContext": {"isRedelivery": False}, "replyToken": uuid.uuid4().hex,
        "message": {"id": str(user), "type": "text", "quoteToken": "q" * 20, "text": text},
    }]}).encode()
    return body, base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()


def measure(tree: Path, config: bool, workdir: Path, label: str) -> dict[str, Any]:
    environment = {**os.environ, "PYTHONPATH": str(tree), "PYTHAINLP_OFFLINE": "1",
                   "DATABASE_URL": f"sqlite:///{workdir}/{label}.db", "KMBOT_INDEX_CACHE": str(workdir / f"index-{label}"),
                   "LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": "bench-token",
                   "LINE_API_BASE_URL": "http://127.0.0.1:9", "KMBOT_QUESTION_RATE": "off"}
    subprocess.run([sys.executable, "-c", "from bot.app import main; main()", "db", "upgrade"], cwd=workdir,
                   env=environment, check=True, stdout=subprocess.DEVNULL)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "gunicorn", "--workers", "2", "--threads", "4", "--bind", f"127.0.0.1:{port}"]
    if config:
        command += ["--config", str(tree / "gunicorn.conf.py")]
    command += ["--chdir", str(tree), "bot:create_app()"]
    process = subprocess.Popen(command, cwd=workdir, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                time.sleep(0.2)
        for number in range(40):
            body, signature = webhook("KM คืออะไร", number)
            request = urllib.request.Request(f"http://127.0.0.1:{port}/callback", data=body, method="POST",
                                             headers={"Content-Type": "application/json", "X-Line-Signature": signature})
            try:
                urllib.request.urlopen(request, timeout=30).read()
            except OSError:
                pass  # the reply goes nowhere (no LINE here); the question was answered all the same
        time.sleep(1)
        workers = children(process.pid)
        return {"master_mb": round(pss_kb(process.pid) / 1024, 1),
                "workers_mb": [round(pss_kb(pid) / 1024, 1) for pid in workers],
                "total_mb": round((pss_kb(process.pid) + sum(pss_kb(pid) for pid in workers)) / 1024, 1)}
    finally:
        process.terminate()
        process.wait(30)


def clock_pss(tree: Path, workdir: Path, label: str) -> float:
    """The Procfile's `clock` (`kmbot scheduler run`) once it has started and ticked."""
    environment = {**os.environ, "PYTHONPATH": str(tree), "PYTHAINLP_OFFLINE": "1",
                   "DATABASE_URL": f"sqlite:///{workdir}/{label}.db",
                   "LINE_CHANNEL_SECRET": SECRET, "LINE_CHANNEL_ACCESS_TOKEN": "bench-token",
                   "LINE_API_BASE_URL": "http://127.0.0.1:9"}
    process = subprocess.Popen([sys.executable, "-c", "from bot.app import main; main()", "scheduler", "run"], cwd=workdir,
                               env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(15)
        return round(pss_kb(process.pid) / 1024, 1)
    finally:
        process.terminate()
        process.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-tree", type=Path)
    arguments = parser.parse_args()
    runs = [("this, Procfile (preload)", REPOSITORY, True), ("this, without gunicorn.conf.py", REPOSITORY, False)]
    if arguments.base_tree:
        runs.append(("base, its Procfile", arguments.base_tree.resolve(), False))
    with tempfile.TemporaryDirectory(prefix="kmbot-memory-") as folder:
        for number, (label, tree, config) in enumerate(runs):
            figures = measure(tree, config, Path(folder), f"run{number}")
            clock = clock_pss(tree, Path(folder), f"run{number}")
            print(f"{label:<34} PSS master {figures['master_mb']:>6.1f} MB, workers "
                  f"{', '.join(f'{value:.1f}' for value in figures['workers_mb'])} MB, web {figures['total_mb']:.1f} MB; "
                  f"clock {clock:.1f} MB; Procfile set {figures['total_mb'] + clock:.1f} MB")


if __name__ == "__main__":
    main()
