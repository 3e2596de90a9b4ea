"""Recognition (ยกย่องชมเชย) and the experts' figures, per fiscal year."""

from __future__ import annotations

from datetime import timedelta

from bot.core.people import ensure_user
from kb.expert_questions import (
    create_question,
    expert_figures,
    fiscal_year_moments,
    publish,
    recognition,
    record_answer,
    set_credit,
)


def test_answers_count_per_fiscal_year_for_experts_who_agreed_to_be_named(database, at):
    with database.session() as session:
        asker = ensure_user(session, "U1111111111111111111111111111aaaa", at(2023, 9, 1))
        named = ensure_user(session, "U2222222222222222222222222222eeee", at(2023, 9, 1))
        unnamed = ensure_user(session, "U3333333333333333333333333333ffff", at(2023, 9, 1))
        session.flush()
        set_credit(session, named.id, "สมศรี ใจดี", at(2023, 9, 1))
        # 30 Sep 2024 is FY 2567's last day; 1 Oct 2024 is FY 2568's first.
        for moment, expert in ((at(2024, 9, 30, 10), named), (at(2024, 9, 30, 11), named),
                               (at(2024, 10, 1, 10), named), (at(2024, 9, 30, 12), unnamed)):
            question = create_question(session, f"คำถามเมื่อ {moment.isoformat()}", asker.id, moment - timedelta(hours=3))
            record_answer(session, question, expert.id, "คำตอบ", moment)
            if expert is named:
                publish(session, question.id)
        assert [(row.name, row.answers) for row in recognition(session, 2567)] == [("สมศรี ใจดี", 2)]
        assert [(row.name, row.answers) for row in recognition(session, 2568)] == [("สมศรี ใจดี", 1)]
        figures = expert_figures(session, *fiscal_year_moments(2567))
    assert (figures.sent, figures.answered, figures.median_hours_to_answer, figures.articles_published, figures.open) == (3, 3, 3.0, 2, 0)
