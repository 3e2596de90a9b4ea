"""Paging for the admin lists: a page number read safely from `?page=`, and the rows of that page.

One person can send thousands of `/share` tips, and a busy office gathers thousands of people and
articles: without paging such a list became a page of megabytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

MAX_PAGE = 100_000


@dataclass(frozen=True)
class Page:
    items: list[Any]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None


def requested_page(argument: str = "page") -> int:
    """The page asked for in the query string: 1 for anything missing, malformed or out of range."""
    raw = request.args.get(argument, "1")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6:
        return 1
    return min(max(int(raw), 1), MAX_PAGE)


def paginate(session: Session, query: Select[Any], size: int, argument: str = "page", *, scalars: bool = True) -> Page:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    number = min(requested_page(argument), max(1, -(-total // size)))
    page_query = query.limit(size).offset((number - 1) * size)
    items = list(session.scalars(page_query)) if scalars else list(session.execute(page_query).all())
    return Page(items, number, size, total)
