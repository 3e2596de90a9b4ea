"""The reach report's database edge: a few aggregate queries over the interaction log.

Each month of the report is counted on its own (`bot.reach.rollup.count_month`: range queries
on `occurred_at` that the covering index on (kind, occurred_at, user_id, article_id, channel,
recipients, value) answers alone), and a closed month's counts are kept and read back rather
than counted again. The month an event belongs to is decided by the same Bangkok month bounds
on SQLite and PostgreSQL. The period's survey answers, comments and pushed groups are read
live (few rows). Only small results come back to Python, where `bot.reach.figures` does the rest.

SQLite keeps no time zone: times are stored as Bangkok wall-clock time, because the product
reads the time only through `bot.core.calendar.now`, and the bounds below are Bangkok times too.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from bot.core import channels as channel_names_
from bot.core.channels import CHANNEL_LABELS, LINE_PUSH, evidence_channels

from bot.core.calendar import (
    BANGKOK,
    fiscal_month_label,
    fiscal_months,
    fiscal_year_bounds,
    fiscal_year_of,
    last_day_of_month,
    now,
    parse_be_month,
    to_bangkok,
)
from bot.core.tables import InteractionEvent
from bot.reach.figures import (
    COUNTED_KINDS,
    PUSH_KINDS,
    REACH_KINDS,
    ArticleFeedback,
    ArticleReach,
    ChannelFigures,
    Gap,
    IndicatorEvents,
    KindCount,
    PlanTargetText,
    RawCounts,
    ReachReport,
    SurveyAnswer,
    SurveyComment,
    assemble_report,
)
from bot.reach.rollup import month_bounds, month_counts
from kb.gaps import open_gap
from kb.expert_questions import expert_figures
from kb.tables import Activity, Article, KnowledgeGap, Plan

MAX_GAPS = 20
MAX_TOP_ARTICLES = 20


def report_period(
    fiscal_year: int, month: tuple[int, int] | str | None
) -> tuple[list[tuple[int, int]], date, date, str | None]:
    """The months (fiscal order), the first and last day, and the BE month label of a report.

    Raises ValueError when `month` is not a month of `fiscal_year`.
    """
    if month is None:
        first_day, last_day = fiscal_year_bounds(fiscal_year)
        return fiscal_months(fiscal_year), first_day, last_day, None
    year, month_number = parse_be_month(month) if isinstance(month, str) else month
    label = fiscal_month_label(year, month_number)
    if fiscal_year_of(date(year, month_number, 1)) != fiscal_year:
        raise ValueError(f"เดือน {label} ไม่อยู่ในปีงบประมาณ {fiscal_year}")
    return [(year, month_number)], date(year, month_number, 1), last_day_of_month(year, month_number), label


def collect_report(
    session: Session,
    fiscal_year: int,
    month: tuple[int, int] | str | None = None,
    staff_count: int | None = None,
    *,
    declared_channels: tuple[str, ...] = (),
    organisation: str | None = None,
    keep: bool = True,
) -> ReachReport:
    """The reach report of a fiscal year (BE), or of one of its months ("2567-03" or (2024, 3)).

    The evidence figures count LINE's channels and `declared_channels` (KMBOT_REACH_CHANNELS).
    Closed months are counted once and kept (`bot.reach.rollup`), in `session`'s transaction;
    `keep=False` counts every month from the log and writes nothing."""
    months, first_day, last_day, month_label = report_period(fiscal_year, month)
    raw = collect_raw_counts(session, fiscal_year, months, evidence_channels(declared_channels), keep=keep)
    report = assemble_report(
        raw,
        fiscal_year=fiscal_year,
        months=months,
        period_start=first_day,
        period_end=last_day,
        staff_count=staff_count,
        generated_at=now(),
        month_label=month_label,
        organisation=organisation,
    )
    # KMP 6 / CMP 6 evidence: questions that reached the people who know, and what came of them.
    start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=BANGKOK)
    end = datetime(last_day.year, last_day.month, last_day.day, tzinfo=BANGKOK) + timedelta(days=1)
    return replace(report, experts=expert_figures(session, start, end).as_dict())


def collect_raw_counts(
    session: Session, fiscal_year: int, months: list[tuple[int, int]],
    evidence: tuple[str, ...] = evidence_channels(), *, keep: bool = True,
) -> RawCounts:
    """Every aggregate the report needs for the events of `months` (consecutive Bangkok months).

    Only events of the evidence channels make the figures; `by_channel` shows them all. Closed
    months' counts are kept and read back (`bot.reach.rollup`); `keep=False` counts every month
    from the log and writes nothing."""
    is_evidence = InteractionEvent.channel.in_(evidence)
    kind_counts: dict[tuple[int, int], dict[str, KindCount]] = {}
    month_users: dict[tuple[int, int], int] = {}
    people = 0  # bitmaps of users.id (`bot.reach.rollup.bitmap`)
    deliveries: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    raw_channels: set[str] = set()
    article_feedback: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    # Every channel's counts and people come from the same per-month counts as the evidence
    # figures; only the evidence channels' rows make the figures.
    channel_counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    channel_recipients: dict[str, int] = defaultdict(int)
    channel_people: dict[str, int] = defaultdict(int)
    for (year, month), counts in month_counts(session, months, keep=keep).items():
        counted: dict[str, KindCount] = {}
        for (kind, channel), (events, recipients, value_total) in counts.kinds.items():
            shown = LINE_PUSH if kind in PUSH_KINDS and channel in evidence else channel
            channel_counts[shown][kind] += events
            if kind in PUSH_KINDS:
                channel_recipients[shown] += recipients
            if channel in evidence and kind in COUNTED_KINDS:
                known = counted.get(kind, KindCount())
                counted[kind] = KindCount(known.events + events, known.recipients + recipients,
                                          known.value_total + value_total)
        kind_counts[(year, month)] = counted
        active = 0
        for channel, bits in counts.people.items():
            channel_people[channel] |= bits
            if channel in evidence:
                active |= bits
        month_users[(year, month)] = active.bit_count()
        people |= active
        for (kind, article_id, channel), events in counts.deliveries.items():
            if channel in evidence:
                raw_channels.add(channel)
                if article_id is not None:
                    deliveries[article_id][kind] += events
        by_article: dict[int, list[int]] = {}
        for (article_id, channel), (events, helpful) in counts.feedback.items():
            if channel in evidence:
                totals = by_article.setdefault(article_id, [0, 0])
                totals[0] += events
                totals[1] += helpful
        article_feedback[(year, month)] = [(article_id, events, helpful) for article_id, (events, helpful) in by_article.items()]

    start, end = month_bounds(*months[0])[0], month_bounds(*months[-1])[1]
    in_period = and_(InteractionEvent.occurred_at >= start, InteractionEvent.occurred_at < end)
    survey_answers = [
        SurveyAnswer(user_id, occurred_at, int(value))
        for user_id, occurred_at, value in session.execute(
            select(InteractionEvent.user_id, InteractionEvent.occurred_at, InteractionEvent.value)
            .where(InteractionEvent.kind == "survey_answer", in_period, is_evidence, InteractionEvent.value.is_not(None))
        )
    ]
    last_known = session.scalar(
        select(func.count()).where(
            InteractionEvent.kind == "knowledge_push", in_period, is_evidence,
            _last_known_member_count(session.get_bind().dialect.name)
        )
    ) or 0
    gaps, open_gaps = _gaps(session, start, end)
    by_channel = _channel_figures(channel_counts, channel_recipients, channel_people, evidence)
    reach_events = sum(
        channel.kind_counts.get(kind, 0) for channel in by_channel if channel.evidence for kind in REACH_KINDS
    )
    delivery_events = sum(sum(by_kind.values()) for by_kind in deliveries.values())
    titles = _titles(session, {article for rows in article_feedback.values() for article, _events, _helpful in rows})
    # Pushes are a few rows a week; group_id is not in the covering index, so this reads them.
    push_groups = session.scalar(
        select(func.count(func.distinct(InteractionEvent.group_id)))
        .where(InteractionEvent.kind.in_(PUSH_KINDS), in_period, is_evidence)
    ) or 0
    return RawCounts(
        kind_counts=kind_counts,
        month_users=month_users,
        total_users=people.bit_count(),
        survey_answers=survey_answers,
        documents_disseminated=len(deliveries),
        raw_channels=sorted(raw_channels),
        gaps=gaps,
        open_gaps=open_gaps,
        top_articles=_top_articles(session, deliveries),
        plan_activities=_plan_activities(session, fiscal_year),
        last_known_member_counts=int(last_known),
        indicator_events=IndicatorEvents(reach=reach_events, deliveries=delivery_events, survey_answers=len(survey_answers)),
        by_channel=by_channel,
        article_feedback=[
            ArticleFeedback(fiscal_month_label(*pair), article_id, titles.get(article_id, _deleted(article_id)),
                            min(max(helpful, 0), events), events - min(max(helpful, 0), events))
            for pair in months for article_id, events, helpful in sorted(article_feedback.get(pair, []))
        ],
        comments=_comments(session, in_period, is_evidence),
        evidence_channels=list(evidence),
        push_groups=int(push_groups),
    )


def _channel_figures(counts: dict[str, dict[str, int]], recipients: dict[str, int],
                     people: dict[str, int], evidence: tuple[str, ...]) -> list[ChannelFigures]:
    """Every channel's events in the period (evidence or not), LINE's first. Pushes are shown as
    LINE pushes whatever channel an older row carries."""
    order = list(channel_names_.ALL_CHANNELS)
    shown = sorted(set(counts) | set(people), key=lambda name: (order.index(name) if name in order else len(order), name))
    return [
        ChannelFigures(channel, CHANNEL_LABELS.get(channel, channel), channel in evidence,
                       dict(counts.get(channel, {})), recipients.get(channel, 0), people.get(channel, 0).bit_count())
        for channel in shown
    ]


def _comments(session: Session, in_period: ColumnElement[bool], is_evidence: ColumnElement[bool]) -> list[SurveyComment]:
    """Survey answers' comments in the period, oldest first, without who wrote them."""
    found = []
    for occurred_at, value, detail in session.execute(
        select(InteractionEvent.occurred_at, InteractionEvent.value, InteractionEvent.detail)
        .where(InteractionEvent.kind == "survey_answer", in_period, is_evidence, InteractionEvent.detail.is_not(None))
        .order_by(InteractionEvent.occurred_at, InteractionEvent.id)
    ):
        comment = (detail or {}).get("comment") if isinstance(detail, dict) else None
        if isinstance(comment, str) and comment.strip():
            local = to_bangkok(occurred_at)
            found.append(SurveyComment(fiscal_month_label(local.year, local.month), int(value or 0), comment.strip()))
    return found


def _titles(session: Session, article_ids: set[int]) -> dict[int, str]:
    if not article_ids:
        return {}
    return dict(session.execute(select(Article.id, Article.title).where(Article.id.in_(list(article_ids)))).all())


def _deleted(article_id: int) -> str:
    return f"(บทความ {article_id} ถูกลบแล้ว)"


def _last_known_member_count(dialect: str) -> ColumnElement[bool]:
    """Knowledge pushes whose recipients are the group's last known size, not LINE's answer."""
    if dialect == "postgresql":
        return InteractionEvent.detail["member_count_source"].as_string() == "last_known"
    return func.json_extract(InteractionEvent.detail, "$.member_count_source") == "last_known"


def _gaps(session: Session, start: datetime, end: datetime) -> tuple[list[Gap], int]:
    """Open knowledge gaps asked during the period; `count` is how often each was asked in all."""
    asked_in_period = and_(
        open_gap(),
        KnowledgeGap.first_asked_at < end,
        KnowledgeGap.last_asked_at >= start,
    )
    open_gaps = session.scalar(select(func.count()).select_from(KnowledgeGap).where(asked_in_period)) or 0
    rows = session.execute(
        select(KnowledgeGap.question, KnowledgeGap.count)
        .where(asked_in_period)
        .order_by(KnowledgeGap.count.desc(), KnowledgeGap.last_asked_at.desc(), KnowledgeGap.id)
        .limit(MAX_GAPS)
    )
    return [Gap(question, int(count)) for question, count in rows], int(open_gaps)


def _top_articles(session: Session, deliveries: dict[int, dict[str, int]]) -> list[ArticleReach]:
    if not deliveries:
        return []
    titles = _titles(session, set(deliveries))
    articles = [
        ArticleReach(
            article_id=article_id,
            title=titles.get(article_id, _deleted(article_id)),
            views=by_kind.get("article_view", 0),
            answers=by_kind.get("answer", 0),
            pushes=by_kind.get("knowledge_push", 0),
        )
        for article_id, by_kind in deliveries.items()
    ]
    articles.sort(key=lambda article: (-article.total, -article.views, article.article_id))
    return articles[:MAX_TOP_ARTICLES]


def _plan_activities(session: Session, fiscal_year: int) -> list[PlanTargetText]:
    rows = session.execute(
        select(Plan.number, Activity.step, Activity.indicator, Activity.target, Activity.evidence)
        .join(Plan, Activity.plan_id == Plan.id)
        .where(Plan.fiscal_year == fiscal_year)
        .order_by(Plan.number, Activity.position)
    )
    return [PlanTargetText(number, step or "", indicator or "", target or "", evidence or "")
            for number, step, indicator, target, evidence in rows]
