"""A simulated year over the sample plan, then the year-end documents, timed.

    python benchmarks/year_report.py --out-dir /tmp/km-year          # writes the four documents
    python benchmarks/year_report.py --out-dir /tmp/km-year --json

On a fresh SQLite database: imports the sample FY 2567 plan, marks the first activities of
each plan done on days through the year with a photo and a PDF as evidence, records 40 survey
answers (with a few comments) and 600 questions, then times gathering the year and writing the
report, the memo, the register and the audit pack. The report's DOCX is what docs/evidence.md's
picture is rendered from.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SAMPLE_PLAN = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_7109b574315d70a7.txt"
PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
COMMENTS = ("อยากให้มีคู่มือการเขียนรายงาน KM", "ตอบเร็วดีค่ะ", "ควรเพิ่มความรู้เรื่องงบประมาณ")


def simulate(database, evidence_dir: Path) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image
    from sqlalchemy import select

    from bot.core.calendar import BANGKOK
    from bot.core.people import ensure_user
    from bot.core.tables import InteractionEvent
    from kb.evidence import ActivityKey, add_evidence, store_bytes
    from kb.plan_document import read_plan_file
    from kb.plan_store import mark_activity_done, save_plan_reading
    from kb.tables import Activity

    random.seed(2567)
    with database.session() as session:
        save_plan_reading(session, read_plan_file(SAMPLE_PLAN))
        member = ensure_user(session, "U2222222222222222222222222222cccc", datetime(2023, 10, 1, tzinfo=BANGKOK))
        member.role = "committee"
        session.flush()
        activities = [activity for activity in session.scalars(select(Activity).order_by(Activity.plan_id, Activity.position))
                      if activity.deadline is not None and activity.deadline.year == 2024 and activity.deadline.month <= 6]
        for index, activity in enumerate(activities):
            done_at = datetime.combine(activity.deadline, datetime.min.time(), tzinfo=BANGKOK) - timedelta(days=3) + timedelta(hours=12)
            mark_activity_done(session, activity, user_id=member.id, note=f"รายงานการประชุมครั้งที่ {index + 1}/2567", at=done_at)
            image = io.BytesIO()
            Image.new("RGB", (320, 240), (30 + index * 20 % 200, 80, 140)).save(image, "JPEG")
            for kind, data, name in (("jpeg", image.getvalue(), f"photo-{index + 1}.jpg"), ("pdf", PDF_BYTES + bytes([index]), f"บันทึกกิจกรรม-{index + 1}.pdf")):
                sha256, _ = store_bytes(evidence_dir, data, kind)
                add_evidence(session, ActivityKey.of(activity), sha256=sha256, size=len(data), kind=kind, name=name,
                             origin="line", user_id=member.id, sent_at=done_at)
        staff = [ensure_user(session, f"U{index:031d}ab", datetime(2023, 10, 1, tzinfo=BANGKOK)) for index in range(60)]
        session.flush()
        start = datetime(2023, 10, 2, 9, tzinfo=BANGKOK)
        for number in range(600):
            person = random.choice(staff)
            moment = start + timedelta(hours=random.randrange(0, 360 * 24))
            session.add(InteractionEvent(kind="question", occurred_at=moment, channel="1:1", user_id=person.id))
            if random.random() < 0.8:
                session.add(InteractionEvent(kind="answer", occurred_at=moment, channel="1:1", user_id=person.id))
        for number, person in enumerate(staff[:40]):
            score = random.choice((5, 5, 4, 4, 4, 3, 2))
            detail = {"via": "button", **({"comment": COMMENTS[number % 3]} if number % 13 == 0 else {})}
            session.add(InteractionEvent(kind="survey_answer", occurred_at=datetime(2024, 8, 15, 10, tzinfo=BANGKOK) + timedelta(minutes=number),
                                         channel="1:1", user_id=person.id, value=score, detail=detail))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()
    arguments.out_dir.mkdir(parents=True, exist_ok=True)

    from bot.core.config import Config
    from bot.core.database import Database
    from bot.core.migrate import upgrade_database
    from bot.reach.pack import build_pack
    from bot.reach.register import to_xlsx
    from bot.reach.year_report import build_memo_docx, build_report_docx, collect_year

    with tempfile.TemporaryDirectory() as folder:
        config = Config(database_url=f"sqlite:///{folder}/year.db", public_holidays=False)
        database = Database(config.database_url)
        upgrade_database(database)
        evidence_dir = Path(folder) / "evidence"
        simulate(database, evidence_dir)
        timings: dict[str, dict[str, float | int]] = {}
        started = time.perf_counter()
        with database.session() as session:
            data = collect_year(session, 2567, organisation="องค์การบริหารส่วนจังหวัดตัวอย่าง")
        timings["gather the year"] = {"seconds": round(time.perf_counter() - started, 2), "bytes": 0}
        for name, build in (("report.docx", lambda: build_report_docx(data)), ("memo.docx", lambda: build_memo_docx(data)),
                            ("register.xlsx", lambda: to_xlsx(data.register))):
            started = time.perf_counter()
            content = build()
            (arguments.out_dir / name).write_bytes(content)
            timings[name] = {"seconds": round(time.perf_counter() - started, 2), "bytes": len(content)}
        started = time.perf_counter()
        with (arguments.out_dir / "pack.zip").open("wb") as stream:
            summary = build_pack(data, evidence_dir, stream)
        timings["pack.zip"] = {"seconds": round(time.perf_counter() - started, 2),
                               "bytes": (arguments.out_dir / "pack.zip").stat().st_size, "files": len(summary.entries)}
        database.dispose()
    facts = {"activities": data.activities, "done": data.register.done_count, "evidence_files": data.register.evidence_count,
             "survey_responses": data.survey.responses, "timings": timings}
    if arguments.json:
        print(json.dumps(facts, ensure_ascii=False, indent=2))
        return
    print(f"{facts['activities']} activities, {facts['done']} done, {facts['evidence_files']} evidence files, "
          f"{facts['survey_responses']} survey answers")
    print(f"{'step':<18}{'seconds':>9}{'bytes':>12}")
    for step, timing in timings.items():
        print(f"{step:<18}{timing['seconds']:>9.2f}{timing['bytes']:>12,}")


if __name__ == "__main__":
    main()
