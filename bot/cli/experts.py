"""`kmbot experts queue|recognition`: questions waiting for the experts group, and who shared most."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from bot.cli.output import print_rows
from bot.core.calendar import now, resolve_period, to_bangkok
from bot.web.extensions import get_database
from kb.expert_questions import recognition
from kb.tables import ExpertQuestion


@click.group("experts")
def experts_group() -> None:
    """Questions sent to the office's experts group (docs/experts.md)."""


@experts_group.command("queue")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def experts_queue_command(as_json: bool) -> None:
    """Open questions, oldest first, with how long each has waited (hours). Askers are never shown."""
    moment = now()
    with get_database().session() as session:
        rows = [
            {
                "id": question.id,
                "question": question.question,
                "asked_at": to_bangkok(question.asked_at).isoformat(),
                "waiting_hours": round((moment - to_bangkok(question.asked_at)).total_seconds() / 3600, 1),
                "card_sent": question.card_sent_at is not None,
                "not_ours": question.passes,
                "resurfaced": question.resurfaced_at is not None,
                "asker_told": question.asker_told_unanswered_at is not None,
            }
            for question in session.scalars(
                select(ExpertQuestion).where(ExpertQuestion.status == "open").order_by(ExpertQuestion.asked_at)
            )
        ]
    print_rows(rows, [("id", "ข้อ"), ("question", "คำถาม"), ("waiting_hours", "รอ (ชม.)"), ("not_ours", "ไม่ใช่เรื่องของเรา")],
               as_json=as_json, title="คำถามที่รอผู้รู้ตอบ (questions waiting for the experts)")


@experts_group.command("recognition")
@click.option("--fiscal-year", "fiscal_year", default=None, help="Buddhist-Era fiscal year, e.g. 2567 (the current one by default).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def experts_recognition_command(fiscal_year: str | None, as_json: bool) -> None:
    """Answers per expert who agreed to be named (/credit), in a fiscal year."""
    try:
        period = resolve_period(fiscal_year or "", None, strict=True)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--fiscal-year") from None
    with get_database().session() as session:
        rows = [{"name": row.name, "answers": row.answers} for row in recognition(session, period.fiscal_year)]
    print_rows(rows, [("name", "ผู้รู้"), ("answers", "คำตอบ")], as_json=as_json,
               title=f"ผู้รู้ที่แบ่งปันความรู้ ปีงบประมาณ {period.fiscal_year} (experts who shared knowledge)")
