"""The audit pack of a fiscal year: one ZIP with the report, the memo, the register, the reach
files, the survey summary and every evidence file filed by plan and activity, and a manifest
(file, size, SHA-256, what it proves) so a reviewer can check that nothing was altered.

The manifest is written twice: `manifest.csv` for people (UTF-8 with BOM for Excel) and
`manifest.json` for scripts. An evidence file recorded in the database but missing from the
evidence folder is listed under `missing` in both, never silently left out.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from bot.core.calendar import Digits
from bot.reach.export import to_csv, to_png
from bot.reach.export import to_xlsx as reach_xlsx
from bot.reach.register import to_xlsx as register_xlsx
from bot.reach.year_report import YearData, build_memo_docx, build_report_docx, survey_summary_csv

MANIFEST_HEADINGS = ("file", "size", "sha256", "proves")


@dataclass(frozen=True)
class PackEntry:
    path: str
    size: int
    sha256: str
    proves: str


@dataclass(frozen=True)
class PackSummary:
    entries: list[PackEntry]
    missing: list[str]

    def as_dict(self) -> dict[str, object]:
        return {"files": [entry.__dict__ for entry in self.entries], "missing": self.missing}


_UNSAFE = re.compile(r"[\\/:*?\"<>|\x00-\x1f]+")


def safe_name(name: str) -> str:
    """A file name that stays one name inside the ZIP on every system."""
    cleaned = _UNSAFE.sub("_", name).strip(" .") or "file"
    return cleaned[:120]


def build_pack(data: YearData, evidence_folder: Path, out: BinaryIO, *, digits: Digits = "thai") -> PackSummary:
    year = data.fiscal_year
    entries: list[PackEntry] = []
    missing: list[str] = []
    chart = to_png(data.reach)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        def add(path: str, content: bytes, proves: str) -> None:
            archive.writestr(path, content)
            entries.append(PackEntry(path, len(content), hashlib.sha256(content).hexdigest(), proves))

        add(f"01-report-{year}.docx", build_report_docx(data, digits=digits, chart_png=chart),
            f"รายงานผลการดำเนินงานตามแผนการจัดการความรู้ ปีงบประมาณ {year}")
        add(f"02-memo-{year}.docx", build_memo_docx(data, digits=digits),
            "ร่างบันทึกข้อความรายงานผลต่อผู้บริหาร (ขั้นตอนที่ 5)")
        add(f"03-register-{year}.xlsx", register_xlsx(data.register),
            "ทะเบียนติดตามความก้าวหน้าและหลักฐานรายกิจกรรม (การติดตามผลตามข้อ 5.1 ของแผน)")
        add(f"04-reach-{year}.xlsx", reach_xlsx(data.reach), "ตัวเลขการเข้าถึงความรู้รายเดือนและตัวชี้วัด (XLSX)")
        add(f"04-reach-{year}.csv", to_csv(data.reach), "ตัวเลขการเข้าถึงความรู้รายเดือนและตัวชี้วัด (CSV)")
        add(f"04-reach-{year}.png", chart, "แผนภูมิการเข้าถึงความรู้รายเดือน")
        add(f"05-survey-{year}.csv", survey_summary_csv(data.survey),
            "สรุปผลการสำรวจความพึงพอใจของบุคลากร (ขั้นตอนที่ 6)")
        for row in data.register.rows:
            for entry in row.evidence:
                stored = evidence_folder / entry.stored_name
                path = f"evidence/{row.key.folder_name()}/{entry.sha256[:8]}-{safe_name(entry.name)}"
                if not stored.is_file():
                    missing.append(path)
                    continue
                add(path, stored.read_bytes(), f"หลักฐานของ {row.step} {row.name} (แผนที่ {row.plan_number})")
        summary = PackSummary(entries, missing)
        archive.writestr("manifest.csv", _manifest_csv(summary))
        archive.writestr("manifest.json", json.dumps(summary.as_dict(), ensure_ascii=False, indent=2))
    return summary


def _manifest_csv(summary: PackSummary) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(MANIFEST_HEADINGS)
    for entry in summary.entries:
        writer.writerow([entry.path, entry.size, entry.sha256, entry.proves])
    for path in summary.missing:
        writer.writerow([path, "", "", "ไม่พบไฟล์ในโฟลเดอร์หลักฐาน (missing)"])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
