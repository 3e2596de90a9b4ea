"""Pieces every reader shares: decoding text, naming the file in errors, assembling the result."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Sequence

from kb.ingest.passages import Block, build_passages
from kb.parsed import IngestError, ParsedDocument

UNTITLED = "เอกสารไม่มีชื่อเรื่อง"


@dataclass(frozen=True)
class Metadata:
    """What a file may say about itself (Markdown front matter); empty for other formats."""

    title: str = ""
    slug: str = ""
    category: str = ""
    tags: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    sample_questions: tuple[str, ...] = ()
    status: str = ""
    warnings: tuple[str, ...] = field(default=())


def describe_source(source: str) -> str:
    """The file's name as shown to the person importing it."""
    name = PurePath(source).name if source else ""
    return f'"{name}"' if name else "ข้อความที่ส่งมา"


def stem_of(source: str) -> str:
    return PurePath(source).stem if source else ""


def decode_text(data: bytes, *, source: str) -> str:
    """Decode UTF-8 text (a byte-order mark is allowed) or explain why the file is not text."""
    if b"\x00" in data[:4096]:
        raise IngestError(f"อ่านไฟล์ {describe_source(source)} ไม่ได้: ไฟล์นี้ไม่ใช่ไฟล์ข้อความ (มีข้อมูลแบบไบนารี)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        hint = ""
        try:
            # Offices still save Thai text in the old Windows code page; say so, so the
            # person knows which setting to change instead of guessing.
            data.decode("cp874")
            hint = " ดูเหมือนบันทึกด้วยรหัสภาษาไทยแบบเก่า (TIS-620/Windows-874)"
        except UnicodeDecodeError:
            pass
        raise IngestError(
            f"อ่านไฟล์ {describe_source(source)} ไม่ได้: ไฟล์ไม่ได้เข้ารหัสเป็น UTF-8{hint} "
            "กรุณาบันทึกไฟล์ใหม่เป็น UTF-8 แล้วนำเข้าอีกครั้ง"
        ) from error


def assemble_document(
    blocks: Sequence[Block],
    *,
    data: bytes,
    source: str,
    body: str,
    title: str = "",
    metadata: Metadata | None = None,
    warnings: Sequence[str] = (),
) -> ParsedDocument:
    """Build the ParsedDocument; title and slug fall back to the file name."""
    metadata = metadata or Metadata()
    passages = build_passages(blocks)
    if not passages:
        raise IngestError(f"อ่านไฟล์ {describe_source(source)} ไม่ได้: ไม่พบเนื้อหาที่เป็นข้อความในไฟล์")
    stem = stem_of(source)
    return ParsedDocument(
        title=metadata.title or title or stem or UNTITLED,
        body=body,
        source=source,
        content_hash=hashlib.sha256(data).hexdigest(),
        passages=passages,
        slug=metadata.slug or stem,
        category=metadata.category,
        tags=metadata.tags,
        aliases=metadata.aliases,
        sample_questions=metadata.sample_questions,
        status=metadata.status or "published",
        warnings=tuple(metadata.warnings) + tuple(warnings),
    )
