"""Alembic environment: runs on the connection `bot.core.migrate` hands it, or on `sqlalchemy.url`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

# The one place that sees every layer's tables: each layer owns its own `tables` module.
import bot.core.tables  # noqa: E402,F401
import kb.tables  # noqa: E402,F401
import scheduler.tables  # noqa: E402,F401
from bot.core.database import Base

target_metadata = Base.metadata


def run_migrations(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    run_migrations(connection)
else:
    engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
    with engine.connect() as new_connection:
        run_migrations(new_connection)
