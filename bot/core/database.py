"""The database: one engine and session factory per app, the declarative base for every table,
and the insert-or-ignore that every unique claim uses (webhook events, people, gaps, deliveries)."""

from __future__ import annotations

import threading
from contextlib import contextmanager, nullcontext
from typing import Any, Iterator, Mapping, Sequence

from sqlalchemy import MetaData, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

# Stable constraint names so migrations behave the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Database:
    """An engine and a session factory, created once when the app is built."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_database_engine(url)
        self.session_factory = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time, and its busy handler makes waiting writers sleep and
        # retry, so under load some requests lost the race for seconds (docs/performance.md).
        # The threads of this process take turns here instead, in order. Re-entrant, so a unit
        # of work may open another in the same thread.
        self._sqlite_turn = threading.RLock() if self.is_sqlite else None
        # How many units of work this thread has open: nothing slow (a LINE call) may run inside one.
        self._open = threading.local()

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back when it raises."""
        with self._sqlite_turn or nullcontext():
            self._open.depth = self.open_units_of_work + 1
            session = self.session_factory()
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()
                self._open.depth -= 1

    @property
    def open_units_of_work(self) -> int:
        """Units of work (and so transactions, and on SQLite the writers' turn) open in this thread.

        A network call made while this is above zero holds a transaction, and on SQLite every
        other thread of the process, for as long as the network takes."""
        return getattr(self._open, "depth", 0)

    def checkpoint(self) -> None:
        """On SQLite, copy the write-ahead log into the database file and empty it, so erased data
        does not linger in the -wal file; nothing to do on PostgreSQL."""
        if not self.is_sqlite:
            return
        with self.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


def create_database_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # Several threads of one process share the file; WAL lets readers work while one writes.
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _configure_sqlite_connection)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _configure_sqlite_connection(dbapi_connection, _connection_record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Deleted and overwritten content is zeroed in the file, so what `users forget` erases is gone
    # from the disk too, not merely unlinked (a little more writing, never noticed at this size).
    cursor.execute("PRAGMA secure_delete=ON")
    if not _is_memory_database(dbapi_connection):
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _is_memory_database(dbapi_connection) -> bool:  # type: ignore[no-untyped-def]
    rows = dbapi_connection.execute("PRAGMA database_list").fetchall()
    return any(row[1] == "main" and not row[2] for row in rows)


def insert_ignoring_duplicates(
    session: Session, model: type, values: Mapping[str, Any], *, unique_columns: Sequence[str]
) -> Any | None:
    """Insert a row unless one with the same unique key exists.

    Returns the new row's primary key, or None when the row was already there. Two
    processes inserting the same key at once both succeed: one inserts, the other gets None.
    """
    primary_key = model.__table__.primary_key.columns  # type: ignore[attr-defined]
    # RETURNING tells reliably whether a row went in; rowcount is not reported by every driver.
    statement = _insert(session)(model).values(**values).on_conflict_do_nothing(index_elements=list(unique_columns)).returning(*primary_key)
    inserted = session.execute(statement).first()
    return inserted[0] if inserted is not None else None


def upsert_statement(session: Session, model: type):  # type: ignore[no-untyped-def]
    """The dialect's INSERT for `model`, which knows ON CONFLICT … DO UPDATE and RETURNING."""
    return _insert(session)(model)


def _insert(session: Session):  # type: ignore[no-untyped-def]
    """The dialect's INSERT, which knows ON CONFLICT (SQLite and PostgreSQL both do)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert

        return insert
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert

        return insert
    raise NotImplementedError(f"ON CONFLICT is not implemented for {dialect}")  # pragma: no cover
