"""Evidence of the plan's activities: which files are taken, where they are kept, and which
activity a file belongs to.

A file is kept once, named by its SHA-256 (`<folder>/<hash><extension>`), so a reviewer can check
that nothing was altered and the same photo sent twice takes no more room. What a file is, is
read from its first bytes (never from the name or the type LINE reports): photos (JPEG, PNG),
PDF, Word and Excel (old and new formats). Everything else is refused with a Thai reason.

Evidence rows name the activity by its identity in the plan (fiscal year, plan number, step,
number), not its row id, so importing the plan again keeps them.

Personal data: a row records who sent the file (`user_id`). `kmbot users forget` keeps the
file, which is the office's record of its own work, and removes the link to the person
(`forget_evidence`), as it does for who marked an activity done.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bot.core.calendar import thai_digits
from bot.core.config import Config
from kb.tables import Activity, EvidenceFile, EvidenceRequest, Plan

# What the bot takes, by kind: the content type recorded, the extension stored, the Thai name.
KINDS: dict[str, tuple[str, str, str]] = {
    "jpeg": ("image/jpeg", ".jpg", "รูปภาพ"),
    "png": ("image/png", ".png", "รูปภาพ"),
    "pdf": ("application/pdf", ".pdf", "PDF"),
    "doc": ("application/msword", ".doc", "Word"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx", "Word"),
    "xls": ("application/vnd.ms-excel", ".xls", "Excel"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx", "Excel"),
}
ALLOWED_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".pdf", ".doc", ".docx", ".xls", ".xlsx"})
ALLOWED_TEXT = "รูปภาพ (JPG, PNG), PDF, Word หรือ Excel"

UNSUPPORTED = (
    "ขออภัยค่ะ น้องบอทรับหลักฐานเป็น" + ALLOWED_TEXT + " เท่านั้น "
    "ไฟล์ “{name}” ยังไม่ได้บันทึกนะคะ ลองบันทึกเป็น PDF แล้วส่งใหม่ได้เลยค่ะ"
)
TOO_LARGE = (
    "ขออภัยค่ะ ไฟล์ “{name}” มีขนาด {size} MB เกินกว่าที่รับได้ ({limit} MB) จึงยังไม่ได้บันทึกนะคะ "
    "ลองย่อขนาดไฟล์ หรือให้เลขานุการอัปโหลดผ่านหน้าเว็บผู้ดูแลได้ค่ะ"
)
EMPTY = "ขออภัยค่ะ ไฟล์ “{name}” ว่างเปล่า จึงยังไม่ได้บันทึกนะคะ"

_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class ActivityKey:
    """An activity's identity in the plan, stable across imports."""

    fiscal_year: int
    plan_number: int
    step: str
    number: int | None

    @classmethod
    def of(cls, activity: Activity) -> "ActivityKey":
        return cls(activity.plan.fiscal_year, activity.plan.number, activity.step, activity.number)

    def folder_name(self) -> str:
        """`plan-1/KMP5-05`: where the pack files this activity's evidence."""
        number = f"-{self.number:02d}" if self.number is not None else ""
        return f"plan-{self.plan_number}/{self.step or 'activity'}{number}"


class EvidenceRefused(ValueError):
    """A file the bot does not take; the message is the Thai reply."""


def file_kind(data: bytes, name: str = "") -> str | None:
    """The kind (a key of `KINDS`) the bytes are, or None for anything not taken."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(_OLE_SIGNATURE):
        # Old Word and Excel share one container; the name tells them apart.
        return "xls" if name.lower().endswith(".xls") else "doc"
    if data.startswith(b"PK\x03\x04"):
        return _office_zip_kind(data)
    return None


def _office_zip_kind(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if any(name.startswith("word/") for name in names):
        return "docx"
    if any(name.startswith("xl/") for name in names):
        return "xlsx"
    return None


def megabytes(size: int) -> str:
    return thai_digits(f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip("."))


def check_announced(name: str, size: int | None, max_bytes: int) -> None:
    """Refuse before fetching what LINE already says is not taken: a file's name and size."""
    shown = name or "ไฟล์"
    if name and Path(name).suffix.lower() not in ALLOWED_EXTENSIONS:
        raise EvidenceRefused(UNSUPPORTED.format(name=shown))
    if size is not None and size > max_bytes:
        raise EvidenceRefused(TOO_LARGE.format(name=shown, size=megabytes(size), limit=megabytes(max_bytes)))


def check_content(data: bytes, name: str, max_bytes: int) -> str:
    """The kind of a fetched or uploaded file, or `EvidenceRefused` with the Thai reason."""
    shown = name or "ไฟล์"
    if not data:
        raise EvidenceRefused(EMPTY.format(name=shown))
    if len(data) > max_bytes:
        raise EvidenceRefused(TOO_LARGE.format(name=shown, size=megabytes(len(data)), limit=megabytes(max_bytes)))
    kind = file_kind(data, name)
    if kind is None:
        raise EvidenceRefused(UNSUPPORTED.format(name=shown))
    return kind


def evidence_folder(config: Config) -> Path:
    """KMBOT_EVIDENCE_DIR, or `evidence/` beside the SQLite database, or `./evidence`."""
    if config.evidence_dir:
        return Path(config.evidence_dir)
    url = make_url(config.database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).resolve().parent / "evidence"
    return Path("evidence").resolve()


def stored_path(folder: Path, sha256: str, content_type: str) -> Path:
    extension = next((ext for kind_type, ext, _ in KINDS.values() if kind_type == content_type), "")
    return folder / f"{sha256}{extension}"


def store_bytes(folder: Path, data: bytes, kind: str) -> tuple[str, Path]:
    """Write the file under its hash (atomically; an existing copy is kept); its hash and path."""
    sha256 = hashlib.sha256(data).hexdigest()
    path = stored_path(folder, sha256, KINDS[kind][0])
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    return sha256, path


def display_name(name: str, kind: str, sent_at: datetime) -> str:
    """A name for a photo LINE sends without one."""
    return name or f"photo-{sent_at:%Y%m%d-%H%M%S}{KINDS[kind][1]}"


def add_evidence(
    session: Session,
    key: ActivityKey,
    *,
    sha256: str,
    size: int,
    kind: str,
    name: str,
    origin: str,
    user_id: int | None,
    sent_at: datetime,
    line_message_id: str | None = None,
    note: str = "",
) -> EvidenceFile:
    """Record a stored file as the activity's evidence; the same content twice is one row."""
    existing = session.scalars(_for_key(select(EvidenceFile), key).where(EvidenceFile.sha256 == sha256)).first()
    if existing is not None:
        return existing
    row = EvidenceFile(
        fiscal_year=key.fiscal_year, plan_number=key.plan_number, step=key.step, activity_number=key.number,
        sha256=sha256, size=size, content_type=KINDS[kind][0], original_name=name[:255], origin=origin,
        line_message_id=line_message_id, user_id=user_id, sent_at=sent_at, note=note,
    )
    session.add(row)
    session.flush()
    return row


def _for_key(query, key: ActivityKey):  # type: ignore[no-untyped-def]
    number = EvidenceFile.activity_number.is_(None) if key.number is None else EvidenceFile.activity_number == key.number
    return query.where(
        EvidenceFile.fiscal_year == key.fiscal_year, EvidenceFile.plan_number == key.plan_number,
        EvidenceFile.step == key.step, number,
    )


def evidence_of(session: Session, key: ActivityKey) -> list[EvidenceFile]:
    return list(session.scalars(_for_key(select(EvidenceFile), key).order_by(EvidenceFile.sent_at, EvidenceFile.id)))


def evidence_of_year(session: Session, fiscal_year: int) -> dict[ActivityKey, list[EvidenceFile]]:
    rows = session.scalars(
        select(EvidenceFile).where(EvidenceFile.fiscal_year == fiscal_year).order_by(EvidenceFile.sent_at, EvidenceFile.id)
    )
    found: dict[ActivityKey, list[EvidenceFile]] = {}
    for row in rows:
        found.setdefault(ActivityKey(row.fiscal_year, row.plan_number, row.step, row.activity_number), []).append(row)
    return found


def remove_evidence(session: Session, evidence_id: int, folder: Path) -> EvidenceFile | None:
    """Remove one evidence row; the file goes too when no other row keeps the same content."""
    row = session.get(EvidenceFile, evidence_id)
    if row is None:
        return None
    session.delete(row)
    session.flush()
    still_used = session.scalar(select(EvidenceFile.id).where(EvidenceFile.sha256 == row.sha256).limit(1))
    if still_used is None:
        stored_path(folder, row.sha256, row.content_type).unlink(missing_ok=True)
    return row


def find_activity_by_key(session: Session, key: ActivityKey) -> Activity | None:
    number = Activity.number.is_(None) if key.number is None else Activity.number == key.number
    return session.scalars(
        select(Activity).join(Plan)
        .where(Plan.fiscal_year == key.fiscal_year, Plan.number == key.plan_number, Activity.step == key.step, number)
    ).first()


# --- the window after `/done` ----------------------------------------------------------------


def open_request(session: Session, key: ActivityKey, *, chat_id: str, user_id: int | None, at: datetime,
                 minutes: int) -> EvidenceRequest:
    """Files this person sends in this chat in the next `minutes` attach to the activity; an
    earlier open request of theirs there is replaced (one activity at a time)."""
    session.execute(delete(EvidenceRequest).where(*_same_sender(chat_id, user_id)))
    request = EvidenceRequest(
        chat_id=chat_id, user_id=user_id, fiscal_year=key.fiscal_year, plan_number=key.plan_number,
        step=key.step, activity_number=key.number, opened_at=at, expires_at=at + timedelta(minutes=minutes),
    )
    session.add(request)
    session.flush()
    return request


def open_request_for(session: Session, *, chat_id: str, user_id: int | None, at: datetime) -> EvidenceRequest | None:
    return session.scalars(
        select(EvidenceRequest)
        .where(*_same_sender(chat_id, user_id), EvidenceRequest.opened_at <= at, EvidenceRequest.expires_at >= at)
        .order_by(EvidenceRequest.opened_at.desc())
        .limit(1)
    ).first()


def _same_sender(chat_id: str, user_id: int | None):  # type: ignore[no-untyped-def]
    person = EvidenceRequest.user_id.is_(None) if user_id is None else EvidenceRequest.user_id == user_id
    return (EvidenceRequest.chat_id == chat_id, person)


def request_key(request: EvidenceRequest) -> ActivityKey:
    return ActivityKey(request.fiscal_year, request.plan_number, request.step, request.activity_number)


def forget_evidence(session: Session, user_id: int) -> int:
    """PDPA: the person's files stay as the office's evidence, no longer linked to them; their
    open requests go. Returns how many files were unlinked."""
    unlinked = session.execute(
        update(EvidenceFile).where(EvidenceFile.user_id == user_id).values(user_id=None)
    ).rowcount or 0
    session.execute(delete(EvidenceRequest).where(EvidenceRequest.user_id == user_id))
    return unlinked
