"""Reach report arithmetic: pure functions from counted events to figures, rates and indicators.

Nothing here touches Flask or the database. `bot.reach.queries` runs the aggregate queries and
hands the counts to `assemble_report`; `bot.reach.export` turns the result into files.

What is counted (each an `InteractionEvent` kind; see docs/reach.md for the audit wording):

Only events of the evidence channels (`bot.core.channels.EVIDENCE_CHANNELS`: LINE 1:1, LINE
groups, LINE pushes, article pages opened from a signed LINE link, plus any channel the office
declares) enter the figures; the simulators, the secretary, previews, robots and anonymous page
views are counted apart, in `by_channel`.

* questions / answered / fallbacks: ``question``, ``answer``, ``fallback`` events.
* distinct users: people (``user_id``) behind any event of `REACH_KINDS`; a person counts once
  per month in the monthly rows and once in the period's total, so the total is not the sum
  of the months. A forgotten person (`kmbot users forget`) still counts: the row stays, only
  the identity is gone.
* article views: ``article_view`` events of channel ``line``: a page opened from a signed
  read-more link, logged once per person, article and Bangkok day.
* feedback: ``feedback`` events, value 1 helpful and 0 not. The handler keeps at most one per
  person, article and day, so every event counts.
* pushes: ``reminder_push`` (to the committee) and ``knowledge_push`` (to staff) events,
  counted apart as well; their recipients are the group's member count at send time, so
  `push_recipients` counts message units (one per member per push), never people.
* survey responses: each person's latest ``survey_answer`` in the report's period (someone who
  answers again changes their answer instead of voting twice); answers without a person (none
  are expected) count one each.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any

from pythainlp.util import thai_digit_to_arabic_digit

from bot.core.calendar import fiscal_month_label, format_thai_month, to_bangkok

FIGURE_KEYS: tuple[str, ...] = (
    "questions",
    "answered",
    "fallbacks",
    "distinct_users",
    "article_views",
    "feedback_helpful",
    "feedback_unhelpful",
    "pushes",
    "push_recipients",
    "survey_responses",
    "reminder_pushes",
    "knowledge_pushes",
)

# Thai column headings for the figures, in FIGURE_KEYS order.
# Each says what it counts and in what unit: คน (distinct people), ครั้ง (events), and
# หน่วยข้อความ (one message delivered to one group member; a sum of member counts is never คน).
FIGURE_HEADINGS: dict[str, str] = {
    "questions": "คำถามผ่าน LINE (ครั้ง)",
    "answered": "ตอบได้ (ครั้ง)",
    "fallbacks": "ตอบไม่ได้ (ครั้ง)",
    "distinct_users": "บุคลากรที่ใช้งานผ่าน LINE (คน)",
    "article_views": "อ่านบทความจากลิงก์ใน LINE (คน×บทความ×วัน)",
    "feedback_helpful": "กด 👍 มีประโยชน์ (ครั้ง)",
    "feedback_unhelpful": "กด 👎 ยังไม่ตรง (ครั้ง)",
    "pushes": "ส่งข้อความถึงกลุ่มทั้งหมด (ครั้ง)",
    "push_recipients": "ข้อความถึงสมาชิกกลุ่ม (หน่วยข้อความ)",
    "survey_responses": "ตอบแบบสอบถาม (คน)",
    "reminder_pushes": "แจ้งเตือนคณะทำงาน KM (ครั้ง)",
    "knowledge_pushes": "ส่งความรู้ประจำสัปดาห์ถึงบุคลากร (ครั้ง)",
}

PUSH_KINDS: tuple[str, ...] = ("reminder_push", "knowledge_push")
# Events that show a person was reached. Leaving (unfollow, leave, member_left) is not reach.
REACH_KINDS: tuple[str, ...] = (
    "question",
    "answer",
    "fallback",
    "article_view",
    "link_click",
    "feedback",
    "survey_answer",
    "follow",
    "command",
)
# Events that deliver a document of the knowledge store to someone.
DELIVERY_KINDS: tuple[str, ...] = ("answer", "article_view", "knowledge_push")
# Kinds whose per-month counts make the figures (surveys are deduplicated separately).
COUNTED_KINDS: tuple[str, ...] = ("question", "answer", "fallback", "article_view", "feedback", *PUSH_KINDS)

# A channel is a medium the office reports, not a chat type: a LINE group, a 1:1 chat and a
# push are all LINE, and an article page opened from a signed LINE link is the web site.
CHANNEL_NAMES: dict[str, str] = {"1:1": "LINE", "group": "LINE", "push": "LINE", "line": "เว็บไซต์"}

SATISFIED_SCORES = (4, 5)
SURVEY_SCORES = range(1, 6)

# Targets used when the imported plan of the year does not state one. They are the values the
# sample FY 2567 plan sets (and the usual OPDC-model thresholds), so a year without an imported
# plan is judged the way the office judged the last one; the report names the source of each.
DEFAULT_STAFF_PERCENT_TARGET = 80
DEFAULT_SATISFACTION_TARGET = 80
DEFAULT_CHANNELS_TARGET = 2
DEFAULT_DOCUMENTS_TARGET = 2
DEFAULT_TARGET_SOURCE = "ค่าเริ่มต้น (ไม่พบในแผนที่นำเข้า)"


# --- counting ------------------------------------------------------------------------------


@dataclass(frozen=True)
class KindCount:
    """One kind's events in one month: how many, their summed recipients and summed values."""

    events: int = 0
    recipients: int = 0
    value_total: int = 0


@dataclass(frozen=True)
class Figures:
    """The report's numbers for one month or for the whole period."""

    questions: int = 0
    answered: int = 0
    fallbacks: int = 0
    distinct_users: int = 0
    article_views: int = 0
    feedback_helpful: int = 0
    feedback_unhelpful: int = 0
    pushes: int = 0
    push_recipients: int = 0
    survey_responses: int = 0
    reminder_pushes: int = 0
    knowledge_pushes: int = 0
    # Not in the JSON contract: what the satisfaction percent and mean are computed from.
    survey_satisfied: int = 0
    survey_score_total: int = 0

    def as_dict(self) -> dict[str, int]:
        return {key: getattr(self, key) for key in FIGURE_KEYS}

    @property
    def answer_rate(self) -> float | None:
        return percent(self.answered, self.questions)

    @property
    def satisfaction_percent(self) -> float | None:
        return percent(self.survey_satisfied, self.survey_responses)

    @property
    def satisfaction_mean(self) -> float | None:
        return mean(self.survey_score_total, self.survey_responses)

    @property
    def helpful_percent(self) -> float | None:
        return percent(self.feedback_helpful, self.feedback_helpful + self.feedback_unhelpful)

    @property
    def accesses(self) -> int:
        """Times staff got knowledge out of the store: answers given and article pages read."""
        return self.answered + self.article_views


@dataclass(frozen=True)
class SurveyAnswer:
    user_id: int | None
    occurred_at: datetime
    score: int


def percent(part: float, whole: float) -> float | None:
    """`part` as a percentage of `whole`, one decimal; None when there is nothing to divide by."""
    if not whole:
        return None
    return round(100.0 * part / whole, 1)


def mean(total: float, count: int) -> float | None:
    if not count:
        return None
    return round(total / count, 2)


def latest_answer_per_person(answers: Iterable[SurveyAnswer]) -> list[SurveyAnswer]:
    """Each person's last valid answer; anonymous answers each stand alone. Ordered by time."""
    latest: dict[int, SurveyAnswer] = {}
    anonymous: list[SurveyAnswer] = []
    for answer in answers:
        if answer.score not in SURVEY_SCORES:
            continue
        if answer.user_id is None:
            anonymous.append(answer)
            continue
        known = latest.get(answer.user_id)
        if known is None or _moment_key(answer.occurred_at) >= _moment_key(known.occurred_at):
            latest[answer.user_id] = answer
    return sorted([*latest.values(), *anonymous], key=lambda answer: _moment_key(answer.occurred_at))


def _moment_key(moment: datetime) -> datetime:
    return to_bangkok(moment)


def month_of(moment: datetime) -> tuple[int, int]:
    """(CE year, month) of a moment in Bangkok; a naive moment (SQLite) is Bangkok wall time."""
    local = to_bangkok(moment)
    return local.year, local.month


def figures_from_counts(counts: Mapping[str, KindCount], distinct_users: int, survey_scores: Sequence[int]) -> Figures:
    """One month's figures from its per-kind counts, its distinct users and its survey scores."""
    feedback = counts.get("feedback", KindCount())
    helpful = min(max(feedback.value_total, 0), feedback.events)
    pushes = [counts.get(kind, KindCount()) for kind in PUSH_KINDS]
    scores = [score for score in survey_scores if score in SURVEY_SCORES]
    return Figures(
        questions=counts.get("question", KindCount()).events,
        answered=counts.get("answer", KindCount()).events,
        fallbacks=counts.get("fallback", KindCount()).events,
        distinct_users=distinct_users,
        article_views=counts.get("article_view", KindCount()).events,
        feedback_helpful=helpful,
        feedback_unhelpful=feedback.events - helpful,
        pushes=sum(push.events for push in pushes),
        push_recipients=sum(push.recipients for push in pushes),
        survey_responses=len(scores),
        reminder_pushes=pushes[0].events,
        knowledge_pushes=pushes[1].events,
        survey_satisfied=sum(1 for score in scores if score in SATISFIED_SCORES),
        survey_score_total=sum(scores),
    )


def add_figures(months: Iterable[Figures], distinct_users: int) -> Figures:
    """The period's totals: every count summed, except distinct users, which are given
    (someone active in three months is one person, not three)."""
    summed = {item.name: 0 for item in fields(Figures)}
    for figures in months:
        for name in summed:
            summed[name] += getattr(figures, name)
    summed["distinct_users"] = distinct_users
    return Figures(**summed)


# --- plan targets ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanTargetText:
    """An activity of the imported plan, as far as its indicator and target matter here."""

    plan_number: int
    step: str
    indicator: str
    target: str
    evidence: str = ""


@dataclass(frozen=True)
class TargetNumber:
    value: float
    unit: str  # "percent", "channels", "items", "times", "examples"


_PERCENT_BEFORE = re.compile(r"ร้อยละ\s*(\d+(?:\.\d+)?)")
_PERCENT_AFTER = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%|เปอร์เซ็นต์|เปอร์เซนต์)")
_COUNT = re.compile(r"(\d+)\s*(ช่องทาง|เรื่อง|รายการ|ครั้ง|ตัวอย่าง)")
_COUNT_UNITS = {"ช่องทาง": "channels", "เรื่อง": "items", "รายการ": "items", "ครั้ง": "times", "ตัวอย่าง": "examples"}


def read_target_numbers(text: str) -> list[TargetNumber]:
    """The numbers a plan's target text sets, with their unit, in the order written.

    "ร้อยละ ๘๐" -> 80 percent, "อย่างน้อย ๗๐%" -> 70 percent, "อย่างน้อย ๒ ช่องทาง" -> 2 channels,
    "จำนวนอย่างน้อย ๒ เรื่อง" -> 2 items. Every target of the OPDC-model plan is a minimum
    ("อย่างน้อย", "ไม่น้อยกว่า"), so the number is a floor the value has to reach.
    """
    plain = " ".join(thai_digit_to_arabic_digit(text or "").split())
    found: list[tuple[int, TargetNumber]] = []
    for pattern in (_PERCENT_BEFORE, _PERCENT_AFTER):
        for match in pattern.finditer(plain):
            found.append((match.start(), TargetNumber(float(match.group(1)), "percent")))
    for match in _COUNT.finditer(plain):
        found.append((match.start(), TargetNumber(float(match.group(1)), _COUNT_UNITS[match.group(2)])))
    return [number for _position, number in sorted(found, key=lambda item: item[0])]


def _first_number(text: str, unit: str) -> float | None:
    for number in read_target_numbers(text):
        if number.unit == unit:
            return number.value
    return None


def _plain_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _source(activity: PlanTargetText) -> str:
    return f"แผนที่ {activity.plan_number} {activity.step}: {' '.join(activity.target.split())}"


@dataclass(frozen=True)
class ChosenTarget:
    value: int | float
    source: str


# For "percent of staff reached", the step whose target speaks about all relevant staff, in
# order of preference: KMP 7 (learning) sets the plan's share of staff who learned, CMP 1 and
# CMP 2 the share who know and understand the KM goals.
_STAFF_PERCENT_STEPS = ("KMP7", "CMP1", "CMP2")


def staff_percent_targets(activities: Sequence[PlanTargetText]) -> dict[int, ChosenTarget]:
    """Per plan number, the percentage of staff its KM plan aims to reach."""
    chosen: dict[int, ChosenTarget] = {}
    by_plan: dict[int, list[PlanTargetText]] = {}
    for activity in activities:
        by_plan.setdefault(activity.plan_number, []).append(activity)
    for plan_number, plan_activities in sorted(by_plan.items()):
        ordered = sorted(
            plan_activities,
            key=lambda activity: _STAFF_PERCENT_STEPS.index(activity.step) if activity.step in _STAFF_PERCENT_STEPS else len(_STAFF_PERCENT_STEPS),
        )
        for activity in ordered:
            if activity.step not in _STAFF_PERCENT_STEPS and "บุคลากร" not in activity.target:
                continue
            value = _first_number(activity.target, "percent")
            if value is not None:
                chosen[plan_number] = ChosenTarget(_plain_number(value), _source(activity))
                break
    return chosen


def _strictest(activities: Iterable[PlanTargetText], unit: str, accept: Callable[[PlanTargetText], bool]) -> ChosenTarget | None:
    best: ChosenTarget | None = None
    for activity in activities:
        if not accept(activity):
            continue
        value = _first_number(activity.target, unit)
        if value is not None and (best is None or value > best.value):
            best = ChosenTarget(_plain_number(value), _source(activity))
    return best


def satisfaction_target(activities: Sequence[PlanTargetText]) -> ChosenTarget:
    """The strictest percent target of an activity whose indicator or target is about satisfaction."""
    found = _strictest(
        activities, "percent", lambda activity: "พึงพอใจ" in activity.indicator or "พึงพอใจ" in activity.target
    )
    return found or ChosenTarget(DEFAULT_SATISFACTION_TARGET, DEFAULT_TARGET_SOURCE)


def channels_target(activities: Sequence[PlanTargetText]) -> ChosenTarget:
    """KMP 5 (access to knowledge): "จัดเก็บและเผยแพร่ อย่างน้อย ๒ ช่องทาง"."""
    found = _strictest(activities, "channels", lambda activity: activity.step == "KMP5")
    return found or ChosenTarget(DEFAULT_CHANNELS_TARGET, DEFAULT_TARGET_SOURCE)


def documents_target(activities: Sequence[PlanTargetText]) -> ChosenTarget:
    """KMP 5/6 (access and sharing): a number of documents (เรื่อง, รายการ) to disseminate."""
    found = _strictest(activities, "items", lambda activity: activity.step in ("KMP5", "KMP6"))
    return found or ChosenTarget(DEFAULT_DOCUMENTS_TARGET, DEFAULT_TARGET_SOURCE)


# --- indicators -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    key: str
    name: str
    value: int | float | None
    target: int | float | None
    met: bool | None
    unit: str
    target_source: str = ""
    note: str = ""
    # How the value is computed from the log (Thai), or NOT_MEASURED and the evidence to add.
    rule: str = ""
    # How many logged events the value rests on (None when the bot does not measure it).
    events: int | None = None

    @property
    def measured(self) -> bool:
        return self.rule != NOT_MEASURED

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "value": self.value, "target": self.target, "met": self.met,
                "rule": self.rule, "events": self.events, "unit": self.unit, "measured": self.measured,
                "target_source": self.target_source, "note": self.note}


def is_met(value: int | float | None, target: int | float | None) -> bool | None:
    """Targets are floors; None when either side is unknown (no target, or nothing to measure)."""
    if value is None or target is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value >= target


NOT_MEASURED = "ไม่ได้วัดโดยบอท"
NO_TARGET = "แผนไม่ได้กำหนดค่าเป้าหมาย"

# The rule of each measured indicator, as the report prints it beside the value.
RULES: dict[str, str] = {
    "accesses": "คำตอบจากคลังความรู้ (answer) + การอ่านบทความจากลิงก์ใน LINE (article_view ช่องทาง line, "
                "1 ครั้งต่อคนต่อบทความต่อวัน) เฉพาะช่องทาง LINE",
    "distinct_users": "จำนวนคนไม่ซ้ำ (users.id) ที่ถาม ได้คำตอบ อ่านบทความ กดประเมิน ตอบแบบสอบถาม "
                      "เพิ่มเพื่อน หรือใช้คำสั่ง ผ่านช่องทาง LINE",
    "staff_reached_percent": "บุคลากรที่ใช้งานผ่าน LINE ÷ จำนวนบุคลากร (หน้าตั้งค่า) × 100; "
                             "ร้อยละในแผน (KMP 7, CMP 1–2) เป็นเป้าหมายการเรียนรู้/ความเข้าใจ จึงไม่นำมาเทียบ",
    "documents_disseminated": "จำนวนบทความไม่ซ้ำที่ส่งถึงบุคลากรทาง LINE: ใช้ตอบคำถาม อ่านจากลิงก์ "
                              "หรือส่งเป็นความรู้ประจำสัปดาห์",
    "channels": "สื่อที่บอทใช้เผยแพร่จริง: LINE และเว็บไซต์ (เมื่อมีผู้อ่านจากลิงก์ใน LINE); "
                "สื่ออื่นในแผน (บอร์ด เอกสาร เฟสบุ๊ก) ต้องแนบหลักฐานเอง",
    "satisfaction_percent": "ร้อยละผู้ตอบ /แบบสอบถาม ที่ให้ 4–5 คะแนน (คำตอบล่าสุดของแต่ละคนในช่วงเวลา); "
                            "วัดความพึงพอใจต่อบอทและคลังความรู้ ไม่ใช่ต่อกิจกรรม KM ทั้งหมด",
    "answer_rate": "answer ÷ question × 100 ผ่านช่องทาง LINE",
    "helpful_percent": "👍 ÷ (👍 + 👎) × 100 ผ่านช่องทาง LINE (1 ครั้งต่อคนต่อบทความต่อวัน)",
    "knowledge_gaps": "คำถามที่ยังไม่มีคำตอบ (knowledge_gaps ที่ยังไม่ปิด) ซึ่งถูกถามในช่วงเวลา",
}


def _indicator(key: str, name: str, value: int | float | None, unit: str,
               target: ChosenTarget | None = None, note: str = "", *, events: int | None = None,
               rule: str | None = None) -> Indicator:
    target_value = target.value if target is not None else None
    rule_key = "staff_reached_percent" if key.startswith("staff_reached_percent") else key
    return Indicator(
        key=key, name=name, value=value, target=target_value, met=is_met(value, target_value), unit=unit,
        target_source=target.source if target is not None else NO_TARGET, note=note,
        rule=rule if rule is not None else RULES.get(rule_key, ""), events=events,
    )


# Indicators of the plan about what staff learned, know or understand: the bot's log cannot
# show these; the office evidences them with its own assessment.
_UNMEASURED_WORDS = ("เรียนรู้", "เข้าใจ", "ทราบ", "ตัวอย่าง", "รางวัล", "ยกย่อง")
_UNIT_NAMES = {"percent": "ร้อยละ", "channels": "ช่องทาง", "items": "เรื่อง", "times": "ครั้ง", "examples": "ตัวอย่าง"}
DEFAULT_EVIDENCE = "ผลแบบประเมินหรือแบบทดสอบของหน่วยงาน / รายงานการประชุม"


def _measured_by_bot(activity: PlanTargetText, unit: str) -> bool:
    """Whether one of the bot's figures answers this target (and nothing else in it)."""
    text = f"{activity.indicator} {activity.target}"
    if any(word in text for word in _UNMEASURED_WORDS):
        return False
    if unit == "percent" and "พึงพอใจ" in text:
        return True
    return activity.step in ("KMP5", "KMP6") and unit in ("channels", "items")


def unmeasured_indicators(activities: Sequence[PlanTargetText]) -> list[Indicator]:
    """Each numeric target of the plan no figure of the bot answers, with the evidence to add."""
    found: list[Indicator] = []
    seen: set[tuple[int, str, str]] = set()
    for activity in activities:
        for number in read_target_numbers(activity.target) or read_target_numbers(activity.indicator):
            if _measured_by_bot(activity, number.unit):
                continue
            indicator_text = " ".join(activity.indicator.replace("-", " ").split()) or "(ไม่ระบุตัวชี้วัด)"
            key = (activity.plan_number, activity.step, indicator_text)
            if key in seen:
                continue
            seen.add(key)
            evidence = " ".join((activity.evidence or "").replace("-", " ").split()) or DEFAULT_EVIDENCE
            found.append(Indicator(
                key=f"unmeasured_{activity.plan_number}_{activity.step}_{len(found)}",
                name=f"{indicator_text} (แผนที่ {activity.plan_number} {activity.step})",
                value=None, target=_plain_number(number.value), met=None, unit=_UNIT_NAMES[number.unit],
                target_source=_source(activity), note=f"หลักฐานที่หน่วยงานต้องเพิ่ม: {evidence}",
                rule=NOT_MEASURED, events=None,
            ))
    return found


@dataclass(frozen=True)
class IndicatorEvents:
    """How many logged events each figure rests on (evidence channels only)."""

    reach: int = 0  # events behind distinct_users
    deliveries: int = 0  # answer, article_view and knowledge_push events behind documents and channels
    survey_answers: int = 0  # survey_answer events of the period (before keeping each person's latest)


def build_indicators(
    totals: Figures,
    *,
    staff_count: int | None,
    plan_activities: Sequence[PlanTargetText],
    documents_disseminated: int,
    channels: Sequence[str],
    open_gaps: int,
    events: IndicatorEvents = IndicatorEvents(),
) -> list[Indicator]:
    """The plan's indicators for the period: each measured one with its value, target, rule and
    the events it rests on; then each target of the plan the bot does not measure."""
    reached = percent(totals.distinct_users, staff_count) if staff_count else None
    reached_note = "" if staff_count else "ยังไม่ได้ตั้งจำนวนบุคลากร (ตั้งได้ที่หน้า ตั้งค่า)"
    indicators = [
        _indicator("accesses", "จำนวนการเข้าถึงคลังความรู้ (KMP 5)", totals.accesses, "ครั้ง",
                   note="คำถามที่ตอบได้ + การอ่านบทความจากลิงก์ใน LINE", events=totals.accesses),
        _indicator("distinct_users", "จำนวนบุคลากรที่ใช้งานผ่าน LINE", totals.distinct_users, "คน",
                   events=events.reach),
        _indicator("staff_reached_percent", "ร้อยละของบุคลากรที่ใช้งานผ่าน LINE", reached, "ร้อยละ",
                   note=reached_note, events=events.reach),
        _indicator("documents_disseminated", "จำนวนเอกสารความรู้ที่เผยแพร่ทาง LINE", documents_disseminated, "เรื่อง",
                   documents_target(plan_activities), events=events.deliveries),
        _indicator("channels", "จำนวนช่องทางการเผยแพร่ความรู้ที่บอทใช้", len(channels), "ช่องทาง",
                   channels_target(plan_activities), note=", ".join(channels), events=events.deliveries),
        _indicator("satisfaction_percent", "ความพึงพอใจต่อบอท (ร้อยละผู้ให้ 4–5 คะแนน, KMP 7)", totals.satisfaction_percent,
                   "ร้อยละ", satisfaction_target(plan_activities),
                   note=f"ผู้ตอบ {totals.survey_responses} คน คะแนนเฉลี่ย {_or_dash(totals.satisfaction_mean)}",
                   events=events.survey_answers),
        _indicator("answer_rate", "อัตราการตอบคำถามได้", totals.answer_rate, "ร้อยละ",
                   note=f"ตอบได้ {totals.answered} จาก {totals.questions} คำถาม", events=totals.questions),
        _indicator("helpful_percent", "คำตอบที่ผู้ใช้ประเมินว่ามีประโยชน์", totals.helpful_percent, "ร้อยละ",
                   events=totals.feedback_helpful + totals.feedback_unhelpful),
        _indicator("knowledge_gaps", "คำถามที่ยังตอบไม่ได้ (รอเพิ่มความรู้)", open_gaps, "เรื่อง", events=open_gaps),
    ]
    return indicators + unmeasured_indicators(plan_activities)


def _or_dash(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def channel_names(raw_channels: Iterable[str]) -> list[str]:
    """The media used, in a stable order (LINE first), from the events' channel values."""
    names = {CHANNEL_NAMES.get(channel, channel) for channel in raw_channels if channel}
    order = list(dict.fromkeys(CHANNEL_NAMES.values()))
    return sorted(names, key=lambda name: (order.index(name) if name in order else len(order), name))


# --- the report -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthRow:
    year: int  # CE
    month: int
    figures: Figures

    @property
    def label(self) -> str:
        """"2567-03": the BE year-month, as `--month` takes it (SPEC's "YYYY-MM")."""
        return fiscal_month_label(self.year, self.month)

    @property
    def thai_label(self) -> str:
        return format_thai_month(self.year, self.month, "arabic")


@dataclass(frozen=True)
class Gap:
    question: str
    count: int


@dataclass(frozen=True)
class ArticleReach:
    article_id: int
    title: str
    views: int
    answers: int
    pushes: int = 0

    @property
    def total(self) -> int:
        return self.views + self.answers + self.pushes


@dataclass(frozen=True)
class RawCounts:
    """What the database edge gathers; `assemble_report` does the rest."""

    kind_counts: Mapping[tuple[int, int], Mapping[str, KindCount]]
    month_users: Mapping[tuple[int, int], int]
    total_users: int
    survey_answers: Sequence[SurveyAnswer]
    documents_disseminated: int = 0
    raw_channels: Sequence[str] = ()
    gaps: Sequence[Gap] = ()
    open_gaps: int = 0
    top_articles: Sequence[ArticleReach] = ()
    plan_activities: Sequence[PlanTargetText] = ()
    last_known_member_counts: int = 0
    indicator_events: IndicatorEvents = IndicatorEvents()
    by_channel: Sequence["ChannelFigures"] = ()
    article_feedback: Sequence["ArticleFeedback"] = ()
    comments: Sequence["SurveyComment"] = ()
    evidence_channels: Sequence[str] = ()
    push_groups: int = 0


@dataclass(frozen=True)
class ChannelFigures:
    """One channel's events in the period, whether or not they are evidence."""

    channel: str
    label: str
    evidence: bool
    kind_counts: Mapping[str, int]
    push_recipients: int = 0
    distinct_users: int = 0

    @property
    def events(self) -> int:
        return sum(self.kind_counts.values())

    def as_dict(self) -> dict[str, object]:
        counts = self.kind_counts
        return {
            "channel": self.channel, "label": self.label, "evidence": self.evidence,
            "questions": counts.get("question", 0), "answered": counts.get("answer", 0),
            "fallbacks": counts.get("fallback", 0), "article_views": counts.get("article_view", 0),
            "feedback": counts.get("feedback", 0), "survey_answers": counts.get("survey_answer", 0),
            "reminder_pushes": counts.get("reminder_push", 0), "knowledge_pushes": counts.get("knowledge_push", 0),
            "push_recipients": self.push_recipients, "distinct_users": self.distinct_users, "events": self.events,
        }


@dataclass(frozen=True)
class ArticleFeedback:
    """👍 and 👎 on one article in one month (evidence channels)."""

    month: str  # "2567-03"
    article_id: int
    title: str
    helpful: int
    unhelpful: int


@dataclass(frozen=True)
class SurveyComment:
    """A survey answer's comment (`/ความเห็น`), without who wrote it."""

    month: str
    score: int
    comment: str


@dataclass(frozen=True)
class ReachReport:
    fiscal_year: int
    month: str | None  # "2567-03" when the report covers one month
    period_start: date
    period_end: date  # inclusive
    staff_count: int | None
    generated_at: datetime
    months: list[MonthRow]
    totals: Figures
    indicators: list[Indicator]
    gaps: list[Gap]
    top_articles: list[ArticleReach] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    documents_disseminated: int = 0
    last_known_member_counts: int = 0
    open_gaps: int = 0
    by_channel: list[ChannelFigures] = field(default_factory=list)
    article_feedback: list[ArticleFeedback] = field(default_factory=list)
    comments: list[SurveyComment] = field(default_factory=list)
    evidence_channels: list[str] = field(default_factory=list)
    push_groups: int = 0
    organisation: str | None = None
    # Questions sent to the experts group in the period (kb.expert_questions.ExpertFigures):
    # sent, answered, median hours to answer, published articles made from them, still open.
    experts: dict[str, Any] = field(default_factory=dict)

    @property
    def staff_reached_percent(self) -> float | None:
        return percent(self.totals.distinct_users, self.staff_count) if self.staff_count else None

    @property
    def period_label(self) -> str:
        if self.month:
            year, month = self.months[0].year, self.months[0].month
            return f"เดือน {format_thai_month(year, month, 'arabic')}"
        return f"ปีงบประมาณ {self.fiscal_year}"


def assemble_report(
    raw: RawCounts,
    *,
    fiscal_year: int,
    months: Sequence[tuple[int, int]],
    period_start: date,
    period_end: date,
    staff_count: int | None,
    generated_at: datetime,
    month_label: str | None = None,
    organisation: str | None = None,
) -> ReachReport:
    """Months in the given (fiscal) order, zero-filled; totals; indicators against the plan."""
    scores_by_month: dict[tuple[int, int], list[int]] = {}
    for answer in latest_answer_per_person(raw.survey_answers):
        scores_by_month.setdefault(month_of(answer.occurred_at), []).append(answer.score)
    rows = [
        MonthRow(year, month, figures_from_counts(
            raw.kind_counts.get((year, month), {}), raw.month_users.get((year, month), 0), scores_by_month.get((year, month), [])
        ))
        for year, month in months
    ]
    totals = add_figures((row.figures for row in rows), raw.total_users)
    channels = channel_names(raw.raw_channels)
    indicators = build_indicators(
        totals,
        staff_count=staff_count,
        plan_activities=raw.plan_activities,
        documents_disseminated=raw.documents_disseminated,
        channels=channels,
        open_gaps=raw.open_gaps,
        events=raw.indicator_events,
    )
    return ReachReport(
        fiscal_year=fiscal_year,
        month=month_label,
        period_start=period_start,
        period_end=period_end,
        staff_count=staff_count,
        generated_at=generated_at,
        months=rows,
        totals=totals,
        indicators=indicators,
        gaps=list(raw.gaps),
        top_articles=list(raw.top_articles),
        channels=channels,
        documents_disseminated=raw.documents_disseminated,
        last_known_member_counts=raw.last_known_member_counts,
        open_gaps=raw.open_gaps,
        by_channel=list(raw.by_channel),
        article_feedback=list(raw.article_feedback),
        comments=list(raw.comments),
        evidence_channels=list(raw.evidence_channels),
        push_groups=raw.push_groups,
        organisation=organisation,
    )

