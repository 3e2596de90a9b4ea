"""Search speed at store sizes from 100 to 100,000 passages.

    python benchmarks/search_speed.py                      # all sizes, readable table
    python benchmarks/search_speed.py --sizes 100 10000    # chosen sizes
    python benchmarks/search_speed.py --json               # one JSON object
    python benchmarks/search_speed.py --service --sizes 1000 10000   # through the database

Each store is synthetic but realistic Thai: passages are made by recombining sentences of
the starter pack (kb/starter/*.md) and of the sample plan (shared/seeds/...) with a fixed
random seed, with titles, headings, aliases and sample questions taken from the same pool.
For each size the script builds a SearchIndex, then asks a few hundred questions (the
evaluation questions, the starter pack's sample questions and recombined phrases) and
reports build time, p50/p99 latency of `SearchIndex.search`, and the resident memory of
the process (peak RSS from resource.getrusage, so sizes are run smallest first). Progress
goes to stderr.

Two build times: `build s` is a cold build (a fresh process, or the first question after a
start), with a `TokenCache` as the search service uses one; `rebuild s` is the build that
follows an edit of one passage with that cache warm, which is what a question pays after
someone publishes or edits an article.

`--service` measures the same stores the way the bot meets them: saved in a temporary
SQLite database, read by `KnowledgeSearch` (kb/search_service.py). It reports the time to
read the passages from the database, the first answer of a process with no index file
(cold: a build, then the file is written), the wall time of a new process that finds the file
until its first answer (interpreter, imports, the index file, the segmenter's dictionary), and,
after each of `--edits` edits of one passage, how long the background rebuild took and how long
the questions asked meanwhile (one after another, in this thread, answered by the old index)
waited: median, 99th percentile, the longest, and how many waited more than 50 ms. The machine's
load average at the end is printed beside them: on a shared machine a busy neighbour shows in the
longest waits. `--tree DIR` measures another checkout's code with the same stores.

    python benchmarks/search_speed.py --service --sizes 10000 100000 --edits 3
    python benchmarks/search_speed.py --service --sizes 10000 100000 --edits 3 --tree /tmp/before
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import random
import re
import resource
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")

REPOSITORY = Path(__file__).resolve().parents[1]
# The code measured: this checkout, or another one (--tree, e.g. the commit before a change), read
# before anything of kb is imported; the stores and questions always come from this checkout.
CODE_TREE = Path(sys.argv[sys.argv.index("--tree") + 1]).resolve() if "--tree" in sys.argv[:-1] else REPOSITORY
sys.path.insert(0, str(CODE_TREE))

from kb.search import IndexEntry, SearchIndex, TokenCache  # noqa: E402

DEFAULT_SIZES = (100, 1_000, 10_000, 100_000)
SEED = 2567
QUERY_COUNT = 300
SEED_PLAN = REPOSITORY.parent / "shared" / "seeds" / "000_7109b574315d70a7.txt"


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _sentences(text: str) -> list[str]:
    # Thai has no sentence mark; lines and spaced clauses are the natural pieces.
    pieces = re.split(r"\n+|(?<=[ๆ\u0e00-\u0e7f]) {1,}(?=[\u0e00-\u0e7f])", text)
    return [piece.strip(" -*#|\t") for piece in pieces if len(piece.strip()) >= 12]


def _corpus() -> tuple[list[str], list[str], list[str]]:
    """Sentences, headings and sample questions to recombine."""
    import yaml

    sentences: list[str] = []
    headings: list[str] = []
    questions: list[str] = []
    for path in sorted((REPOSITORY / "kb" / "starter").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        body = text
        if text.startswith("---"):
            _, front, body = text.split("---", 2)
            meta = yaml.safe_load(front) or {}
            questions.extend(str(question) for question in meta.get("questions") or [])
            headings.append(str(meta.get("title", "")))
        headings.extend(line.lstrip("# ").strip() for line in body.splitlines() if line.startswith("#"))
        sentences.extend(_sentences(re.sub(r"^#.*$", "", body, flags=re.MULTILINE)))
    if SEED_PLAN.is_file():
        sentences.extend(_sentences(SEED_PLAN.read_text(encoding="utf-8")))
    if not sentences:
        raise SystemExit("no text to build passages from: kb/starter/*.md is missing")
    return sentences, [heading for heading in headings if heading] or ["หัวข้อ"], questions or ["KM คืออะไร"]


def synthetic_entries(size: int, rng: random.Random, sentences: list[str], headings: list[str], questions: list[str]) -> list[IndexEntry]:
    entries: list[IndexEntry] = []
    article_id = 0
    while len(entries) < size:
        article_id += 1
        title = rng.choice(headings)
        aliases = tuple(rng.sample(headings, k=min(2, len(headings))))
        sample_questions = tuple(rng.sample(questions, k=min(3, len(questions))))
        tags = tuple(word for word in title.split()[:3])
        for _ in range(rng.randint(3, 12)):
            if len(entries) >= size:
                break
            text = " ".join(rng.choice(sentences) for _ in range(rng.randint(2, 6)))
            entries.append(
                IndexEntry(
                    passage_id=len(entries) + 1,
                    article_id=article_id,
                    article_key=f"article-{article_id}",
                    title=title,
                    heading_path=(title, rng.choice(headings)),
                    text=text,
                    aliases=aliases,
                    sample_questions=sample_questions,
                    tags=tags,
                )
            )
    return entries


def realistic_queries(rng: random.Random, sentences: list[str], questions: list[str]) -> list[str]:
    queries: list[str] = []
    evaluation = REPOSITORY / "tests" / "eval" / "questions.yaml"
    if evaluation.is_file():
        import yaml

        data = yaml.safe_load(evaluation.read_text(encoding="utf-8")) or {}
        queries.extend(str(item["q"]) for item in data.get("questions") or [])
        queries.extend(str(item) for item in data.get("out_of_domain") or [])
    queries.extend(questions)
    while len(queries) < QUERY_COUNT:
        words = rng.choice(sentences).split()
        start = rng.randrange(len(words))
        queries.append(" ".join(words[start : start + rng.randint(1, 4)]) + rng.choice(["", " คืออะไร", " ทำยังไงครับ"]))
    rng.shuffle(queries)
    return queries[:QUERY_COUNT]


def resident_megabytes() -> float:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def measure(size: int, sentences: list[str], headings: list[str], questions: list[str]) -> dict[str, float]:
    rng = random.Random(SEED + size)
    _progress(f"[{size:>7} passages] generating")
    entries = synthetic_entries(size, rng, sentences, headings, questions)
    queries = realistic_queries(rng, sentences, questions)
    gc.collect()
    _progress(f"[{size:>7} passages] building the index")
    cache = TokenCache()
    started = time.perf_counter()
    index = SearchIndex.build(entries, token_cache=cache)
    build_seconds = time.perf_counter() - started
    _progress(f"[{size:>7} passages] rebuilding after an edit of one passage")
    edited = list(entries)
    position = rng.randrange(len(edited))
    edited[position] = dataclasses.replace(edited[position], text=edited[position].text + " " + rng.choice(sentences))
    started = time.perf_counter()
    index = SearchIndex.build(edited, token_cache=cache)
    rebuild_seconds = time.perf_counter() - started
    index.search("KM คืออะไร")  # first call loads nothing new, but keep it out of the timings
    _progress(f"[{size:>7} passages] asking {len(queries)} questions")
    latencies = []
    for query in queries:
        started = time.perf_counter()
        index.search(query, limit=5)
        latencies.append((time.perf_counter() - started) * 1000)
    latencies.sort()
    return {
        "passages": size,
        "build_seconds": round(build_seconds, 3),
        "rebuild_seconds": round(rebuild_seconds, 3),
        "queries": len(latencies),
        "p50_ms": round(statistics.median(latencies), 3),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 3),
        "max_ms": round(latencies[-1], 3),
        "peak_rss_mb": round(resident_megabytes(), 1),
    }


def measure_service(size: int, sentences: list[str], headings: list[str], questions: list[str], edits: int = 1) -> dict[str, float]:
    import tempfile

    from sqlalchemy import select

    from bot.core.database import Database
    from bot.core.migrate import upgrade_database
    from kb.search_service import IndexFiles, KnowledgeSearch, published_entries
    from kb.store import bump_revision
    from kb.tables import Passage

    rng = random.Random(SEED + size)
    _progress(f"[{size:>7} passages] saving a synthetic store in SQLite")
    entries = synthetic_entries(size, rng, sentences, headings, questions)
    with tempfile.TemporaryDirectory() as directory:
        database = Database(f"sqlite:///{Path(directory) / 'benchmark.db'}")
        upgrade_database(database)
        save_store(database, entries)
        files = IndexFiles(Path(directory) / "index")
        search = KnowledgeSearch(files=files, inline=False)
        with database.session() as session:
            started = time.perf_counter()
            published_entries(session)
            load_seconds = time.perf_counter() - started
        _progress(f"[{size:>7} passages] first answer after a start (no index file yet)")
        with database.session() as session:
            started = time.perf_counter()
            search.index(session).search(SERVICE_QUESTION)
            cold_seconds = time.perf_counter() - started
        _progress(f"[{size:>7} passages] a new process's first answer, with the index file")
        file_seconds = _first_answer_in_a_new_process(database.url, files.folder)
        waits: list[float] = []
        rebuilds: list[float] = []
        for edit in range(edits):
            with database.session() as session:
                passage = session.scalars(select(Passage).order_by(Passage.id).offset(edit).limit(1)).one()
                passage.text += " " + rng.choice(sentences)
                bump_revision(session)
            _progress(f"[{size:>7} passages] questions after edit {edit + 1} of {edits}, while the index is rebuilt")
            with database.session() as session:
                started = time.perf_counter()
                search.index(session)  # notices the edit, starts the rebuild and answers with the old index
                waits.append(time.perf_counter() - started)
            rebuild_started = time.perf_counter()
            while search.building:
                with database.session() as session:
                    started = time.perf_counter()
                    search.index(session).search(SERVICE_QUESTION)
                    waits.append(time.perf_counter() - started)
            search.wait_until_built()
            rebuilds.append(time.perf_counter() - rebuild_started)
            with database.session() as session:
                assert search.index(session).search(SERVICE_QUESTION) is not None
        database.engine.dispose()
    waits.sort()
    return {
        "passages": size,
        "load_seconds": round(load_seconds, 3),
        "cold_seconds": round(cold_seconds, 3),
        "file_seconds": round(file_seconds, 3),
        "rebuild_seconds": round(statistics.median(rebuilds), 3),
        "edits": edits,
        "questions_during_rebuild": len(waits),
        "p50_wait_ms": round(statistics.median(waits) * 1000, 1),
        "p99_wait_ms": round(waits[min(len(waits) - 1, int(len(waits) * 0.99))] * 1000, 1),
        "max_wait_ms": round(waits[-1] * 1000, 1),
        "waits_over_50_ms": sum(wait > 0.05 for wait in waits),
        "load_average": round(os.getloadavg()[0], 2),
    }


SERVICE_QUESTION = "การจัดการความรู้ คืออะไร"


def save_store(database, entries: list[IndexEntry]) -> None:  # type: ignore[no-untyped-def]
    """Save synthetic passages as published articles (benchmarks/memory.py uses it too)."""
    from kb.store import bump_revision
    from kb.tables import Article, Passage

    with database.session() as session:
        articles: dict[int, Article] = {}
        for entry in entries:
            article = articles.get(entry.article_id)
            if article is None:
                article = articles[entry.article_id] = Article(
                    slug=entry.article_key, title=entry.title, body="", tags=list(entry.tags),
                    aliases=list(entry.aliases), sample_questions=list(entry.sample_questions),
                    source=f"benchmark:{entry.article_key}", content_hash="", status="published",
                )
                session.add(article)
            article.passages.append(
                Passage(position=len(article.passages), heading_path=list(entry.heading_path), text=entry.text)
            )
        bump_revision(session)


def _first_answer_in_a_new_process(url: str, folder: Path) -> float:
    """Wall time of a fresh interpreter that loads the index file, the segmenter and answers once."""
    import subprocess

    code = (
        "import sys, time; started = time.perf_counter()\n"
        "from bot.core.database import Database\n"
        "from kb.search_service import IndexFiles, KnowledgeSearch\n"
        "database = Database(sys.argv[1]); search = KnowledgeSearch(files=IndexFiles(__import__('pathlib').Path(sys.argv[2])), inline=False)\n"
        "with database.session() as session:\n"
        f"    search.index(session).search({SERVICE_QUESTION!r})\n"
        "print(search.builds, time.perf_counter() - started)\n"
    )
    started = time.perf_counter()
    result = subprocess.run(
        # -P: the checkout measured comes first on the path, not the working directory's.
        [sys.executable, "-P", "-c", code, url, str(folder)], capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": str(CODE_TREE)},
    )
    wall = time.perf_counter() - started
    builds, seconds = result.stdout.split()[-2:]
    _progress(f"    (in the new process: {float(seconds):.3f} s after its start; {builds} index built or loaded)")
    if result.stderr.strip():
        _progress(result.stderr.strip())
    return wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure SearchIndex build time, query latency and memory.")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), help="store sizes in passages")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--service", action="store_true", help="measure KnowledgeSearch rebuilds from a SQLite database instead"
    )
    parser.add_argument("--edits", type=int, default=3, help="with --service: edits (and rebuilds) per size")
    parser.add_argument("--tree", type=Path, help="measure the code of another checkout (the before of a change)")
    arguments = parser.parse_args(argv)
    sentences, headings, questions = _corpus()
    if arguments.service:
        rows = [measure_service(size, sentences, headings, questions, arguments.edits) for size in sorted(arguments.sizes)]
        if arguments.json:
            print(json.dumps({"seed": SEED, "cpu_count": os.cpu_count(), "results": rows}, indent=2))
            return 0
        print(f"{'passages':>9} {'read from db s':>15} {'cold s':>8} {'new process s':>14} {'rebuild s':>10} "
              f"{'questions':>10} {'p50 ms':>7} {'p99 ms':>7} {'max wait ms':>12} {'> 50 ms':>8} {'load':>5}")
        for row in rows:
            print(
                f"{row['passages']:>9,} {row['load_seconds']:>15.3f} {row['cold_seconds']:>8.2f} {row['file_seconds']:>14.3f} "
                f"{row['rebuild_seconds']:>10.2f} {row['questions_during_rebuild']:>10} {row['p50_wait_ms']:>7.1f} "
                f"{row['p99_wait_ms']:>7.1f} {row['max_wait_ms']:>12.1f} {row['waits_over_50_ms']:>8} {row['load_average']:>5.2f}"
            )
        return 0
    results = [measure(size, sentences, headings, questions) for size in sorted(arguments.sizes)]
    if arguments.json:
        print(json.dumps({"seed": SEED, "cpu_count": os.cpu_count(), "results": results}, indent=2))
        return 0
    print(f"{'passages':>9} {'build s':>9} {'rebuild s':>10} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'peak RSS MB':>12}")
    for row in results:
        print(
            f"{row['passages']:>9,} {row['build_seconds']:>9.2f} {row['rebuild_seconds']:>10.3f} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} "
            f"{row['max_ms']:>8.2f} {row['peak_rss_mb']:>12.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
