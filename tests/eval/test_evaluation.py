"""The search meets its quality targets on the evaluation questions (see evaluate.py)."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")

HERE = Path(__file__).resolve().parent


def _load_evaluate() -> ModuleType:
    # tests/eval is not a package; load the script as a module (registered first, so its
    # dataclasses can resolve their own module).
    spec = importlib.util.spec_from_file_location("kmbot_search_evaluation", HERE / "evaluate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


evaluate = _load_evaluate()


@pytest.fixture(scope="module")
def report():  # type: ignore[no-untyped-def]
    if not evaluate.QUESTIONS_PATH.is_file():
        pytest.skip(f"no evaluation questions at {evaluate.QUESTIONS_PATH}")
    if not any(evaluate.STARTER_DIRECTORY.glob("*.md")):
        pytest.skip(f"no starter pack in {evaluate.STARTER_DIRECTORY}")
    if not evaluate.seed_plan_path().is_file():
        pytest.skip(f"no sample plan at {evaluate.seed_plan_path()} (set {evaluate.SEED_PLAN_ENVIRONMENT})")
    return evaluate.evaluate()


def test_every_question_was_asked(report) -> None:  # type: ignore[no-untyped-def]
    assert report.in_domain > 0 and report.out_of_domain > 0
    assert len(report.results) == report.in_domain + report.out_of_domain


def test_top1_target(report) -> None:  # type: ignore[no-untyped-def]
    assert report.top1 >= evaluate.TARGETS["top1"], _misses(report)


def test_top3_target(report) -> None:  # type: ignore[no-untyped-def]
    assert report.top3 >= evaluate.TARGETS["top3"], _misses(report)


def test_false_answers(report) -> None:  # type: ignore[no-untyped-def]
    answered = [result.question for result in report.results if not result.in_domain and result.answered]
    assert report.false_answer_rate <= evaluate.TARGETS["false_answer_rate"], answered


def _misses(report) -> str:  # type: ignore[no-untyped-def]
    misses = [f"{result.rank}: {result.question} → {result.first_hit}" for result in report.results if result.in_domain and result.rank != 1]
    return "\n".join(misses)


# --- the question file's expectations ---------------------------------------------------------


def _hit(key: str, text: str):  # type: ignore[no-untyped-def]
    from kb.search import IndexEntry, SearchHit

    return SearchHit(IndexEntry(passage_id=0, article_id=0, article_key=key, title="", text=text), 1.0, 1.0)


def test_an_any_expectation_takes_the_best_rank_of_its_alternatives() -> None:
    hits = [_hit("km-committee", "a"), _hit("km-committee", "b"), _hit("plan-2567", "หัวหน้าส่วน ราชการ")]
    either = evaluate.expectation(
        {"any": [{"document": "plan-2567", "contains": "หัวหน้าส่วนราชการ"}, {"article": "km-committee"}]}
    )
    assert evaluate.rank_of_expected(hits, either) == 1
    assert evaluate.rank_of_expected(hits, either["any"][0]) == 3
    neither = evaluate.expectation({"any": [{"article": "what-is-km"}, {"document": "plan-2567", "contains": "x"}]})
    assert evaluate.rank_of_expected(hits, neither) is None


@pytest.mark.parametrize(
    "raw",
    [None, {}, {"articel": "x"}, {"document": "plan-2567"}, {"any": [{"article": "x"}]},
     {"any": [{"article": "x"}, {"article": "y"}], "article": "z"}],
)
def test_a_malformed_expectation_is_refused(raw) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        evaluate.expectation(raw)


def test_every_expected_article_exists() -> None:
    in_domain, _ = evaluate.load_questions()
    slugs = {path.stem for path in evaluate.STARTER_DIRECTORY.glob("*.md")}

    def articles(expected):  # type: ignore[no-untyped-def]
        if "any" in expected:
            return [key for alternative in expected["any"] for key in articles(alternative)]
        return [expected["article"]] if "article" in expected else []

    named = {key for item in in_domain for key in articles(evaluate.expectation(item["expect"]))}
    assert named <= slugs, named - slugs
