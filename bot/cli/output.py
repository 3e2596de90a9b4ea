"""How commands print data: a readable table for people, JSON for scripts.

Tables fit the terminal (80 columns when it cannot say). Rich would fold a long cell at any
character, which cuts Thai mid-word (Thai has no spaces between words) and ids mid-way; so the
column widths are chosen here and every cell is wrapped beforehand at Thai word boundaries
(pythainlp's segmenter) and spaces, and ids in `no_wrap` columns are never wrapped at all.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Iterable, Sequence

import click
from rich.cells import cell_len  # light (under 2 ms); Console and Table load only to draw

# A wrapped column is never narrower than this (or its heading), however many columns there are.
MIN_COLUMN_WIDTH = 8
# Rich's default table: a border before each column, one space of padding either side, one border at the end.
CELL_OVERHEAD = 3


def print_rows(rows: Iterable[dict[str, Any]], columns: Sequence[tuple[str, str]], *, as_json: bool, title: str | None = None,
               no_wrap: Sequence[str] = ()) -> None:
    """Print rows as JSON (all fields) or as a table of the chosen `columns` (key, heading).

    Columns in `no_wrap` (ids people copy, such as a LINE group id) are never folded; the
    other columns give way, wrapped between words."""
    rows = list(rows)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return
    # rich is imported only to draw a table: a --json run does not pay for it.
    from rich.console import Console
    from rich.table import Table

    console = Console()
    cells = [["" if row.get(key) is None else str(row.get(key)) for key, _heading in columns] for row in rows]
    widths = column_widths([heading for _key, heading in columns], cells, [key in no_wrap for key, _ in columns], console.width)
    table = Table(title=title)
    for (key, heading), width in zip(columns, widths):
        table.add_column(heading, no_wrap=True, min_width=width, max_width=width)
    for row_cells in cells:
        table.add_row(*(wrap_words(text, width) for text, width in zip(row_cells, widths)))
    console.print(table)


def column_widths(headings: Sequence[str], cells: Sequence[Sequence[str]], fixed: Sequence[bool], total: int) -> list[int]:
    """Each column's width so the table fits `total` cells: fixed columns take their longest
    value; the others share the rest, the widest giving way first (water-filling)."""
    natural = [max([_longest_word(heading)] + [max((cell_len(line) for line in row[index].splitlines()), default=0) for row in cells])
               for index, heading in enumerate(headings)]
    natural = [max(width, 1) for width in natural]
    budget = total - CELL_OVERHEAD * len(headings) - 1 - sum(width for width, keep in zip(natural, fixed) if keep)
    flexible = [index for index, keep in enumerate(fixed) if not keep]
    widths = list(natural)
    floor = {index: min(natural[index], max(MIN_COLUMN_WIDTH, _longest_word(headings[index]))) for index in flexible}
    while flexible and sum(widths[index] for index in flexible) > budget:
        widest = max(flexible, key=lambda index: widths[index] - floor[index])
        if widths[widest] <= floor[widest]:
            break  # every column at its floor: the table is as narrow as it can be
        widths[widest] -= 1
    return widths


def wrap_words(text: str, width: int) -> str:
    """`text` in lines of at most `width` cells, broken between Thai words or at spaces; a word
    longer than a line is cut between characters only then (never a Thai cluster apart)."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for token in _words(paragraph):
            if cell_len(line + token) <= width:
                line += token
                continue
            if line.strip():
                lines.append(line.rstrip())
            line = token.lstrip()
            while cell_len(line) > width:
                head = _fitting_prefix(line, width)
                lines.append(head)
                line = line[len(head):]
        lines.append(line.rstrip())
    return "\n".join(lines)


def _fitting_prefix(text: str, width: int) -> str:
    from pythainlp.tokenize import subword_tokenize

    prefix = ""
    for cluster in subword_tokenize(text, engine="tcc"):
        if cell_len(prefix + cluster) > width and prefix:
            break
        prefix += cluster
    return prefix


def _longest_word(text: str) -> int:
    return max((cell_len(word) for word in _words(text)), default=0)


@lru_cache(maxsize=4096)
def _words(text: str) -> tuple[str, ...]:
    """Words and the spaces between them; Thai is segmented (only when there is Thai)."""
    if not any("\u0e00" <= character <= "\u0e7f" for character in text):
        import re

        return tuple(re.findall(r"\s+|\S+", text))
    from pythainlp.tokenize import word_tokenize

    return tuple(word_tokenize(text, engine="newmm", keep_whitespace=True))
