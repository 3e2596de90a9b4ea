"""From a question to an answer (or an honest fallback): the one place that decides what to say."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.activity_questions import ActivityQuestion, read_activity_question
from kb.search_service import KnowledgeSearch
from kb.tables import Activity, Article, Passage, Plan

CANDIDATES = 8
MAX_RELATED = 3
# An answer may join a second passage of the same article when it scores nearly as well: a
# list and its lead-in, a term and its definition, split by the reader into two passages.
COMPANION_SCORE_RATIO = 0.7
MAX_ANSWER_CHARS = 1500
# A question is a sentence or two; segmenting grows faster than linearly with unknown text,
# so a pasted document (LINE allows 5,000 characters) must not hold a worker for seconds.
MAX_QUESTION_CHARS = 1000


@dataclass(frozen=True)
class AnswerSource:
    article_id: int
    passage_id: int
    title: str
    score: float
    heading_path: tuple[str, ...] = ()


@dataclass(frozen=True)
class Answer:
    question: str
    answered: bool
    confidence: float
    text: str = ""
    article_id: int | None = None
    title: str | None = None
    heading_path: tuple[str, ...] = ()
    sources: list[AnswerSource] = field(default_factory=list)
    related_questions: list[str] = field(default_factory=list)
    close_topics: list[str] = field(default_factory=list)

    def as_json(self) -> dict:
        """The `kmbot ask --json` shape of SPEC's contract (fields may be added, never renamed)."""
        return {
            "answered": self.answered,
            "answer": self.text,
            "confidence": round(self.confidence, 4),
            "sources": [{"id": source.article_id, "title": source.title, "score": round(source.score, 4)} for source in self.sources],
            "article_id": self.article_id,
            "heading_path": list(self.heading_path),
            "related_questions": self.related_questions,
            "close_topics": self.close_topics,
        }


def find_answer(session: Session, search: KnowledgeSearch, question: str) -> Answer:
    question = question[:MAX_QUESTION_CHARS]
    activity_answer = answer_from_activities(session, question)
    if activity_answer is not None:
        return activity_answer
    index = search.index(session)
    result = index.answer(question, limit=CANDIDATES)
    hits = result.hits
    sources = _distinct_article_sources(hits)
    if not result.answered or not hits:
        return Answer(
            question=question,
            answered=False,
            confidence=result.confidence,
            sources=sources,
            close_topics=[source.title for source in sources[:MAX_RELATED]],
        )
    best = hits[0]
    return Answer(
        question=question,
        answered=True,
        confidence=result.confidence,
        text=answer_text(hits),
        article_id=best.entry.article_id,
        title=best.entry.title,
        heading_path=best.entry.heading_path,
        sources=sources,
        related_questions=index.related_questions(question, hits, limit=MAX_RELATED),
    )


def answer_text(hits) -> str:  # type: ignore[no-untyped-def]
    """The best passage, and a second one of the same article that scores nearly as well,
    in the article's order."""
    best = hits[0]
    chosen = [best]
    for hit in hits[1:]:
        if hit.entry.article_id == best.entry.article_id and hit.score >= COMPANION_SCORE_RATIO * best.score:
            if len(best.entry.text) + len(hit.entry.text) <= MAX_ANSWER_CHARS:
                chosen.append(hit)
            break
    chosen.sort(key=lambda hit: hit.entry.passage_id)
    return "\n\n".join(hit.entry.text for hit in chosen)


def _distinct_article_sources(hits) -> list[AnswerSource]:  # type: ignore[no-untyped-def]
    seen: set[int] = set()
    sources = []
    for hit in hits:
        if hit.entry.article_id in seen:
            continue
        seen.add(hit.entry.article_id)
        sources.append(AnswerSource(hit.entry.article_id, hit.entry.passage_id, hit.entry.title, hit.score, hit.entry.heading_path))
    return sources


# The line of an activity that answers each kind of question.
FACT_LABELS = {
    "when": "ช่วงเวลา",
    "who": "ผู้รับผิดชอบ",
    "evidence": "เอกสารที่แสดงผลสำเร็จ",
    "indicator": "ตัวชี้วัด",
    "target": "เป้าหมาย",
    "target_group": "กลุ่มเป้าหมาย",
    "status": "สถานะ",
}


def answer_from_activities(session: Session, question: str) -> Answer | None:
    """Answer "when / who / which evidence" about a plan activity from the activity's own fields."""
    from kb.plan_store import activity_dates_thai, activity_label, plan_article_source

    latest_year = session.scalar(select(Plan.fiscal_year).order_by(Plan.fiscal_year.desc()).limit(1))
    if latest_year is None:
        return None
    activities = list(session.scalars(
        select(Activity).join(Plan).where(Plan.fiscal_year == latest_year).order_by(Plan.number, Activity.position)
    ))
    asked = read_activity_question(question, [(activity.step, activity.name) for activity in activities])
    if asked is None:
        return None
    matching = [
        activity for activity in activities
        if activity.step == asked.step and (asked.plan_number is None or activity.plan.number == asked.plan_number)
    ]
    if not matching:
        return None
    lines = [f"{activity_label(activity)} (แผนที่ {_thai_number(activity.plan.number)}): {_fact_text(activity, asked, activity_dates_thai)}"
             for activity in matching]
    first = matching[0]
    article = session.scalars(select(Article).where(Article.source == plan_article_source(first.plan.fiscal_year, first.plan.number))).one_or_none()
    if article is None:
        return None
    passage = next((passage for passage in article.passages if passage.heading_path and passage.heading_path[-1] == activity_label(first)), None)
    source = AnswerSource(article.id, passage.id if passage else 0, article.title, 1.0, tuple(passage.heading_path) if passage else ())
    return Answer(
        question=question,
        answered=True,
        confidence=1.0,
        text="\n".join(lines),
        article_id=article.id,
        title=f"{FACT_LABELS[asked.fact]}: {activity_label(first)}",
        heading_path=source.heading_path,
        sources=[source],
        related_questions=_activity_follow_ups(asked),
    )


def _fact_text(activity: Activity, asked: ActivityQuestion, dates_thai) -> str:  # type: ignore[no-untyped-def]
    if asked.fact == "when":
        written = f" (ในแผนเขียนว่า \u201c{activity.period_text}\u201d)" if activity.period_text else ""
        return dates_thai(activity) + (" และทำต่อเนื่องจนสิ้นปีงบประมาณ" if activity.open_ended else "") + written
    if asked.fact == "status":
        return "ทำแล้ว" if activity.status == "done" else "ยังไม่เสร็จ"
    value = {
        "who": activity.responsible,
        "evidence": activity.evidence,
        "indicator": activity.indicator,
        "target": activity.target,
        "target_group": activity.target_group,
    }[asked.fact]
    return value or "แผนไม่ได้ระบุไว้"


def _activity_follow_ups(asked: ActivityQuestion) -> list[str]:
    step = asked.step or ""
    follow_ups = {"when": f"{step} ใครรับผิดชอบ", "who": f"{step} ต้องทำเมื่อไร", "evidence": f"{step} ต้องทำเมื่อไร"}
    return [follow_ups.get(asked.fact, f"{step} ใครรับผิดชอบ"), f"{step} ต้องใช้หลักฐานอะไร" if asked.fact != "evidence" else f"{step} ตัวชี้วัดคืออะไร"]


def _thai_number(number: int) -> str:
    from bot.core.calendar import convert_digits

    return convert_digits(str(number), "thai")
