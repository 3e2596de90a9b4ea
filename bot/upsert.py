"""Insert-or-ignore that works the same on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any, Mapping

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignoring_duplicates(
    session: Session, model: type, values: Mapping[str, Any], *, unique_column: str
) -> bool:
    """Insert a row unless one with the same unique value exists; True when a row was inserted."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement = postgresql.insert(model).values(**values).on_conflict_do_nothing(index_elements=[unique_column])
    elif dialect == "sqlite":
        statement = sqlite.insert(model).values(**values).on_conflict_do_nothing(index_elements=[unique_column])
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported deployments
        raise NotImplementedError(f"insert-or-ignore is not implemented for {dialect}")
    # RETURNING tells reliably whether a row went in; rowcount is not reported by every driver.
    inserted = session.execute(statement.returning(*model.__table__.primary_key.columns)).first()
    return inserted is not None
