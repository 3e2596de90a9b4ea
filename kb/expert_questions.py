"""Questions for the office's experts: asking, answering, the draft Q&A article, and the counts.

A question the bot could not answer goes, at the asker's request, to the experts group. The
first expert's answer goes back to the asker and becomes a draft article (the question, the
answer, the category, and the expert's name only for an expert who agreed to be named with
``/credit``); later answers are kept as additions to the draft. The secretary publishes the
draft, and from then on the bot answers the question itself (the search index follows the
store's revision).

What is decided here without the database (``due_for_resurfacing``, ``due_for_unanswered_notice``,
``median_hours``, ``article_markdown``) is pure, so it is tested without one.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Sequence

import frontmatter
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bot.core.calendar import BANGKOK, fiscal_year_bounds, to_bangkok
from bot.core.people import SIMULATOR_USER_PREFIX
from bot.core.tables import User
from kb.ingest import parse_text
from kb.store import remove_article, save_document, set_status
from kb.tables import Article, ExpertAnswer, ExpertCredit, ExpertQuestion

ARTICLE_SOURCE_PREFIX = "experts:"
DEFAULT_CATEGORY = "ถาม-ตอบจากผู้รู้"
MAX_QUESTION_CHARS = 500
MAX_ANSWER_CHARS = 5000
MAX_NAME_CHARS = 120
CREDIT_LINE = "ตอบโดย: {name}"
ADDITION_HEADING = "## คำตอบเพิ่มเติม"


class ExpertQuestionError(ValueError):
    """Something a person typed that cannot be used; the message is the Thai reply."""


# --- pure rules -------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionAge:
    """What the clock needs of an open question."""

    id: int
    asked_at: datetime
    resurfaced_at: datetime | None = None
    asker_told_unanswered_at: datetime | None = None


def due_for_resurfacing(questions: Iterable[QuestionAge], now: datetime, after: timedelta) -> list[int]:
    """Open questions older than ``after`` that were never shown again: each is re-surfaced once."""
    return [q.id for q in questions if q.resurfaced_at is None and q.asked_at <= now - after]


def due_for_unanswered_notice(questions: Iterable[QuestionAge], now: datetime, after: timedelta) -> list[int]:
    """Open questions older than ``after`` whose asker was not yet told that nobody answered."""
    return [q.id for q in questions if q.asker_told_unanswered_at is None and q.asked_at <= now - after]


def median_hours(durations: Sequence[timedelta]) -> float | None:
    """The median time to answer in hours (one decimal); None when nothing was answered."""
    if not durations:
        return None
    return round(statistics.median(d.total_seconds() for d in durations) / 3600, 1)


def article_markdown(question: str, category: str, first_answer: str, additions: Sequence[str],
                     credited: Sequence[str], *, status: str = "draft") -> str:
    """The Q&A article as a Markdown file with front matter, as `kmbot kb import` reads one.

    ``credited`` are the names of the answering experts who agreed to be named.

    The question itself is the article's sample question, so the same question asked again
    finds it first.
    """
    body = first_answer.strip()
    if credited:
        # On the answer's own paragraph, so the passage the bot quotes carries it (and a name
        # alone is never a passage of its own).
        body += "\n" + CREDIT_LINE.format(name=", ".join(dict.fromkeys(credited)))
    if additions:
        body += "\n\n" + ADDITION_HEADING + "\n\n" + "\n\n".join(f"- {text.strip()}" for text in additions)
    post = frontmatter.Post(body, title=question, status=status, category=category or DEFAULT_CATEGORY,
                            questions=[question], tags=["ถาม-ตอบจากผู้รู้"])
    return frontmatter.dumps(post, sort_keys=False) + "\n"


def clean_text(text: str, limit: int, empty: str, too_long: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise ExpertQuestionError(empty)
    if len(cleaned) > limit:
        raise ExpertQuestionError(too_long)
    return cleaned


# --- asking -----------------------------------------------------------------------------------


def create_question(session: Session, question: str, asker_user_id: int | None, at: datetime, *,
                    show_name: bool = False, category: str = "") -> ExpertQuestion:
    """A new open question; its card is pushed after the commit."""
    text = clean_text(question, MAX_QUESTION_CHARS, "ไม่มีคำถามให้ส่งค่ะ",
                      "คำถามยาวเกินไปค่ะ รบกวนสรุปให้สั้นลงแล้วส่งใหม่นะคะ")
    row = ExpertQuestion(question=text, asker_user_id=asker_user_id, show_name=show_name,
                         category=category[:120], asked_at=at, status="open")
    session.add(row)
    session.flush()
    return row


def open_question_for(session: Session, asker_user_id: int, question: str) -> ExpertQuestion | None:
    """The same person's same question still open: pressing the button twice sends it once."""
    return session.scalars(
        select(ExpertQuestion).where(
            ExpertQuestion.asker_user_id == asker_user_id,
            ExpertQuestion.question == question.strip()[:MAX_QUESTION_CHARS],
            ExpertQuestion.status == "open",
        ).limit(1)
    ).one_or_none()


def questions_asked_since(session: Session, asker_user_id: int, since: datetime) -> int:
    return session.scalar(
        select(func.count()).select_from(ExpertQuestion).where(
            ExpertQuestion.asker_user_id == asker_user_id, ExpertQuestion.asked_at > since
        )
    ) or 0


def find_by_card_message(session: Session, message_id: str) -> ExpertQuestion | None:
    """The question whose card (either of its two messages) a quoted reply points at."""
    if not message_id:
        return None
    return session.scalars(
        select(ExpertQuestion).where(
            or_(ExpertQuestion.card_message_id == message_id, ExpertQuestion.card_buttons_message_id == message_id)
        ).limit(1)
    ).one_or_none()


# --- answering --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerOutcome:
    question_id: int
    first: bool
    article_id: int | None


def record_answer(session: Session, question: ExpertQuestion, user_id: int | None, text: str,
                  at: datetime) -> AnswerOutcome:
    """Keep an expert's answer: the first one answers the question and makes the draft article;
    a later one is an addition to the draft (a published article is the secretary's to edit)."""
    answer_text = clean_text(text, MAX_ANSWER_CHARS, "ยังไม่มีข้อความคำตอบค่ะ พิมพ์คำตอบต่อท้ายได้เลยนะคะ",
                             "คำตอบยาวเกินไปค่ะ รบกวนแบ่งส่งเป็นหลายข้อความนะคะ")
    first = question.status == "open"
    session.add(ExpertAnswer(question_id=question.id, user_id=user_id, text=answer_text, first=first, answered_at=at))
    if first:
        question.status = "answered"
        question.answered_at = at
    session.flush()
    session.refresh(question)
    article_id = refresh_draft(session, question)
    return AnswerOutcome(question.id, first, article_id)


def credited_names(session: Session, user_ids: Iterable[int | None]) -> dict[int, str]:
    wanted = [user_id for user_id in user_ids if user_id is not None]
    if not wanted:
        return {}
    return dict(session.execute(select(ExpertCredit.user_id, ExpertCredit.name).where(ExpertCredit.user_id.in_(wanted))).all())


def refresh_draft(session: Session, question: ExpertQuestion) -> int | None:
    """Write the question's draft article from its answers; a published article is left alone."""
    answers = list(question.answers)
    if not answers:
        return question.article_id
    article = session.get(Article, question.article_id) if question.article_id else None
    if article is not None and article.status == "published":
        return article.id
    names = credited_names(session, (answer.user_id for answer in answers))
    first, *additions = answers
    markdown = article_markdown(
        question.question, question.category, first.text, [answer.text for answer in additions],
        [names[answer.user_id] for answer in answers if answer.user_id in names],
    )
    source = ARTICLE_SOURCE_PREFIX + str(question.id)
    saved = save_document(session, parse_text(markdown, source=source, kind="markdown"), source=source)
    question.article_id = saved.article_id
    return saved.article_id


def publish(session: Session, question_id: int, *, title: str | None = None, body: str | None = None) -> Article | None:
    """Publish the question's article, with the secretary's edits when given."""
    question = session.get(ExpertQuestion, question_id)
    if question is None or question.article_id is None:
        return None
    article = session.get(Article, question.article_id)
    if article is None:
        return None
    if title is not None or body is not None:
        new_title = " ".join((title or article.title).split()) or article.title
        new_body = (body if body is not None else article.body).replace("\r\n", "\n").strip() or article.body
        post = frontmatter.Post(new_body, title=new_title, status="published", category=article.category or DEFAULT_CATEGORY,
                                questions=list(dict.fromkeys([question.question, *(article.sample_questions or [])])),
                                tags=list(article.tags or []))
        markdown = frontmatter.dumps(post, sort_keys=False) + "\n"
        save_document(session, parse_text(markdown, source=article.source, kind="markdown"), source=article.source)
        return session.get(Article, article.id)
    return set_status(session, article.id, "published")


# --- experts who agreed to be named -----------------------------------------------------------


def set_credit(session: Session, user_id: int, name: str, at: datetime) -> ExpertCredit:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ExpertQuestionError("กรุณาพิมพ์ชื่อที่ต้องการให้แสดงต่อท้ายคำสั่งค่ะ เช่น /credit สมศรี ใจดี")
    if len(cleaned) > MAX_NAME_CHARS:
        raise ExpertQuestionError("ชื่อยาวเกินไปค่ะ")
    credit = session.scalars(select(ExpertCredit).where(ExpertCredit.user_id == user_id)).one_or_none()
    if credit is None:
        credit = ExpertCredit(user_id=user_id, name=cleaned, agreed_at=at)
        session.add(credit)
    else:
        credit.name, credit.agreed_at = cleaned, at
    session.flush()
    _refresh_drafts_of(session, user_id)
    return credit


def withdraw_credit(session: Session, user_id: int) -> bool:
    credit = session.scalars(select(ExpertCredit).where(ExpertCredit.user_id == user_id)).one_or_none()
    if credit is None:
        return False
    session.delete(credit)
    session.flush()
    _refresh_drafts_of(session, user_id)
    return True


def _refresh_drafts_of(session: Session, user_id: int) -> None:
    questions = session.scalars(
        select(ExpertQuestion).join(ExpertAnswer).where(ExpertAnswer.user_id == user_id).distinct()
    ).all()
    for question in questions:
        refresh_draft(session, question)


@dataclass(frozen=True)
class Recognition:
    name: str
    answers: int


def recognition(session: Session, fiscal_year: int) -> list[Recognition]:
    """Answers per expert who agreed to be named, in the fiscal year (BE), most first."""
    start, end = _fiscal_moments(fiscal_year)
    rows = session.execute(
        select(ExpertCredit.name, func.count(ExpertAnswer.id))
        .join(ExpertAnswer, ExpertAnswer.user_id == ExpertCredit.user_id)
        .where(ExpertAnswer.answered_at >= start, ExpertAnswer.answered_at < end)
        .group_by(ExpertCredit.name)
        .order_by(func.count(ExpertAnswer.id).desc(), ExpertCredit.name)
    ).all()
    return [Recognition(name, count) for name, count in rows]


# --- the figures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExpertFigures:
    sent: int
    answered: int
    median_hours_to_answer: float | None
    articles_published: int
    open: int

    def as_dict(self) -> dict[str, object]:
        return {"sent": self.sent, "answered": self.answered, "median_hours_to_answer": self.median_hours_to_answer,
                "articles_published": self.articles_published, "open": self.open}


def expert_figures(session: Session, start: datetime, end: datetime) -> ExpertFigures:
    """Questions sent to the experts in [start, end), how many were answered and how fast, and
    how many became published articles."""
    questions = session.execute(
        select(ExpertQuestion.asked_at, ExpertQuestion.answered_at, ExpertQuestion.status, Article.status)
        .outerjoin(Article, Article.id == ExpertQuestion.article_id)
        .outerjoin(User, User.id == ExpertQuestion.asker_user_id)
        .where(ExpertQuestion.asked_at >= start, ExpertQuestion.asked_at < end)
        # Questions tried in the chat simulator are not evidence.
        .where(or_(User.line_user_id.is_(None), ~User.line_user_id.startswith(SIMULATOR_USER_PREFIX)))
    ).all()
    durations = [to_bangkok(answered) - to_bangkok(asked) for asked, answered, _, _ in questions if answered is not None]
    return ExpertFigures(
        sent=len(questions),
        answered=len(durations),
        median_hours_to_answer=median_hours(durations),
        articles_published=sum(1 for *_, article_status in questions if article_status == "published"),
        open=sum(1 for _, _, status, _ in questions if status == "open"),
    )


def _fiscal_moments(fiscal_year: int) -> tuple[datetime, datetime]:
    first, last = fiscal_year_bounds(fiscal_year)
    start = datetime(first.year, first.month, first.day, tzinfo=BANGKOK)
    end = datetime(last.year, last.month, last.day, tzinfo=BANGKOK) + timedelta(days=1)
    return start, end


def fiscal_year_moments(fiscal_year: int) -> tuple[datetime, datetime]:
    """The fiscal year (BE) as [start, end) moments in Bangkok."""
    return _fiscal_moments(fiscal_year)


# --- forgetting a person (PDPA) ---------------------------------------------------------------


@dataclass(frozen=True)
class ForgottenExpertData:
    questions_removed: int
    questions_unlinked: int
    answers_removed: int


def forget_expert_data(session: Session, user_id: int) -> ForgottenExpertData:
    """A person's questions and answers. An open question is deleted; an answered one stays as
    the office's question, no longer linked to the asker and without their name. Their answers
    are deleted (the article made from them stays the office's, without their name), and so is
    their consent to be named."""
    asked = list(session.scalars(select(ExpertQuestion).where(ExpertQuestion.asker_user_id == user_id)))
    removed = unlinked = 0
    for question in asked:
        if question.status == "open":
            session.delete(question)
            removed += 1
        else:
            question.asker_user_id = None
            question.asker_name = None
            question.show_name = False
            unlinked += 1
    session.flush()
    touched = list(session.scalars(
        select(ExpertQuestion).join(ExpertAnswer).where(ExpertAnswer.user_id == user_id).distinct()
    ))
    answers = list(session.scalars(select(ExpertAnswer).where(ExpertAnswer.user_id == user_id)))
    names = credited_names(session, [user_id])
    for answer in answers:
        session.delete(answer)
    credit = session.scalars(select(ExpertCredit).where(ExpertCredit.user_id == user_id)).one_or_none()
    if credit is not None:
        session.delete(credit)
    session.flush()
    for question in touched:
        session.refresh(question)
        article = session.get(Article, question.article_id) if question.article_id else None
        if question.answers:
            refresh_draft(session, question)
        elif article is not None and article.status == "draft":
            # A draft made only of their words goes with them.
            question.article_id = None
            remove_article(session, article.id)
            continue
        _strip_name(session, question.article_id, names.get(user_id))
    return ForgottenExpertData(removed, unlinked, len(answers))


def _strip_name(session: Session, article_id: int | None, name: str | None) -> None:
    """A published article keeps its text but no longer names a forgotten expert."""
    if article_id is None or not name:
        return
    article = session.get(Article, article_id)
    if article is None or name not in article.body:
        return
    lines = [line for line in article.body.splitlines() if not (line.startswith(CREDIT_LINE.split("{")[0]) and name in line)]
    post = frontmatter.Post("\n".join(lines).strip(), title=article.title, status=article.status,
                            category=article.category, questions=list(article.sample_questions or []), tags=list(article.tags or []))
    save_document(session, parse_text(frontmatter.dumps(post, sort_keys=False) + "\n", source=article.source, kind="markdown"),
                  source=article.source)
