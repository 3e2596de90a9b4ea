"""From a question to an answer (or an honest fallback): the one place that decides what to say."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.calendar import thai_digits
from bot.core.text import ELLIPSIS, utf16_length
from kb.activity_questions import ActivityQuestion, read_activity_question
from kb.search import SearchIndex, question_words
from kb.search_service import KnowledgeSearch, PlanOutline, read_plan_outline
from kb.tables import Activity, Article, Passage, Plan

CANDIDATES = 8
MAX_RELATED = 3
# An answer may join a second passage of the same article when it scores nearly as well: a
# list and its lead-in, a term and its definition, split by the reader into two passages.
COMPANION_SCORE_RATIO = 0.7
MAX_ANSWER_CHARS = 1500
# A passage that ends by announcing what follows: "… ไว้ ๕ ข้อ", "… มี ๗ ขั้นตอน", "… ดังนี้".
LEAD_IN = re.compile(r"(?:[0-9๐-๙]+\s*(?:ข้อ|ขั้นตอน|ขั้น|ประการ|เรื่อง|ด้าน|แนวทาง|ประเภท|วิธี)|ดังนี้|ดังต่อไปนี้|ได้แก่|:)\s*$")
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
    index = search.index(session)
    # A misspelt activity name ("แลกเปี่ยนความรู้") is read as the name once it is put right.
    repaired = index.repaired_question(question)
    outline = search.plan_outline(session)
    for asked in (question, repaired):
        activity_answer = answer_from_activities(session, asked, outline) if asked else None
        if activity_answer is not None:
            return replace(activity_answer, question=question)
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
        text=answer_text(hits, index),
        article_id=best.entry.article_id,
        title=best.entry.title,
        heading_path=best.entry.heading_path,
        sources=sources,
        related_questions=index.related_questions(question, hits, limit=MAX_RELATED),
    )


def answer_text(hits, index: SearchIndex | None = None) -> str:  # type: ignore[no-untyped-def]
    """The best passage, with the one that completes it: the next passage of the article when
    the best one announces it ("… ไว้ ๕ ข้อ", "… ดังนี้") — a lead-in and its list — else a
    second passage of the same article that scores nearly as well; in the article's order."""
    best = hits[0].entry
    following = index.following(best) if index is not None and LEAD_IN.search(best.text) else None
    if following is not None:
        chosen = [best, following]
    else:
        same_article = next((hit for hit in hits[1:] if hit.entry.article_id == best.article_id), None)
        close = [same_article.entry] if same_article and same_article.score >= COMPANION_SCORE_RATIO * hits[0].score else []
        chosen = sorted([best, *close], key=lambda entry: entry.passage_id)
    if sum(len(entry.text) for entry in chosen) > MAX_ANSWER_CHARS:
        chosen = [best]
    return "\n\n".join(entry.text for entry in chosen)


def answer_excerpt(text: str, question: str, limit: int) -> str:
    """The part of an answer too long for `limit` (UTF-16 units) that answers `question`: the
    run of whole lines holding most of the question's words, after the first line (a heading
    or a lead-in) when there is room, with "…" where lines were left out. Only when a later
    run holds more of the question's words than the beginning does.

    A long list whose asked-for items come late is otherwise cut before them. Text that fits,
    has no lines to choose between, or holds two passages is returned as it is (the card
    shortens it).
    """
    if utf16_length(text) <= limit or "\n\n" in text.strip():
        # Two passages shown together (a lead-in and its list, a close second) are cut as
        # they are: the lines of the second would outvote the passage that answers.
        return text
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) < 2:
        return text
    asked = set(question_words(question))
    if not asked:
        return text
    found = [len(asked.intersection(question_words(line))) for line in lines]
    sizes = [utf16_length(line) + 1 for line in lines]
    marker = utf16_length(ELLIPSIS) + 1
    # Room kept for the first line (a heading or the lead-in of the list) when it is short.
    head = sizes[0] if sizes[0] <= limit // 4 else 0
    best: tuple[int, int, int] | None = None  # (-words found, start, end): most words, earliest
    for start in range(len(lines)):
        room = limit - 2 * marker - (head if start else 0)
        used, end = 0, start
        while end < len(lines) and used + sizes[end] <= room:
            used += sizes[end]
            end += 1
        if end > start and (best is None or (-sum(found[start:end]), start) < best[:2]):
            best = (-sum(found[start:end]), start, end)
    if best is None or best[1] == 0:
        # The beginning answers as well as any other part: the card cuts it as it always did.
        return text
    _, start, end = best
    shown = lines[start:end]
    if start > 1:
        shown = ([lines[0], ELLIPSIS] if head else [ELLIPSIS]) + shown
    elif start == 1:
        shown = ([lines[0]] if head else [ELLIPSIS]) + shown
    if end < len(lines):
        shown.append(ELLIPSIS)
    return "\n".join(shown)


def _distinct_article_sources(hits) -> list[AnswerSource]:  # type: ignore[no-untyped-def]
    seen: set[int] = set()
    sources = []
    for hit in hits:
        if hit.entry.article_id in seen:
            continue
        seen.add(hit.entry.article_id)
        sources.append(AnswerSource(hit.entry.article_id, hit.entry.passage_id, hit.entry.title, hit.score, hit.entry.heading_path))
    return sources


# The label of each fact an activity question can ask for.
FACT_LABELS = {
    "when": "ช่วงเวลา",
    "who": "ผู้รับผิดชอบ",
    "evidence": "เอกสารที่แสดงผลสำเร็จ",
    "indicator": "ตัวชี้วัด",
    "target": "เป้าหมาย",
    "target_group": "กลุ่มเป้าหมาย",
    "method": "รายละเอียด",
    "status": "สถานะ",
    "summary": "กิจกรรม",
}


def answer_from_activities(session: Session, question: str, outline: PlanOutline | None = None) -> Answer | None:
    """Answer "when / who / which evidence / how" about a plan activity from the activity's own fields.

    `outline` (the search service's, kept per store revision) spares a question that names no
    activity the plan queries; the activities are read only for one that does."""
    from kb.plan_store import activity_dates_thai, activity_label

    outline = outline if outline is not None else read_plan_outline(session)
    if outline.fiscal_year is None:
        return None
    asked = read_activity_question(question, outline.activity_names, outline.plan_topics)
    if asked is None:
        return None
    plans = list(session.scalars(select(Plan).where(Plan.fiscal_year == outline.fiscal_year).order_by(Plan.number)))
    activities = [activity for plan in plans for activity in sorted(plan.activities, key=lambda activity: activity.position)]
    matching = [
        activity for activity in activities
        if activity.step == asked.step and (asked.plan_number is None or activity.plan.number == asked.plan_number)
    ]
    asked_plan = next((plan for plan in plans if plan.number == asked.plan_number), None)
    if not matching:
        if asked_plan is None:
            return None
        # The plan's table has no row for that step (the sample's plan 1 has no KMP3 or KMP4).
        plan_article = _plan_article(session, asked_plan)
        if plan_article is None:
            return None
        text = (f"แผนที่ {thai_digits(asked_plan.number)} ของปี {thai_digits(asked_plan.fiscal_year)} "
                f"ไม่มีกิจกรรม {asked.step} ในตารางแผนค่ะ")
        return Answer(question=question, answered=True, confidence=1.0, text=text, article_id=plan_article.id,
                      title=plan_article.title, sources=[AnswerSource(plan_article.id, 0, plan_article.title, 1.0)])
    articles = {plan.number: _plan_article(session, plan) for plan in plans}
    blocks = [_activity_text(activity, asked, articles.get(activity.plan.number), activity_dates_thai, activity_label) for activity in matching]
    first = matching[0]
    article = articles.get(first.plan.number)
    if article is None:
        return None
    passage = _activity_passage(article, activity_label(first))
    source = AnswerSource(article.id, passage.id if passage else 0, article.title, 1.0, tuple(passage.heading_path) if passage else ())
    return Answer(
        question=question,
        answered=True,
        confidence=1.0,
        text="\n\n".join(blocks),
        article_id=article.id,
        title=f"{FACT_LABELS[asked.fact]}: {activity_label(first)}",
        heading_path=source.heading_path,
        sources=[source],
        related_questions=_activity_follow_ups(asked),
    )


def _plan_article(session: Session, plan: Plan) -> Article | None:
    """The knowledge article `plan import` wrote for the plan."""
    from kb.plan_store import plan_article_source

    return session.scalars(select(Article).where(Article.source == plan_article_source(plan.fiscal_year, plan.number))).one_or_none()


def _activity_passage(article: Article, label: str) -> Passage | None:
    return next((passage for passage in article.passages if passage.heading_path and passage.heading_path[-1] == label), None)


def _activity_text(activity: Activity, asked: ActivityQuestion, article: Article | None, dates_thai, label) -> str:  # type: ignore[no-untyped-def]
    heading = f"{label(activity)} (แผนที่ {thai_digits(activity.plan.number)})"
    if asked.facts == ("summary",):
        # The activity's whole row, as the plan's article writes it.
        passage = _activity_passage(article, label(activity)) if article is not None else None
        if passage is not None:
            return passage.text
        return heading + ": " + "; ".join(f"{FACT_LABELS[fact]}: {_fact_text(activity, fact, dates_thai)}"
                                          for fact in ("method", "when", "indicator", "target", "target_group", "who", "evidence"))
    if len(asked.facts) == 1:
        return f"{heading}: {_fact_text(activity, asked.fact, dates_thai)}"
    return heading + "\n" + "\n".join(f"{FACT_LABELS[fact]}: {_fact_text(activity, fact, dates_thai)}" for fact in asked.facts)


def _fact_text(activity: Activity, fact: str, dates_thai) -> str:  # type: ignore[no-untyped-def]
    if fact == "when":
        written = f" (ในแผนเขียนว่า \u201c{activity.period_text}\u201d)" if activity.period_text else ""
        return dates_thai(activity) + (" และทำต่อเนื่องจนสิ้นปีงบประมาณ" if activity.open_ended else "") + written
    if fact == "status":
        return "ทำแล้ว" if activity.status == "done" else "ยังไม่เสร็จ"
    value = {
        "who": activity.responsible,
        "evidence": activity.evidence,
        "indicator": activity.indicator,
        "target": activity.target,
        "target_group": activity.target_group,
        "method": activity.details,
    }[fact]
    return value or "แผนไม่ได้ระบุไว้"


def _activity_follow_ups(asked: ActivityQuestion) -> list[str]:
    step = asked.step or ""
    follow_ups = {"when": f"{step} ใครรับผิดชอบ", "who": f"{step} ต้องทำเมื่อไร", "evidence": f"{step} ต้องทำเมื่อไร"}
    return [follow_ups.get(asked.fact, f"{step} ใครรับผิดชอบ"), f"{step} ต้องใช้หลักฐานอะไร" if asked.fact != "evidence" else f"{step} ตัวชี้วัดคืออะไร"]
