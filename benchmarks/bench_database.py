"""An empty database for one benchmark run: a SQLite file, or a PostgreSQL schema of its own."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def empty_database(kind: str, postgres_url: str, workdir: Path, *, prefix: str) -> Iterator[str]:
    """The URL of an empty database, removed afterwards.

    SQLite: a file in `workdir`. PostgreSQL: a new schema in `postgres_url`, selected with
    `?options=-csearch_path%3D<schema>` and dropped at the end.
    """
    if kind == "sqlite":
        yield f"sqlite:///{workdir / f'{prefix}.db'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        try:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        except OperationalError as error:
            raise SystemExit(
                f"PostgreSQL at {admin.url.render_as_string(hide_password=True)} does not answer "
                f"({type(error.orig).__name__}); pass --postgres-url, or --database sqlite"
            ) from None
        separator = "&" if "?" in postgres_url else "?"
        try:
            yield f"{postgres_url}{separator}options=-csearch_path%3D{schema}"
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        admin.dispose()
