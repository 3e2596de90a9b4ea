"""Insert-or-ignore that works the same on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignoring_duplicates(
    session: Session, model: type, values: Mapping[str, Any], *, unique_columns: Sequence[str]
) -> Any | None:
    """Insert a row unless one with the same unique key exists.

    Returns the new row's primary key, or None when the row was already there. Two
    processes inserting the same key at once both succeed: one inserts, the other gets None.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        insert = postgresql.insert
    elif dialect == "sqlite":
        insert = sqlite.insert
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported deployments
        raise NotImplementedError(f"insert-or-ignore is not implemented for {dialect}")
    primary_key = model.__table__.primary_key.columns  # type: ignore[attr-defined]
    # RETURNING tells reliably whether a row went in; rowcount is not reported by every driver.
    statement = insert(model).values(**values).on_conflict_do_nothing(index_elements=list(unique_columns)).returning(*primary_key)
    inserted = session.execute(statement).first()
    return inserted[0] if inserted is not None else None
