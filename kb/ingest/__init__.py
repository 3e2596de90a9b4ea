"""Read knowledge files into `ParsedDocument`s: pure functions, file in, data out, no database.

`parse_file` picks the reader by the file's extension; `parse_text` reads text that did not
come from a file (the web editor, tests).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from kb.ingest._common import describe_source
from kb.ingest.docx_reader import read_docx
from kb.ingest.html_reader import read_html
from kb.ingest.markdown_reader import read_markdown
from kb.ingest.text_reader import read_text
from kb.parsed import IngestError, ParsedDocument

Reader = Callable[..., ParsedDocument]

_READERS: dict[str, Reader] = {
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".txt": read_text,
    ".docx": read_docx,
    ".html": read_html,
    ".htm": read_html,
}
SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(_READERS)

# Names `parse_text` accepts for the kind of text it is given.
_TEXT_KINDS: dict[str, Reader] = {
    "md": read_markdown,
    "markdown": read_markdown,
    "txt": read_text,
    "text": read_text,
    "html": read_html,
    "htm": read_html,
}

__all__ = ["SUPPORTED_EXTENSIONS", "IngestError", "ParsedDocument", "parse_file", "parse_text"]


def parse_file(path: Path | str) -> ParsedDocument:
    """Read one file by its extension; raise IngestError naming the file and the reason."""
    # The source is kept exactly as given; resolving it is the store's business.
    source = os.fspath(path)
    path = Path(path)
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        supported = ", ".join(SUPPORTED_EXTENSIONS)
        kind = f'"{path.suffix}"' if path.suffix else "ที่ไม่มีนามสกุล"
        raise IngestError(
            f"นำเข้าไฟล์ {describe_source(source)} ไม่ได้: ไม่รองรับไฟล์ชนิด {kind} (รองรับ {supported})"
        )
    if path.is_dir():
        raise IngestError(f"นำเข้า {describe_source(source)} ไม่ได้: เป็นโฟลเดอร์ ไม่ใช่ไฟล์")
    try:
        data = path.read_bytes()
    except FileNotFoundError as error:
        raise IngestError(f"นำเข้าไฟล์ {describe_source(source)} ไม่ได้: ไม่พบไฟล์ ({source})") from error
    except OSError as error:
        raise IngestError(f"นำเข้าไฟล์ {describe_source(source)} ไม่ได้: เปิดไฟล์ไม่ได้ ({error.strerror})") from error
    if not data.strip():
        raise IngestError(f"นำเข้าไฟล์ {describe_source(source)} ไม่ได้: ไฟล์ว่างเปล่า ไม่มีเนื้อหา")
    return reader(data, source=source)


def parse_text(text: str, *, source: str = "", kind: str = "markdown") -> ParsedDocument:
    """Read text given directly; `kind` is markdown/md, text/txt or html/htm (a leading dot is fine)."""
    reader = _TEXT_KINDS.get(kind.lower().lstrip("."))
    if reader is None:
        accepted = ", ".join(_TEXT_KINDS)
        raise IngestError(f"อ่าน {describe_source(source)} ไม่ได้: ไม่รู้จักชนิดข้อความ \"{kind}\" (ใช้ได้: {accepted})")
    if not text.strip():
        raise IngestError(f"อ่าน {describe_source(source)} ไม่ได้: ไม่มีเนื้อหา")
    return reader(text.encode("utf-8"), source=source)
