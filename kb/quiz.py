"""The understanding quiz of the staff survey, drawn from the knowledge store.

Each question takes a published article's sample question ("CMP คืออะไร") and asks which of
three articles of the store answers it; the other two choices are other articles' titles. The
quiz of a fiscal year is the same for everyone (its choices are drawn with the year as the
seed), so answers can be compared and a person can finish it over several messages.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from kb.tables import Article

QUIZ_LENGTH = 3
CHOICES = 3
# A person passes with at least this share of the quiz's questions right.
PASS_SHARE = 2 / 3


@dataclass(frozen=True)
class QuizQuestion:
    number: int  # 1-based
    article_id: int  # the article that answers it
    prompt: str  # the sample question asked
    choices: tuple[tuple[int, str], ...]  # (article id, title), in the order shown


def quiz_for_year(session: Session, fiscal_year: int, length: int = QUIZ_LENGTH) -> list[QuizQuestion]:
    """The year's quiz; fewer questions (or none) when the store has too few articles."""
    articles = [
        article for article in session.scalars(
            select(Article).where(Article.status == "published", Article.source.not_like("plan:%")).order_by(Article.id)
        )
        if article.sample_questions
    ]
    if len(articles) < CHOICES:
        return []
    chooser = random.Random(fiscal_year)
    chosen = chooser.sample(articles, min(length, len(articles)))
    questions = []
    for number, article in enumerate(chosen, start=1):
        others = chooser.sample([other for other in articles if other.id != article.id], CHOICES - 1)
        choices = [(item.id, item.title) for item in (article, *others)]
        chooser.shuffle(choices)
        prompt = chooser.choice(article.sample_questions)
        questions.append(QuizQuestion(number, article.id, prompt, tuple(choices)))
    return questions


def passed(correct: int, length: int) -> bool:
    return length > 0 and correct / length >= PASS_SHARE - 1e-9
