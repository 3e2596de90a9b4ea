"""PDPA: `kmbot users forget` removes a person's questions to the experts and their answers; the
experts never see who asked unless the asker agreed."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from bot.core.people import ensure_user
from kb.expert_questions import create_question, publish, record_answer, set_credit
from kb.tables import Article, ExpertAnswer, ExpertCredit, ExpertQuestion

STAFF = "U1111111111111111111111111111aaaa"
EXPERT = "U2222222222222222222222222222eeee"


@pytest.fixture
def questions(database, at):  # type: ignore[no-untyped-def]
    """One open question, one answered and published, one answered and still a draft."""
    moment = at(2024, 5, 20)
    with database.session() as session:
        staff = ensure_user(session, STAFF, moment)
        expert = ensure_user(session, EXPERT, moment)
        session.flush()
        set_credit(session, expert.id, "สมศรี ใจดี", moment)
        waiting = create_question(session, "ลาพักผ่อนสะสมได้กี่วัน", staff.id, moment)
        published = create_question(session, "ใครดูแลระบบสารบรรณ", staff.id, moment, show_name=True)
        published.asker_name = "มานี มีนา"
        drafted = create_question(session, "จองรถส่วนกลางอย่างไร", staff.id, moment)
        record_answer(session, published, expert.id, "งานธุรการชั้น ๑ ค่ะ", moment)
        publish(session, published.id)
        record_answer(session, drafted, expert.id, "กรอกแบบขอใช้รถในระบบค่ะ", moment)
        return {"waiting": waiting.id, "published": published.id, "drafted": drafted.id,
                "published_article": published.article_id, "draft_article": drafted.article_id}


def test_forgetting_an_asker_removes_open_questions_and_unlinks_answered_ones(cli, database, questions):
    result = json.loads(cli("users", "forget", STAFF, "--json").output)
    assert result["expert_questions_removed"] == 3
    with database.session() as session:
        assert session.get(ExpertQuestion, questions["waiting"]) is None
        kept = session.get(ExpertQuestion, questions["published"])
        assert kept.asker_user_id is None and kept.asker_name is None and not kept.show_name
        # The answer is the office's knowledge now: it stays.
        assert session.get(Article, questions["published_article"]).status == "published"


def test_forgetting_an_expert_removes_their_answers_name_and_drafts(cli, database, questions):
    with database.session() as session:
        assert "ตอบโดย: สมศรี ใจดี" in session.get(Article, questions["published_article"]).body
    result = json.loads(cli("users", "forget", EXPERT, "--json").output)
    assert result["expert_answers_removed"] == 2
    with database.session() as session:
        assert session.scalars(select(ExpertAnswer)).all() == []
        assert session.scalars(select(ExpertCredit)).all() == []
        published = session.get(Article, questions["published_article"])
        assert "สมศรี" not in published.body and "งานธุรการชั้น ๑" in published.body
        assert all("สมศรี" not in passage.text for passage in published.passages)
        # A draft made only of their words goes with them.
        assert session.get(Article, questions["draft_article"]) is None


def test_the_cli_lists_the_queue_and_the_recognition_without_askers(cli, questions):
    queue = json.loads(cli("experts", "queue", "--json").stdout)
    assert [row["id"] for row in queue] == [questions["waiting"]]
    assert queue[0]["question"] == "ลาพักผ่อนสะสมได้กี่วัน" and queue[0]["waiting_hours"] > 0
    assert STAFF not in json.dumps(queue) and "มานี" not in json.dumps(queue, ensure_ascii=False)
    ranking = json.loads(cli("experts", "recognition", "--fiscal-year", "2567", "--json").stdout)
    assert ranking == [{"name": "สมศรี ใจดี", "answers": 2}]
    assert json.loads(cli("experts", "recognition", "--fiscal-year", "2568", "--json").stdout) == []
