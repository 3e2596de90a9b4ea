"""Plain text files, which in practice are often Markdown-like exports with tab-separated tables.

Lines starting with `#` are headings and runs of lines holding tab characters are tables
(the way a table copied out of Word or a PDF converter arrives). Everything between the
tables is read as Markdown, which leaves ordinary prose unchanged and understands the
headings, bold lines and lists such exports contain.
"""

from __future__ import annotations

from kb.ingest._common import assemble_document, decode_text
from kb.ingest.markdown_reader import markdown_to_blocks
from kb.ingest.passages import (
    Block,
    Heading,
    Paragraph,
    Table,
    clean_inline_text,
    first_heading,
)
from kb.parsed import ParsedDocument

# A first line longer than this is prose, not the title of the file.
MAX_TITLE_LINE_CHARS = 150


def read_text(data: bytes, *, source: str) -> ParsedDocument:
    text = decode_text(data, source=source)
    blocks = text_to_blocks(text)
    return assemble_document(
        blocks,
        data=data,
        source=source,
        body=text,
        title=_title_from_blocks(blocks),
    )


def text_to_blocks(text: str) -> list[Block]:
    blocks: list[Block] = []
    prose: list[str] = []
    table_lines: list[str] = []

    def flush_prose() -> None:
        if any(line.strip() for line in prose):
            blocks.extend(markdown_to_blocks("\n".join(prose)))
        prose.clear()

    def flush_table() -> None:
        if not table_lines:
            return
        rows = [tuple(cell.strip() for cell in line.split("\t")) for line in table_lines]
        if len(rows) == 1 and sum(1 for cell in rows[0] if cell) < 2:
            # A single indented line is prose, not a one-cell table.
            prose.append(table_lines[0].strip())
        else:
            flush_prose()
            blocks.append(Table(rows=tuple(rows)))
        table_lines.clear()

    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if "\t" in line and line.strip():
            table_lines.append(line)
            continue
        flush_table()
        prose.append(line)
    flush_table()
    flush_prose()
    return blocks


def _title_from_blocks(blocks: list[Block]) -> str:
    # Plain text has no title field; by convention its first line is the title, so a
    # short opening paragraph before any heading names the file.
    if blocks and isinstance(blocks[0], Paragraph):
        opening = " ".join(clean_inline_text(blocks[0].text).split("\n"))
        if 0 < len(opening) <= MAX_TITLE_LINE_CHARS:
            return opening
    if blocks and isinstance(blocks[0], Heading) and blocks[0].implied:
        return " ".join(clean_inline_text(blocks[0].text).split("\n"))
    return first_heading(blocks)
