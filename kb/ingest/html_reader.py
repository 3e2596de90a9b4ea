"""HTML pages (and Markdown, once rendered to HTML) as blocks, read with BeautifulSoup and lxml."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import Comment, Doctype, ProcessingInstruction

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

# Page furniture that is never knowledge: scripts, styles, menus, forms.
_SKIPPED_TAGS = frozenset(
    {"script", "style", "nav", "noscript", "template", "svg", "iframe", "form", "button", "head", "footer"}
)
_HEADING_TAGS = {f"h{level}": level for level in range(1, 7)}
_LIST_TAGS = frozenset({"ul", "ol"})
# Elements whose content is read as separate blocks rather than as running text.
_CONTAINER_TAGS = frozenset(
    {
        "html", "body", "main", "article", "section", "div", "header", "aside", "blockquote",
        "figure", "details", "center", "dl", "dd", "dt", "address", "fieldset", "hgroup",
    }
)
_BREAKING_TAGS = _CONTAINER_TAGS | _LIST_TAGS | frozenset(
    {"p", "pre", "table", "hr", "li", "tr", "td", "th", "caption", "figcaption", "summary"}
) | frozenset(_HEADING_TAGS)
_BOLD_TAGS = frozenset({"strong", "b"})
_BULLET = re.compile(r"^[-*+•]\s+")


def read_html(data: bytes, *, source: str) -> ParsedDocument:
    """Read an HTML page: h1..h6, paragraphs, lists and tables; menus and scripts are ignored."""
    try:
        # Bytes, not text: BeautifulSoup honours the page's own <meta charset>.
        soup = BeautifulSoup(data, "lxml")
    except Exception as error:  # lxml raises several unrelated types on broken input
        raise IngestError(f"อ่านไฟล์ {describe_source(source)} ไม่ได้: เนื้อหา HTML เสียหาย ({error})") from error
    page_title = ""
    if soup.title and soup.title.string:
        page_title = " ".join(clean_inline_text(soup.title.string).split("\n"))
    blocks = blocks_from_soup(soup)
    return assemble_document(
        blocks,
        data=data,
        source=source,
        body=blocks_to_markdown(blocks),
        title=first_heading(blocks) or page_title,
    )


def blocks_from_html(html: str) -> list[Block]:
    return blocks_from_soup(BeautifulSoup(html, "lxml"))


def blocks_from_soup(soup: BeautifulSoup) -> list[Block]:
    root = soup.body or soup
    blocks: list[Block] = []
    _read_container(root, blocks)
    return blocks


def _read_container(container: Tag, blocks: list[Block]) -> None:
    # Running text directly inside a container (a <div> without <p>) is collected
    # until the next block-level element, so no loose sentence is lost.
    loose: list[Tag | NavigableString] = []

    def flush_loose() -> None:
        if loose:
            _add_paragraph(list(loose), blocks)
            loose.clear()

    for child in container.children:
        if isinstance(child, (Comment, Doctype, ProcessingInstruction)):
            continue
        if isinstance(child, NavigableString):
            loose.append(child)
            continue
        if not isinstance(child, Tag):
            continue
        name = child.name.lower()
        if name in _SKIPPED_TAGS:
            continue
        if name not in _BREAKING_TAGS and name != "br":
            loose.append(child)
            continue
        if name == "br":
            loose.append(child)
            continue
        flush_loose()
        if name in _HEADING_TAGS:
            text = _text_of(child)
            if text:
                blocks.append(Heading(text=text, level=_HEADING_TAGS[name]))
        elif name == "p" or name in {"figcaption", "summary", "caption"}:
            _add_paragraph(list(child.children), blocks)
        elif name == "pre":
            text = child.get_text()
            if text.strip():
                blocks.append(Paragraph(text=text, preformatted=True))
        elif name in _LIST_TAGS:
            items = _list_items(child)
            if items:
                blocks.append(
                    ListBlock(
                        items=tuple(text for text, _ in items),
                        depths=tuple(depth for _, depth in items),
                        ordered=name == "ol",
                        start=_span(child.get("start")),
                    )
                )
        elif name == "table":
            table = _read_table(child)
            if table is not None:
                blocks.append(table)
        elif name == "hr":
            continue
        else:
            _read_container(child, blocks)
    flush_loose()


def _add_paragraph(nodes: list[Tag | NavigableString], blocks: list[Block]) -> None:
    """Add a paragraph; a line in it that is entirely bold becomes an implied heading.

    Converted documents often put a bold section title and its first lines in one
    paragraph, separated only by line breaks.
    """
    lines: list[list[tuple[str, bool]]] = [[]]
    for node in nodes:
        _collect_runs(node, bold=False, lines=lines)
    collected: list[str] = []
    for runs in lines:
        text = clean_inline_text("".join(text for text, _ in runs))
        if text and len(text) <= MAX_IMPLIED_HEADING_CHARS and _entirely_bold(runs):
            _add_plain_paragraph("\n".join(collected), blocks)
            collected = []
            blocks.append(Heading(text=text, implied=True))
        elif text:
            collected.append(text)
    _add_plain_paragraph("\n".join(collected), blocks)


def _add_plain_paragraph(text: str, blocks: list[Block]) -> None:
    text = clean_inline_text(text)
    if not text:
        return
    # Markdown typed without a blank line before a list leaves "- item" lines inside the
    # paragraph; they are still a list to the reader, so they become one.
    lines = text.split("\n")
    first_bullet = next((index for index, line in enumerate(lines) if _BULLET.match(line)), None)
    if first_bullet is not None and all(_BULLET.match(line) for line in lines[first_bullet:]):
        if first_bullet:
            blocks.append(Paragraph(text="\n".join(lines[:first_bullet])))
        items = tuple(_BULLET.sub("", line) for line in lines[first_bullet:])
        blocks.append(ListBlock(items=items))
        return
    blocks.append(Paragraph(text=text))


def _collect_runs(node: Tag | NavigableString, *, bold: bool, lines: list[list[tuple[str, bool]]]) -> None:
    if isinstance(node, (Comment, Doctype, ProcessingInstruction)):
        return
    if isinstance(node, NavigableString):
        # A source line break inside a paragraph is kept: lists typed without a blank
        # line before them and numbered lines ("๑. ...", "๒. ...") stay readable.
        parts = str(node).split("\n")
        for index, part in enumerate(parts):
            if index:
                lines.append([])
            if part:
                lines[-1].append((part, bold))
        return
    name = node.name.lower()
    if name in _SKIPPED_TAGS:
        return
    if name == "br":
        lines.append([])
        return
    for child in node.children:
        _collect_runs(child, bold=bold or name in _BOLD_TAGS, lines=lines)


def _entirely_bold(runs: list[tuple[str, bool]]) -> bool:
    visible = [(text, bold) for text, bold in runs if text.strip()]
    return bool(visible) and all(bold for _, bold in visible)


def _text_of(element: Tag) -> str:
    """Text of an element with block children and <br> turned into line breaks.

    `get_text()` with a separator would put spaces inside Thai words split across inline
    tags, and without one would glue separate paragraphs together; this does neither.
    """
    parts: list[str] = []

    def walk(node: Tag | NavigableString) -> None:
        if isinstance(node, (Comment, Doctype, ProcessingInstruction)):
            return
        if isinstance(node, NavigableString):
            parts.append(str(node))
            return
        name = node.name.lower()
        if name in _SKIPPED_TAGS:
            return
        if name == "br":
            parts.append("\n")
            return
        breaking = name in _BREAKING_TAGS
        if breaking:
            parts.append("\n")
        for child in node.children:
            walk(child)
        if breaking:
            parts.append("\n")

    for child in element.children:
        walk(child)
    return clean_inline_text("".join(parts))


def _list_items(list_element: Tag, depth: int = 0) -> list[tuple[str, int]]:
    """(text, depth) of every item, nested lists following the item they belong to."""
    items: list[tuple[str, int]] = []
    for item in list_element.find_all("li", recursive=False):
        nested = list(item.find_all(list(_LIST_TAGS), recursive=False))
        for child in nested:
            child.extract()
        text = " ".join(_text_of(item).split("\n"))
        if text:
            items.append((text, depth))
        for child in nested:
            items.extend(_list_items(child, depth + 1))
    return items


def _read_table(table: Tag) -> Table | None:
    """Rows as lists of cell texts on a full grid (colspan and rowspan filled in)."""
    own_rows = [row for row in table.find_all("tr") if row.find_parent("table") is table]
    grid: list[list[str]] = []
    # column index -> (text, rows still covered) for cells spanning several rows
    carried: dict[int, tuple[str, int]] = {}
    for row in own_rows:
        cells: list[str] = []
        column = _fill_carried(cells, 0, carried)
        for cell in row.find_all(["td", "th"], recursive=False):
            text = " ".join(_text_of(cell).split("\n"))
            colspan = _span(cell.get("colspan"))
            rowspan = _span(cell.get("rowspan"))
            for _ in range(colspan):
                cells.append(text)
                if rowspan > 1:
                    carried[column] = (text, rowspan - 1)
                column += 1
            column = _fill_carried(cells, column, carried)
        if any(cells):
            grid.append(cells)
    if not grid:
        return None
    caption_element = table.find("caption")
    caption = _text_of(caption_element) if caption_element is not None else ""
    return Table(rows=tuple(tuple(row) for row in grid), caption=" ".join(caption.split("\n")))


def _fill_carried(cells: list[str], column: int, carried: dict[int, tuple[str, int]]) -> int:
    """Append the cells that rows above span into, from `column` on; the next free column."""
    while column in carried:
        text, remaining = carried[column]
        cells.append(text)
        if remaining <= 1:
            del carried[column]
        else:
            carried[column] = (text, remaining - 1)
        column += 1
    return column


def _span(value: object) -> int:
    try:
        return max(1, min(int(str(value)), 100))
    except (TypeError, ValueError):
        return 1
