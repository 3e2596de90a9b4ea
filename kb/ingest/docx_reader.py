"""Word (.docx) files read with python-docx, body walked in document order."""

from __future__ import annotations

import io
import re

import docx
from docx.document import Document as WordDocument
from docx.oxml.ns import qn
from docx.table import Table as WordTable
from docx.text.paragraph import Paragraph as WordParagraph

from kb.ingest._common import assemble_document, describe_source
from kb.ingest.passages import (
    MAX_IMPLIED_HEADING_CHARS,
    Block,
    Heading,
    ListBlock,
    Paragraph,
    Table,
    blocks_to_markdown,
    clean_inline_text,
    first_heading,
)
from kb.parsed import IngestError, ParsedDocument

_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)
# How far up the "based on" chain to look for a heading style: custom styles are
# usually one or two steps away from a built-in one.
_MAX_STYLE_DEPTH = 5


def read_docx(data: bytes, *, source: str) -> ParsedDocument:
    """Read a .docx: Heading 1..n give the heading path; tables stay under their heading."""
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as error:  # python-docx surfaces zip, XML and package errors alike
        raise IngestError(
            f"อ่านไฟล์ {describe_source(source)} ไม่ได้: ไฟล์ .docx เสียหายหรือไม่ใช่ไฟล์ Word ที่ถูกต้อง "
            "(ลองเปิดใน Word แล้วบันทึกเป็น .docx ใหม่)"
        ) from error
    blocks = docx_to_blocks(document)
    return assemble_document(
        blocks,
        data=data,
        source=source,
        body=blocks_to_markdown(blocks),
        title=first_heading(blocks),
    )


def docx_to_blocks(document: WordDocument) -> list[Block]:
    blocks: list[Block] = []
    list_items: list[str] = []
    list_ordered = False

    def flush_list() -> None:
        if list_items:
            blocks.append(ListBlock(items=tuple(list_items), ordered=list_ordered))
            list_items.clear()

    for item in document.iter_inner_content():
        if isinstance(item, WordTable):
            flush_list()
            table = _read_table(item)
            if table is not None:
                blocks.append(table)
            continue
        text = clean_inline_text(item.text)
        if not text:
            continue
        level = _heading_level(item)
        if level is not None:
            flush_list()
            blocks.append(Heading(text=text, level=level))
        elif _is_list_item(item):
            list_ordered = _is_numbered(item)
            list_items.append(text)
        else:
            flush_list()
            if len(text) <= MAX_IMPLIED_HEADING_CHARS and "\n" not in text and _entirely_bold(item):
                blocks.append(Heading(text=text, implied=True))
            else:
                blocks.append(Paragraph(text=text))
    flush_list()
    return blocks


def _heading_level(paragraph: WordParagraph) -> int | None:
    style = paragraph.style
    for _ in range(_MAX_STYLE_DEPTH):
        if style is None:
            break
        name = (style.name or "").strip()
        if name.lower() == "title":
            return 0
        match = _HEADING_STYLE.match(name)
        if match:
            return int(match.group(1))
        style = style.base_style
    # Some files mark headings only with an outline level in the paragraph itself.
    properties = paragraph._p.pPr
    outline = properties.find(qn("w:outlineLvl")) if properties is not None else None
    if outline is not None:
        try:
            value = int(outline.get(qn("w:val")))
        except (TypeError, ValueError):
            return None
        # Level 9 means "body text" in Word's outline.
        return value + 1 if value < 9 else None
    return None


def _is_list_item(paragraph: WordParagraph) -> bool:
    properties = paragraph._p.pPr
    if properties is not None and properties.numPr is not None:
        return True
    name = (paragraph.style.name or "") if paragraph.style is not None else ""
    return name.lower().startswith("list")


def _is_numbered(paragraph: WordParagraph) -> bool:
    name = (paragraph.style.name or "") if paragraph.style is not None else ""
    return "number" in name.lower()


def _entirely_bold(paragraph: WordParagraph) -> bool:
    runs = [run for run in paragraph.runs if run.text.strip()]
    if not runs:
        return False
    style_bold = bool(paragraph.style is not None and paragraph.style.font.bold)
    return all(run.bold or (run.bold is None and style_bold) for run in runs)


def _read_table(table: WordTable) -> Table | None:
    rows: list[tuple[str, ...]] = []
    for row in table.rows:
        # `row.cells` repeats a merged cell under every column it spans, which keeps
        # the cells aligned with the header; repeated values are folded later.
        cells = tuple(" ".join(clean_inline_text(cell.text).split("\n")) for cell in row.cells)
        if any(cells):
            rows.append(cells)
    if not rows:
        return None
    return Table(rows=tuple(rows))
