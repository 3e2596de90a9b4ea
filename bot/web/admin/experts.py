"""Questions for the office's experts, as the secretary sees them: the queue of unanswered
questions with their ages, answers waiting to be published as Q&A articles (edit, then publish
with one click), this fiscal year's figures, and the experts who shared the most (those who
agreed to be named with /credit)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from bot.core.calendar import format_thai_datetime, now, resolve_period, to_bangkok
from bot.core.tables import InteractionEvent
from bot.web.admin import blueprint
from bot.web.extensions import get_database
from kb.expert_questions import credited_names, expert_figures, fiscal_year_moments, publish, recognition
from kb.tables import Article, ExpertQuestion

ANONYMOUS = "ไม่ระบุชื่อ"
MAX_SHOWN = 200


def age_text(asked_at: datetime, moment: datetime) -> str:
    """How long a question has waited, as the secretary reads it: "3 วัน 4 ชม." or "5 ชม."."""
    hours = max(0, int((to_bangkok(moment) - to_bangkok(asked_at)).total_seconds() // 3600))
    days, hours = divmod(hours, 24)
    return f"{days} วัน {hours} ชม." if days else f"{hours} ชม."


@blueprint.get("/experts")
def experts() -> str:
    period = resolve_period(request.args.get("fiscal_year", ""), None)
    moment = now()
    with get_database().session() as session:
        open_rows = session.scalars(
            select(ExpertQuestion).where(ExpertQuestion.status == "open").order_by(ExpertQuestion.asked_at).limit(MAX_SHOWN)
        ).all()
        queue = [
            {"id": q.id, "question": q.question, "age": age_text(q.asked_at, moment), "passes": q.passes,
             "asked": format_thai_datetime(q.asked_at, "arabic"), "card_sent": q.card_sent_at is not None,
             "asker": (q.asker_name or "ยินดีเปิดเผยชื่อ") if q.show_name else ANONYMOUS,
             "resurfaced": q.resurfaced_at is not None, "told": q.asker_told_unanswered_at is not None}
            for q in open_rows
        ]
        answered = session.execute(
            select(ExpertQuestion, Article).join(Article, Article.id == ExpertQuestion.article_id)
            .where(ExpertQuestion.status == "answered").order_by(ExpertQuestion.answered_at.desc()).limit(MAX_SHOWN)
        ).all()
        said = _askers_feedback(session)
        drafts, published = [], []
        for question, article in answered:
            names = credited_names(session, [answer.user_id for answer in question.answers])
            item = {"id": question.id, "question": question.question, "title": article.title, "body": article.body,
                    "article_id": article.id, "answers": len(question.answers),
                    "answered": format_thai_datetime(question.answered_at, "arabic") if question.answered_at else "",
                    "experts": ", ".join(dict.fromkeys(names.values())) or "ผู้รู้ (ไม่ประสงค์ออกนาม)",
                    "helpful": said.get((question.id, 1), 0), "unhelpful": said.get((question.id, 0), 0)}
            (drafts if article.status == "draft" else published).append(item)
        start, end = fiscal_year_moments(period.fiscal_year)
        figures = expert_figures(session, start, end)
        ranking = recognition(session, period.fiscal_year)
    return render_template("admin/experts.html", queue=queue, drafts=drafts, published=published[:20],
                           figures=figures, ranking=ranking, fiscal_year=period.fiscal_year,
                           fiscal_year_text=str(period.fiscal_year))


def _askers_feedback(session: Session) -> Counter[tuple[int, int]]:
    """The askers' 👍 (1) and 👎 (0) on experts' answers, by question."""
    events = session.execute(
        select(InteractionEvent.detail, InteractionEvent.value).where(InteractionEvent.kind == "expert_feedback")
    ).all()
    return Counter((int((detail or {}).get("question_id", 0)), value) for detail, value in events)


@blueprint.post("/experts/<int:question_id>/publish")
def publish_expert_answer(question_id: int) -> Response:
    title = request.form.get("title")
    body = request.form.get("body")
    with get_database().session() as session:
        article = publish(session, question_id, title=title, body=body)
        if article is None:
            abort(404)
        shown = article.title
    flash(f"เผยแพร่ “{shown}” แล้ว น้องบอทจะใช้ตอบคำถามนี้ได้ทันทีค่ะ", "success")
    return redirect(url_for("admin.experts"))
