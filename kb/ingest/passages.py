"""The common splitter: every reader turns its file into blocks, this module turns blocks into passages.

A passage is what search ranks and what an answer quotes, so it has to stand on its own:
a few sentences under a known heading path, a list together with its lead-in, or one table
row spelled out with its column headers ("header: cell | header: cell").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Iterable, Sequence, Union

from bs4 import BeautifulSoup

from kb.parsed import ParsedPassage

# Sizes are in characters: Thai has no spaces between words, so word counts mean little.
# About 600 characters is three to five Thai sentences, enough to answer one question.
MIN_PASSAGE_CHARS = 150
TARGET_PASSAGE_CHARS = 600
MAX_PASSAGE_CHARS = 800
# A list up to this size stays one passage.
MAX_LIST_CHARS = 1200
# A lead-in longer than this is a paragraph of its own, not an introduction to a list.
MAX_LIST_INTRO_CHARS = 250
# A short line right before a table names the table (e.g. "กิจกรรมการจัดการความรู้").
MAX_TABLE_CAPTION_CHARS = 120
# A bold line longer than this is emphasised prose rather than a heading.
MAX_IMPLIED_HEADING_CHARS = 200
# A bold line restating an enclosing heading must share at least this much of it, so a short
# generic heading ("สรุป") does not swallow the bold lines that begin with it.
MIN_RESTATED_HEADING_CHARS = 12

# How a sentence that introduces what follows ends: "ดังนี้", "ดังต่อไปนี้", "ได้แก่", a colon.
_LEAD_IN_END = re.compile(r"(?:ดังนี้|ดังต่อไปนี้|ได้แก่|:)\s*$")
# How an item of such an enumeration starts: "๒.๑ ", "1. ", "๑) ", "(ก) ", "- ".
_ITEM_START = re.compile(r"^\s*(?:[0-9๐-๙]+(?:\.[0-9๐-๙]+)*[.)]?\s|\(?[0-9๐-๙ก-ฮ]\)\s|[-•*]\s)")

_TABLE_CAPTION_PATTERN = re.compile(r"^\s*(ตารางที่|ตาราง|table)\s*[0-9๐-๙]", re.IGNORECASE)
_SECTION_NUMBER = re.compile(r"^([0-9๐-๙]+(?:\.[0-9๐-๙]+)+)")
_NOTE_LABELS = frozenset({"หมายเหตุ", "note", "notes", "remark", "remarks"})
_HORIZONTAL_SPACE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_ZERO_WIDTH = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff]")


@dataclass(frozen=True)
class Heading:
    """A heading. `implied` marks a bold line or a caption that stands in for a heading.

    Documents converted from Word or PDF often use a bold paragraph instead of a heading
    style; treating it as a heading keeps the text below it findable by that name.
    """

    text: str
    level: int = 1
    implied: bool = False


@dataclass(frozen=True)
class Paragraph:
    text: str
    preformatted: bool = False


@dataclass(frozen=True)
class ListBlock:
    """List items in order; `depths` (0 for top level) marks items of nested lists."""

    items: tuple[str, ...]
    ordered: bool = False
    start: int = 1
    depths: tuple[int, ...] = ()

    def lines(self) -> list[str]:
        """Items as text lines: top-level items numbered or bulleted, nested ones indented."""
        lines: list[str] = []
        number = self.start
        for index, item in enumerate(self.items):
            text = " ".join(clean_inline_text(item).split("\n"))
            if not text:
                continue
            depth = self.depths[index] if index < len(self.depths) else 0
            if depth:
                lines.append("  " * depth + "- " + text)
            elif self.ordered:
                lines.append(f"{number}. {text}")
                number += 1
            else:
                lines.append(f"- {text}")
        return lines


@dataclass(frozen=True)
class Table:
    """Rows of cell texts; the first row is the header."""

    rows: tuple[tuple[str, ...], ...]
    caption: str = ""


Block = Union[Heading, Paragraph, ListBlock, Table]


def clean_inline_text(text: str) -> str:
    """Collapse whitespace on every line and drop empty lines; keeps line breaks."""
    text = _ZERO_WIDTH.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = (_HORIZONTAL_SPACE.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def clean_cell_text(text: str) -> str:
    """A table cell as one line of text, with HTML remnants (`<p>`, `<u>`, ...) removed.

    Cells converted from PDF or Word often still carry markup; BeautifulSoup strips it
    and block tags become line breaks, which are then folded into single spaces.
    """
    if "<" in text and ">" in text:
        soup = BeautifulSoup(text, "lxml")
        for line_break in soup.find_all("br"):
            line_break.replace_with("\n")
        for block in soup.find_all(["p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"]):
            block.insert_before("\n")
            block.insert_after("\n")
        text = soup.get_text()
    return " ".join(clean_inline_text(text).split("\n"))


def normalise_heading_text(text: str) -> str:
    return " ".join(clean_inline_text(text).split("\n")).strip(" *#:")


def is_note_label(text: str) -> bool:
    return normalise_heading_text(text).lower() in _NOTE_LABELS


def is_table_caption(text: str) -> bool:
    return len(text) <= 300 and bool(_TABLE_CAPTION_PATTERN.match(text))


# ---------------------------------------------------------------------------
# Splitting long text


def split_long_text(text: str, max_chars: int = MAX_PASSAGE_CHARS) -> list[str]:
    """Split text longer than `max_chars` into balanced pieces at natural boundaries.

    Thai marks sentence ends with a space or a new line rather than a full stop, so
    line breaks are tried first, then spaces, then Thai character clusters as a last
    resort (never inside a cluster, so vowels and tone marks stay with their letters).
    """
    text = text.strip()
    if len(text) <= max_chars:
        return [text] if text else []
    pieces = _split_into_pieces(text, max_chars)
    return _pack(pieces, max_chars, len(text))


def _split_into_pieces(text: str, max_chars: int) -> list[tuple[str, str]]:
    """Pieces with the separator that goes before them, each at most `max_chars` long."""
    pieces: list[tuple[str, str]] = []
    for line_number, line in enumerate(text.split("\n")):
        line_separator = "\n" if line_number else ""
        if len(line) <= max_chars:
            pieces.append((line_separator, line))
            continue
        for word_number, word in enumerate(line.split(" ")):
            separator = line_separator if word_number == 0 else " "
            if len(word) <= max_chars:
                pieces.append((separator, word))
                continue
            for cluster_number, cluster in enumerate(_cut_unbroken_run(word, max_chars)):
                pieces.append((separator if cluster_number == 0 else "", cluster))
    return pieces


def _cut_unbroken_run(run: str, max_chars: int) -> list[str]:
    # Imported here: loading pythainlp takes a moment and only very long unbroken
    # Thai runs ever need it.
    from pythainlp.tokenize import subword_tokenize

    chunks: list[str] = []
    current = ""
    for cluster in subword_tokenize(run, engine="tcc"):
        if current and len(current) + len(cluster) > max_chars:
            chunks.append(current)
            current = ""
        current += cluster
    if current:
        chunks.append(current)
    return chunks


def _pack(pieces: Sequence[tuple[str, str]], max_chars: int, total_length: int) -> list[str]:
    # Aim for equal parts so the last one is not a stub of a few words.
    part_count = max(1, math.ceil(total_length / max_chars))
    goal = min(max_chars, math.ceil(total_length / part_count) + 20)
    chunks: list[str] = []
    current = ""
    for separator, piece in pieces:
        if not piece:
            continue
        if current and len(current) + len(separator) + len(piece) > goal:
            chunks.append(current.strip())
            current = piece
        else:
            current = current + separator + piece if current else piece
    if current.strip():
        chunks.append(current.strip())
    return chunks


# ---------------------------------------------------------------------------
# Tables


def table_rows_as_text(table: Table) -> tuple[str, list[str]]:
    """Return (caption found inside the table, one text per data row).

    Each row is written with its column headers so that a row alone can answer
    "who is responsible for step 5": "ที่: ๕. | ... | ผู้รับผิดชอบ: หัวหน้าส่วนราชการ".
    """
    rows = [tuple(_clean_table_cell(cell) for cell in row) for row in table.rows]
    rows = [row for row in rows if any(row)]
    inner_caption = ""
    # A first row that is one merged cell is the table's title, not its header.
    if len(rows) >= 2 and _is_single_merged_cell(rows[0]):
        inner_caption = next(cell for cell in rows[0] if cell)
        rows = rows[1:]
    if not rows:
        return inner_caption, []
    header, body = rows[0], rows[1:]
    if not body:
        return inner_caption, [" | ".join(cell for cell in header if cell)]
    texts: list[str] = []
    previous_first_cell = ""
    for row in body:
        cells = list(row)
        # An empty first cell under a filled one is a merged cell in the original
        # (one label spanning several rows); repeat the label so each row stands alone.
        if len(cells) > 1 and not cells[0] and previous_first_cell:
            cells[0] = previous_first_cell
        elif cells and cells[0]:
            previous_first_cell = cells[0]
        texts.append(_row_text(header, cells))
    return inner_caption, [text for text in texts if text]


def _clean_table_cell(text: str) -> str:
    # Imported here: it brings in pythainlp and its dictionary, which only tables need.
    from kb.tokenizer import rejoin_wrapped_words

    cell = clean_cell_text(text)
    # A cell converted from PDF keeps its line wraps as spaces, some inside words
    # ("หัวหน้าส่วน ราชการ"); they split a word for search and read oddly in an answer.
    return rejoin_wrapped_words(cell) if " " in cell else cell


def _is_single_merged_cell(row: Sequence[str]) -> bool:
    filled = [cell for cell in row if cell]
    return len(row) >= 2 and len(filled) >= 1 and len(set(filled)) == 1 and (
        len(filled) == len(row) or len(filled) == 1
    )


def _row_text(header: Sequence[str], cells: Sequence[str]) -> str:
    parts: list[str] = []
    previous: tuple[str, str] | None = None
    for index, cell in enumerate(cells):
        if not cell:
            continue
        name = header[index] if index < len(header) else ""
        # Horizontally merged cells repeat under each column; say them once.
        if previous is not None and previous[1] == cell and (previous[0] == name or not name):
            continue
        parts.append(f"{name}: {cell}" if name and name != cell else cell)
        previous = (name, cell)
    return " | ".join(parts)


# ---------------------------------------------------------------------------
# Blocks to passages


@dataclass
class _HeadingEntry:
    level: float
    text: str
    real: bool


@dataclass
class _Builder:
    passages: list[ParsedPassage] = field(default_factory=list)
    stack: list[_HeadingEntry] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    pending_path: tuple[str, ...] = ()
    last_table_caption: str | None = None
    last_table_width: int = 0

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(entry.text for entry in self.stack)

    def _real_level(self) -> float:
        real_levels = [entry.level for entry in self.stack if entry.real]
        return real_levels[-1] if real_levels else 0

    def emit(self, text: str, path: tuple[str, ...]) -> None:
        text = text.strip()
        if text:
            self.passages.append(ParsedPassage(heading_path=path, text=text, position=len(self.passages)))

    def push_heading(self, heading: Heading) -> None:
        self.flush()
        text = normalise_heading_text(heading.text)
        if not text:
            return
        if heading.implied and self._return_to_restated_section(text):
            return
        # Between a section heading and the headings nested in it there is room for the
        # implied ones: a table caption, below it a bold line standing in for a heading
        # (deeper when numbered deeper, "๑.๑" under "ขั้นตอนที่ ๑"), and innermost a note
        # label ("หมายเหตุ") that some documents even mark up as a full heading.
        if is_note_label(text):
            level, real = self._real_level() + 0.9, False
        elif is_table_caption(text):
            level, real = self._real_level() + 0.4, False
        elif heading.implied:
            level, real = self._real_level() + 0.7 + 0.05 * _numbering_depth(text), False
        else:
            level, real = float(heading.level), True
        while self.stack and self.stack[-1].level >= level:
            self.stack.pop()
        self.stack.append(_HeadingEntry(level=level, text=text, real=real))
        self.last_table_caption = None

    def _return_to_restated_section(self, text: str) -> bool:
        """Close the subsections of the section a bold line restates; True if it only restates it.

        Converted documents repeat a chapter's title in bold before its main part ("**แผนการ
        จัดการความรู้ ... ของกองยุทธศาสตร์ฯ**" after the chapter's "ปัจจัยแห่งความสำเร็จ"
        subsection). Nested by the usual rule, everything after it would sit inside the
        subsection above it; it is the enclosing section speaking again. A bold line that
        equals a run of enclosing headings returns to the last of them; one that starts with
        an enclosing heading and goes on becomes that section's child.
        """
        wanted = _squeezed(text)
        if len(wanted) < MIN_RESTATED_HEADING_CHARS or is_note_label(text) or is_table_caption(text):
            return False
        for start in range(len(self.stack)):
            joined = ""
            for end in range(start, len(self.stack)):
                joined += _squeezed(self.stack[end].text)
                if not wanted.startswith(joined):
                    break
                if len(joined) < MIN_RESTATED_HEADING_CHARS:
                    continue
                anchor = self.stack[end]
                restates = wanted == joined
                runs_on = end + 1 < len(self.stack) and wanted.startswith(joined + _squeezed(self.stack[end + 1].text))
                if restates or not runs_on:
                    del self.stack[end + 1:]
                    if not restates:
                        # Starts with the run of headings and goes on: a child of its last one.
                        self.stack.append(_HeadingEntry(level=anchor.level + 0.7, text=text, real=False))
                    self.last_table_caption = None
                    return True
        return False

    def add_paragraph(self, paragraph: Paragraph) -> None:
        text = clean_inline_text(paragraph.text)
        if not text:
            return
        if not paragraph.preformatted and "\n" not in text and is_table_caption(text):
            self.push_heading(Heading(text=text, implied=True))
            return
        if not self.pending:
            self.pending_path = self.path
        self.pending.append(text)
        self.last_table_caption = None

    def add_list(self, block: ListBlock) -> None:
        lines = [
            piece
            for line in block.lines()
            for piece in (split_long_text(line) if len(line) > MAX_PASSAGE_CHARS else [line])
        ]
        if not lines:
            return
        intro = ""
        # A short paragraph right before the list ("ปัจจัยแห่งความสำเร็จ ... คือ") is its lead-in:
        # the items mean little without it, so they travel together.
        if self.pending and len(self.pending[-1]) <= MAX_LIST_INTRO_CHARS:
            intro = self.pending.pop()
        path = self.pending_path if intro else self.path
        self.flush()
        prefix = [intro] if intro else []
        total = sum(len(line) + 1 for line in lines)
        # A list is one answer ("what are the seven steps"), so it may run longer than a
        # paragraph before it is split, and then into parts of about equal size.
        if total <= MAX_LIST_CHARS:
            self.emit("\n".join(prefix + lines), path)
        else:
            for chunk in _balanced_chunks(lines, total):
                self.emit("\n".join(prefix + chunk), path)
        self.last_table_caption = None

    def add_table(self, table: Table) -> None:
        inner_caption, row_texts = table_rows_as_text(table)
        caption = normalise_heading_text(table.caption or inner_caption)
        width = max((len(row) for row in table.rows), default=0)
        if not caption and self.pending and _looks_like_caption(self.pending[-1]):
            caption = self.pending.pop()
        elif not caption and not self.pending and self.last_table_caption is not None and width == self.last_table_width:
            # A table that continues the one just above it (split by a page break in the
            # original) keeps that table's caption.
            caption = self.last_table_caption
        self.flush()
        if caption:
            # A note ("หมายเหตุ") explains what is above it; a table with a caption of its own
            # after the note is the next part of the section, not part of the note.
            while self.stack and not self.stack[-1].real and is_note_label(self.stack[-1].text):
                self.stack.pop()
        path = self.path + ((caption,) if caption else ())
        for text in row_texts:
            for piece in split_long_text(text, max_chars=2 * MAX_PASSAGE_CHARS):
                self.emit(piece, path)
        self.last_table_caption = caption
        self.last_table_width = width

    def flush(self) -> None:
        """Turn the paragraphs collected under one heading into passages."""
        if not self.pending:
            return
        units: list[str] = []
        for text in self.pending:
            units.extend(split_long_text(text))
        path = self.pending_path
        self.pending = []
        merged: list[str] = []
        # Whether the passage being assembled is a lead-in ("... โดยมีนโยบายสรุปได้ดังนี้")
        # followed by the items it announces, so far.
        announcing = False
        for unit in units:
            if not merged:
                merged.append(unit)
                announcing = _LEAD_IN_END.search(unit) is not None
                continue
            previous = merged[-1]
            combined = len(previous) + 1 + len(unit)
            tiny_before = len(previous) < MIN_PASSAGE_CHARS and combined <= MAX_PASSAGE_CHARS + MIN_PASSAGE_CHARS
            tiny_after = len(unit) < MIN_PASSAGE_CHARS and combined <= TARGET_PASSAGE_CHARS
            # A lead-in alone answers nothing, and the items after it lose what they are items
            # of: like a list with its lead-in, they stay one passage up to the size of a list.
            item = announcing and (_LEAD_IN_END.search(previous) is not None or _ITEM_START.match(unit) is not None)
            if item and combined <= MAX_LIST_CHARS:
                merged[-1] = previous + "\n" + unit
            elif tiny_before or tiny_after:
                merged[-1] = previous + "\n" + unit
                announcing = announcing or _LEAD_IN_END.search(unit) is not None
            else:
                merged.append(unit)
                announcing = _LEAD_IN_END.search(unit) is not None
        for text in merged:
            self.emit(text, path)


def _balanced_chunks(lines: Sequence[str], total: int) -> list[list[str]]:
    """Group whole lines into parts of about equal length, never splitting a line."""
    part_count = math.ceil(total / MAX_PASSAGE_CHARS)
    chunks: list[list[str]] = [[]]
    written = 0
    for line in lines:
        size = len(line) + 1
        boundary = total * len(chunks) / part_count
        # Close the part here when that lands nearer its share than taking one more line.
        if chunks[-1] and len(chunks) < part_count and abs(written - boundary) <= abs(written + size - boundary):
            chunks.append([])
        chunks[-1].append(line)
        written += size
    return chunks


def _numbering_depth(text: str) -> int:
    """0 for "๑ ..." or an unnumbered title, 1 for "๑.๑ ...", 2 for "๑.๑.๑ ..."."""
    match = _SECTION_NUMBER.match(text)
    return min(match.group(1).count("."), 3) if match else 0


def _squeezed(text: str) -> str:
    """Heading text compared without spaces and edge marks: a PDF wraps long titles anywhere."""
    return re.sub(r"\s+", "", normalise_heading_text(text))


def _looks_like_caption(text: str) -> bool:
    return "\n" not in text and len(text) <= MAX_TABLE_CAPTION_CHARS


def build_passages(blocks: Iterable[Block]) -> tuple[ParsedPassage, ...]:
    """Split blocks into passages that each keep the headings above them."""
    builder = _Builder()
    for block in blocks:
        if isinstance(block, Heading):
            builder.push_heading(block)
        elif isinstance(block, Paragraph):
            builder.add_paragraph(block)
        elif isinstance(block, ListBlock):
            builder.add_list(block)
        elif isinstance(block, Table):
            builder.add_table(block)
    builder.flush()
    return tuple(builder.passages)


def first_heading(blocks: Iterable[Block]) -> str:
    for block in blocks:
        if isinstance(block, Heading) and not block.implied:
            text = normalise_heading_text(block.text)
            if text:
                return text
    return ""


# ---------------------------------------------------------------------------
# Blocks back to Markdown, the body the store keeps for formats that are not text


def blocks_to_markdown(blocks: Iterable[Block]) -> str:
    parts: list[str] = []
    for block in blocks:
        if isinstance(block, Heading):
            text = normalise_heading_text(block.text)
            if text:
                parts.append(f"**{text}**" if block.implied else "#" * min(max(block.level, 1), 6) + " " + text)
        elif isinstance(block, Paragraph):
            text = clean_inline_text(block.text)
            if text:
                parts.append(f"```\n{text}\n```" if block.preformatted else "  \n".join(text.split("\n")))
        elif isinstance(block, ListBlock):
            lines = block.lines()
            if lines:
                parts.append("\n".join(lines))
        elif isinstance(block, Table):
            rendered = _table_to_markdown(block)
            if rendered:
                parts.append(rendered)
    return "\n\n".join(parts) + ("\n" if parts else "")


def _table_to_markdown(table: Table) -> str:
    rows = [[clean_cell_text(cell).replace("|", "\\|") for cell in row] for row in table.rows]
    rows = [row for row in rows if any(row)]
    if not rows:
        return ""
    caption = normalise_heading_text(table.caption)
    if len(rows) >= 2 and _is_single_merged_cell(rows[0]):
        caption = caption or next(cell for cell in rows[0] if cell)
        rows = rows[1:]
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * width]
    lines.extend("| " + " | ".join(row) + " |" for row in rows[1:])
    return (f"**{caption}**\n\n" if caption else "") + "\n".join(lines)
