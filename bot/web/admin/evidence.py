"""The secretary's evidence pages: the printable progress and evidence register of a fiscal
year, evidence files to download, upload and remove, and the year's documents to download
(register XLSX, report and memo DOCX, audit pack ZIP)."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from bot.core.calendar import convert_digits, format_thai_date, format_thai_datetime, now, resolve_period
from bot.reach.register import collect_register, fiscal_years_with_plans
from bot.web.admin import blueprint
from bot.web.extensions import get_config, get_database
from kb.evidence import (
    ActivityKey,
    EvidenceRefused,
    add_evidence,
    check_content,
    display_name,
    evidence_folder,
    remove_evidence,
    stored_path,
    store_bytes,
)
from kb.tables import Activity, EvidenceFile

UPLOADED = "แนบไฟล์ “{name}” กับ {step} {activity} แล้วค่ะ"
REMOVED = "นำไฟล์ “{name}” ออกจากหลักฐานแล้วค่ะ"
NO_FILE = "ยังไม่ได้เลือกไฟล์ค่ะ"
NO_ACTIVITY = "ไม่พบกิจกรรมนี้ในแผนแล้วค่ะ"
DOCUMENTS = {
    "register": ("km-register-{year}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "report": ("km-report-{year}.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "memo": ("km-memo-{year}.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "pack": ("km-pack-{year}.zip", "application/zip"),
}


def _fiscal_year(years: list[int]) -> int:
    """The year asked for, even one without a plan (the page then says so); else the current or latest."""
    asked = request.args.get("fiscal_year", "") or request.form.get("fiscal_year", "")
    return resolve_period(asked, available=None if asked.strip() else years).fiscal_year


@blueprint.get("/evidence")
def evidence() -> str:
    config = get_config()
    with get_database().session() as session:
        years = sorted(fiscal_years_with_plans(session), reverse=True)
        fiscal_year = _fiscal_year(years)
        register = collect_register(session, fiscal_year, config.organisation_name) if fiscal_year in years else None
    return render_template(
        "admin/evidence.html", register=register, years=years, fiscal_year=fiscal_year,
        thai_date=lambda day: convert_digits(format_thai_date(day), "arabic") if day else "",
        thai_moment=lambda moment: format_thai_datetime(moment, "arabic"),
        max_mb=config.evidence_max_bytes // (1024 * 1024),
    )


@blueprint.get("/evidence/file/<int:evidence_id>")
def evidence_file(evidence_id: int) -> ResponseReturnValue:
    with get_database().session() as session:
        row = session.get(EvidenceFile, evidence_id)
        if row is None:
            abort(404)
        path = stored_path(evidence_folder(get_config()), row.sha256, row.content_type)
        name, content_type = row.original_name, row.content_type
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype=content_type, as_attachment=True, download_name=name or path.name)


@blueprint.post("/evidence/upload")
def upload_evidence() -> ResponseReturnValue:
    config = get_config()
    upload = request.files.get("file")
    back = url_for("admin.evidence", fiscal_year=request.form.get("fiscal_year", ""))
    if upload is None or not upload.filename:
        flash(NO_FILE, "error")
        return redirect(back)
    # One byte more than allowed is enough to know it is too large.
    data = upload.stream.read(config.evidence_max_bytes + 1)
    name = Path(upload.filename).name
    try:
        kind = check_content(data, name, config.evidence_max_bytes)
    except EvidenceRefused as refusal:
        flash(str(refusal), "error")
        return redirect(back)
    with get_database().session() as session:
        activity = session.get(Activity, request.form.get("activity_id", type=int) or 0)
        if activity is None:
            flash(NO_ACTIVITY, "error")
            return redirect(back)
        key = ActivityKey.of(activity)
        label = (activity.step, activity.name)
    sha256, _ = store_bytes(evidence_folder(config), data, kind)
    moment = now()
    shown = display_name(name, kind, moment)
    with get_database().session() as session:
        add_evidence(session, key, sha256=sha256, size=len(data), kind=kind, name=shown, origin="admin",
                     user_id=None, sent_at=moment, note=(request.form.get("note") or "").strip()[:500])
    flash(UPLOADED.format(name=shown, step=label[0], activity=label[1]), "success")
    return redirect(back)


@blueprint.post("/evidence/<int:evidence_id>/remove")
def remove_evidence_file(evidence_id: int) -> ResponseReturnValue:
    with get_database().session() as session:
        row = remove_evidence(session, evidence_id, evidence_folder(get_config()))
        if row is None:
            abort(404)
        name, year = row.original_name, row.fiscal_year
    flash(REMOVED.format(name=name), "success")
    return redirect(url_for("admin.evidence", fiscal_year=year))


@blueprint.get("/evidence/download/<document>")
def download_document(document: str) -> ResponseReturnValue:
    from bot.reach.pack import build_pack
    from bot.reach.register import to_xlsx
    from bot.reach.year_report import NoPlanForYear, build_memo_docx, build_report_docx, collect_year

    if document not in DOCUMENTS:
        abort(404)
    config = get_config()
    with get_database().session() as session:
        fiscal_year = _fiscal_year(fiscal_years_with_plans(session))
        try:
            data = collect_year(session, fiscal_year, organisation=config.organisation_name,
                                staff_count=config.staff_count, declared_channels=config.reach_channels)
        except NoPlanForYear as error:
            flash(str(error), "error")
            return redirect(url_for("admin.evidence"))
    file_name, content_type = DOCUMENTS[document]
    # Thai numerals unless the office chooses Arabic (?digits=arabic), as `kmbot report --digits`.
    digits = "arabic" if request.args.get("digits") == "arabic" else "thai"
    if document == "pack":
        # Spooled: a year's evidence may be large; past 32 MB the pack goes to a temporary file.
        stream = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)
        build_pack(data, evidence_folder(config), stream, digits=digits)
        stream.seek(0)
        body = stream
    else:
        content = {"register": lambda: to_xlsx(data.register), "report": lambda: build_report_docx(data, digits=digits),
                   "memo": lambda: build_memo_docx(data, digits=digits)}[document]()
        body = io.BytesIO(content)
    return send_file(body, mimetype=content_type, as_attachment=True, download_name=file_name.format(year=fiscal_year))
