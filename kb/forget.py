"""Forgetting a person's knowledge contributions (PDPA), beside `bot.core.people.forget_user`.

What a person wrote stays nowhere once they are forgotten: their `/share` tips are deleted (a tip
the committee already published lives on as the office's article, no longer linked to them), and
the evidence notes they typed with `/done` are removed from the activities and from the public
plan article that shows them. That an activity was done, and when, stays: it is the office's plan.
Evidence files they sent stay too, as the office's record of its work, but no longer name them
(`kb.evidence.forget_evidence`); their open requests for evidence are dropped.
Their questions to the experts and their answers go too (`kb.expert_questions.forget_expert_data`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kb.evidence import forget_evidence
from kb.expert_questions import forget_expert_data
from kb.plan_store import refresh_plan_article
from kb.tables import Activity, SharedTip


@dataclass(frozen=True)
class ForgottenContributions:
    tips_removed: int
    notes_removed: int
    evidence_unlinked: int = 0
    expert_questions_removed: int = 0
    expert_answers_removed: int = 0


def forget_contributions(session: Session, user_id: int) -> ForgottenContributions:
    tips = session.execute(delete(SharedTip).where(SharedTip.user_id == user_id)).rowcount or 0
    activities = list(session.scalars(select(Activity).where(Activity.done_by_user_id == user_id)))
    notes = 0
    plans = {}
    for activity in activities:
        if activity.evidence_note:
            notes += 1
        activity.evidence_note = None
        activity.done_by_user_id = None
        plans[activity.plan_id] = activity.plan
    unlinked = forget_evidence(session, user_id)
    session.flush()
    for plan in plans.values():
        refresh_plan_article(session, plan)
    experts = forget_expert_data(session, user_id)
    return ForgottenContributions(
        tips_removed=tips, notes_removed=notes, evidence_unlinked=unlinked,
        expert_questions_removed=experts.questions_removed + experts.questions_unlinked,
        expert_answers_removed=experts.answers_removed,
    )
