"""How commands print data: a readable table for people, JSON for scripts."""

from __future__ import annotations

import json
from typing import Any, Iterable, Sequence

import click


def print_rows(rows: Iterable[dict[str, Any]], columns: Sequence[tuple[str, str]], *, as_json: bool, title: str | None = None,
               no_wrap: Sequence[str] = ()) -> None:
    """Print rows as JSON (all fields) or as a table of the chosen `columns` (key, heading).

    Columns in `no_wrap` (ids people copy, such as a LINE group id) are never folded; the
    other columns give way."""
    rows = list(rows)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))
        return
    # rich is imported only to draw a table: a --json run does not pay for it.
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for key, heading in columns:
        if key in no_wrap:
            table.add_column(heading, no_wrap=True, min_width=max([len(heading)] + [len(str(row.get(key) or "")) for row in rows]))
        else:
            table.add_column(heading, overflow="fold")
    for row in rows:
        table.add_row(*("" if row.get(key) is None else str(row.get(key)) for key, _heading in columns))
    Console().print(table)
