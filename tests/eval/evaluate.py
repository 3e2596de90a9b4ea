"""Answer quality as staff see it: does the message the bot shows answer the question, and does
the bot stay quiet when the question is not about what it knows?

    python tests/eval/evaluate.py                 # both sets, readable tables
    python tests/eval/evaluate.py --json          # one JSON object
    python tests/eval/evaluate.py --misses dev    # every wrong answer of a set (never tune on held-out)
    python tests/eval/evaluate.py --fit           # refit the confidence model on the dev set only

The store is built as a new office has it: `kmbot db upgrade` (the starter pack), then
`kmbot kb import` and `kmbot plan import` of the sample FY 2567 plan
(shared/seeds/000_7109b574315d70a7.txt beside the repository, or $KMBOT_SEED_PLAN), on a
fresh SQLite database. Each question is answered by `kb.answering.find_answer`, the function
behind `kmbot ask` and the LINE reply, after the small-talk check the LINE handler makes first.

Two question sets, each with in-domain questions (an answer key: phrases the shown answer must
contain) and out-of-domain ones (the bot must fall back):
- dev.yaml, the development set: the one that search and answering are tuned on;
- heldout.yaml, written separately from the content alone: scored only to report, never tuned on.

A question is right when the text of the answer card staff see in LINE (its title, the passage as
the card shortens it, and its source line) contains every phrase of its key (case, spaces and
Thai/Arabic digits ignored). Metrics per set and per kind:
top-1 (right), confident wrong (answered but not right), fallback (in-domain, not answered),
out-of-domain false answers, and a reliability table (confidence bucket -> share right).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")

REPOSITORY = Path(__file__).resolve().parents[2]
if str(REPOSITORY) not in sys.path:
    sys.path.insert(0, str(REPOSITORY))

HERE = Path(__file__).resolve().parent
SETS = {"dev": HERE / "dev.yaml", "heldout": HERE / "heldout.yaml"}
# A small extra check written at the end of a tuning round, run on request only (--set fresh).
EXTRA_SETS = {"fresh": HERE / "fresh.yaml"}
TUNED_ON = "dev"
SEED_PLAN_NAME = "000_7109b574315d70a7.txt"
SEED_PLAN_ENVIRONMENT = "KMBOT_SEED_PLAN"

# Issue targets, judged on the held-out set.
TARGETS = {"top1": 0.90, "confident_wrong": 0.03, "false_answers": 0.02, "typo_top1": 0.80}
BUCKETS = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 1.01)


class EvaluationUnavailable(RuntimeError):
    """A question file or the sample plan is not there."""


def seed_plan_path() -> Path:
    configured = os.environ.get(SEED_PLAN_ENVIRONMENT)
    return Path(configured) if configured else REPOSITORY.parent / "shared" / "seeds" / SEED_PLAN_NAME


# --- answer keys ------------------------------------------------------------------------------


def comparable(text: str) -> str:
    """Case, whitespace and the digit script do not decide whether a fact is there."""
    from bot.core.calendar import convert_digits

    return "".join(convert_digits(text, "arabic").lower().split())


def key_items(expect: Any) -> list[list[str]]:
    """An answer key as a list of alternatives per required phrase; a clear error when malformed."""
    if not isinstance(expect, list) or not expect:
        raise ValueError(f"an answer key is a non-empty list, not {expect!r}")
    items = []
    for item in expect:
        alternatives = [item] if isinstance(item, (str, int, float)) else item
        if not isinstance(alternatives, list) or not alternatives or not all(isinstance(a, (str, int, float)) for a in alternatives):
            raise ValueError(f"a key item is a phrase or a list of alternative phrases, not {item!r}")
        items.append([str(alternative) for alternative in alternatives])
    return items


def answers_key(shown: str, items: list[list[str]]) -> bool:
    text = comparable(shown)
    return all(any(comparable(alternative) in text for alternative in alternatives) for alternatives in items)


@dataclass(frozen=True)
class Question:
    text: str
    kind: str
    in_domain: bool
    key: tuple[tuple[str, ...], ...] = ()


def load_set(path: Path) -> list[Question]:
    import yaml

    if not path.is_file():
        raise EvaluationUnavailable(f"no question file at {path}")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    questions = [
        Question(str(item["q"]), str(item.get("kind", "")), True, tuple(tuple(a) for a in key_items(item.get("expect"))))
        for item in data.get("in_domain") or []
    ]
    questions += [Question(str(item["q"]), str(item.get("kind", "")), False) for item in data.get("out_of_domain") or []]
    return questions


# --- the store, as a new office has it --------------------------------------------------------


def build_store(directory: Path):  # type: ignore[no-untyped-def]
    """A fresh app on SQLite with the starter pack and the sample plan imported by the real CLI."""
    from bot.app import create_app

    plan = seed_plan_path()
    if not plan.is_file():
        raise EvaluationUnavailable(f"no sample plan at {plan} (set {SEED_PLAN_ENVIRONMENT})")
    app = create_app({"database_url": f"sqlite:///{directory / 'evaluation.db'}"})
    runner = app.test_cli_runner()
    for arguments in (["db", "upgrade"], ["kb", "import", str(plan)], ["plan", "import", str(plan)]):
        result = runner.invoke(args=arguments)
        if result.exit_code != 0:
            raise RuntimeError(f"kmbot {' '.join(arguments)} failed: {result.output}")
    return app


# --- scoring ----------------------------------------------------------------------------------


@dataclass
class Result:
    question: str
    kind: str
    in_domain: bool
    answered: bool
    right: bool
    confidence: float
    shown: str
    source: str
    seconds: float


def card_text(answer) -> str:  # type: ignore[no-untyped-def]
    """Every text of the answer card as LINE shows it (handlers.answer_card builds the same card)."""
    from handlers.answer_card import answer_bubble

    bubble = answer_bubble(answer, None)
    return "\n".join(item["text"] for item in bubble["body"]["contents"] if item.get("type") == "text")


def ask_all(app, questions: Iterable[Question]) -> list[Result]:  # type: ignore[no-untyped-def]
    from bot.web.extensions import get_database, get_search
    from kb.answering import Answer, find_answer
    from kb.small_talk import small_talk_kind

    results = []
    with app.app_context():
        database, search = get_database(), get_search()
        for question in questions:
            started = time.perf_counter()
            if small_talk_kind(question.text) is not None:
                # As handlers.question does: small talk gets a friendly reply, never an answer.
                answer = Answer(question=question.text, answered=False, confidence=0.0)
            else:
                with database.session() as session:
                    answer = find_answer(session, search, question.text)
            seconds = time.perf_counter() - started
            source = answer.sources[0].title if answer.sources else ""
            shown = card_text(answer) if answer.answered else ""
            right = question.in_domain and answer.answered and answers_key(f"{shown}\n{source}", [list(a) for a in question.key])
            results.append(Result(question.text, question.kind, question.in_domain, answer.answered, right,
                                  answer.confidence, shown, source, seconds))
    return results


def share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def figures(results: list[Result]) -> dict[str, Any]:
    inside = [r for r in results if r.in_domain]
    outside = [r for r in results if not r.in_domain]
    return {
        "in_domain": len(inside),
        "out_of_domain": len(outside),
        "top1": share(sum(r.right for r in inside), len(inside)),
        "confident_wrong": share(sum(r.answered and not r.right for r in inside), len(inside)),
        "fallback": share(sum(not r.answered for r in inside), len(inside)),
        "false_answers": share(sum(r.answered for r in outside), len(outside)),
    }


def by_kind(results: list[Result]) -> dict[str, dict[str, Any]]:
    kinds: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        kinds[("" if result.in_domain else "ood:") + result.kind].append(result)
    table = {}
    for kind, members in sorted(kinds.items()):
        if members[0].in_domain:
            table[kind] = {"n": len(members), "right": share(sum(r.right for r in members), len(members)),
                           "wrong": share(sum(r.answered and not r.right for r in members), len(members))}
        else:
            table[kind] = {"n": len(members), "answered": share(sum(r.answered for r in members), len(members))}
    return table


def reliability(results: list[Result]) -> list[dict[str, Any]]:
    """Among in-domain questions: how often an answer at each confidence was right."""
    rows = []
    for low, high in zip(BUCKETS, BUCKETS[1:]):
        members = [r for r in results if r.in_domain and low <= r.confidence < high]
        if members:
            rows.append({"confidence": f"{low:.2f}–{min(high, 1.0):.2f}", "n": len(members),
                         "right": share(sum(r.right for r in members), len(members)),
                         "answered": share(sum(r.answered for r in members), len(members))})
    return rows


def missed_targets(summary: dict[str, Any], kinds: dict[str, dict[str, Any]]) -> list[str]:
    missed = []
    if summary["top1"] < TARGETS["top1"]:
        missed.append(f"top-1 {summary['top1']:.1%} < {TARGETS['top1']:.0%}")
    if summary["confident_wrong"] > TARGETS["confident_wrong"]:
        missed.append(f"confident wrong {summary['confident_wrong']:.1%} > {TARGETS['confident_wrong']:.0%}")
    if summary["false_answers"] > TARGETS["false_answers"]:
        missed.append(f"out-of-domain answered {summary['false_answers']:.1%} > {TARGETS['false_answers']:.0%}")
    typo = kinds.get("typo", {}).get("right")
    if typo is not None and typo < TARGETS["typo_top1"]:
        missed.append(f"typo top-1 {typo:.1%} < {TARGETS['typo_top1']:.0%}")
    return missed


def evaluate(set_names: Iterable[str] = SETS) -> dict[str, Any]:
    report: dict[str, Any] = {"tuned_on": TUNED_ON, "targets": TARGETS, "sets": {}}
    with tempfile.TemporaryDirectory() as directory:
        started = time.perf_counter()
        app = build_store(Path(directory))
        report["build_seconds"] = time.perf_counter() - started
        for name in set_names:
            results = ask_all(app, load_set({**SETS, **EXTRA_SETS}[name]))
            summary = figures(results)
            kinds = by_kind(results)
            seconds = sorted(r.seconds for r in results)
            report["sets"][name] = {
                **summary,
                "by_kind": kinds,
                "reliability": reliability(results),
                "missed_targets": missed_targets(summary, kinds),
                "p50_ms": 1000 * seconds[len(seconds) // 2] if seconds else 0.0,
                "results": [asdict(r) for r in results],
            }
        from bot.web.extensions import get_database

        get_database(app).dispose()
    return report


# --- fitting the confidence (dev set only) ---------------------------------------------------


def fit_confidence(l2: float = 0.1) -> dict[str, Any]:
    """Logistic regression of "the passage shown answers the question" on the best hit's signals,
    over the dev set's questions that search answers (plan-activity facts are read, not searched)."""
    import numpy as np

    from bot.web.extensions import get_database, get_search
    from kb.answering import CANDIDATES, answer_from_activities
    from kb.search import CONFIDENCE_WEIGHTS

    names = list(CONFIDENCE_WEIGHTS)
    rows, labels = [], []
    with tempfile.TemporaryDirectory() as directory:
        app = build_store(Path(directory))
        with app.app_context():
            database, search = get_database(), get_search()
            for question in load_set(SETS[TUNED_ON]):
                with database.session() as session:
                    if answer_from_activities(session, question.text) is not None:
                        continue
                    hits = search.index(session).search(question.text, limit=CANDIDATES)
                if not hits:
                    continue
                best = hits[0]
                right = question.in_domain and answers_key(f"{best.entry.text}\n{best.entry.title}", [list(a) for a in question.key])
                rows.append([best.signals.get(name, 0.0) for name in names])
                labels.append(1.0 if right else 0.0)
            get_database(app).dispose()
    features = np.hstack([np.ones((len(rows), 1)), np.array(rows)])
    target = np.array(labels)
    weights = np.zeros(features.shape[1])
    for _ in range(50):  # Newton's method
        predicted = 1 / (1 + np.exp(-features @ weights))
        gradient = features.T @ (predicted - target) + l2 * np.r_[0, weights[1:]]
        hessian = features.T @ (features * (predicted * (1 - predicted))[:, None]) + l2 * np.diag(np.r_[0, np.ones(len(names))])
        weights -= np.linalg.solve(hessian, gradient)
    return {"bias": round(float(weights[0]), 3), "weights": {name: round(float(w), 3) for name, w in zip(names, weights[1:])},
            "questions": len(rows), "right": int(target.sum())}


# --- printing ---------------------------------------------------------------------------------


def print_report(report: dict[str, Any], misses_of: str | None) -> None:
    names = list(report["sets"])
    label = {name: name + (" (tuned on)" if name == report["tuned_on"] else " (held out: never tuned on)") for name in names}
    print(f"store built in {report['build_seconds']:.1f} s (starter pack + kb import + plan import of the sample plan)\n")
    rows = [("in-domain questions", "in_domain", "{}"), ("out-of-domain questions", "out_of_domain", "{}"),
            ("answer-level top-1", "top1", "{:.1%}"), ("confident wrong", "confident_wrong", "{:.1%}"),
            ("fallback (in-domain)", "fallback", "{:.1%}"), ("out-of-domain answered", "false_answers", "{:.1%}")]
    print(f"{'':28}" + "".join(f"{label[name]:>34}" for name in names))
    for title, key, form in rows:
        print(f"{title:28}" + "".join(f"{form.format(report['sets'][name][key]):>34}" for name in names))
    for name in names:
        data = report["sets"][name]
        print(f"\n{label[name]} — by kind")
        for kind, row in data["by_kind"].items():
            if "right" in row:
                print(f"  {kind:22} n={row['n']:<4} right {row['right']:6.1%}   wrong {row['wrong']:6.1%}")
            else:
                print(f"  {kind:22} n={row['n']:<4} answered {row['answered']:6.1%}")
        print(f"{label[name]} — reliability (in-domain)")
        for row in data["reliability"]:
            print(f"  confidence {row['confidence']:12} n={row['n']:<4} right {row['right']:6.1%}  answered {row['answered']:6.1%}")
        print(f"  median answer time {data['p50_ms']:.1f} ms")
    heldout = report["sets"].get("heldout")
    if heldout is not None:
        missed = heldout["missed_targets"]
        print("\nheld-out targets: " + ("all met" if not missed else "missed: " + "; ".join(missed)))
    if misses_of:
        print(f"\nmisses of {misses_of}:")
        for result in report["sets"][misses_of]["results"]:
            wrong = (result["in_domain"] and not result["right"]) or (not result["in_domain"] and result["answered"])
            if wrong:
                shown = " ".join(result["shown"].split())[:160]
                print(f"- [{result['kind']}] {result['question']}  ({'answered' if result['answered'] else 'fallback'}, "
                      f"{result['confidence']:.2f}) → {result['source']} | {shown}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--misses", choices=[*SETS, *EXTRA_SETS], help="list every wrong answer of a set")
    parser.add_argument("--set", choices=[*SETS, *EXTRA_SETS], action="append", help="only these sets")
    parser.add_argument("--fit", action="store_true", help=f"refit the confidence model on the {TUNED_ON} set and print it")
    arguments = parser.parse_args(argv)
    if arguments.fit:
        print(json.dumps(fit_confidence(), indent=2))
        return 0
    try:
        report = evaluate(arguments.set or list(SETS))
    except EvaluationUnavailable as error:
        print(f"evaluation unavailable: {error}", file=sys.stderr)
        return 2
    if arguments.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print_report(report, arguments.misses)
    return 0


if __name__ == "__main__":
    sys.exit(main())
