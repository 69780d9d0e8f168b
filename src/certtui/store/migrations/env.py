"""Alembic environment: certtui always hands Alembic an open connection (see store.migrate)."""

from alembic import context

from certtui.store.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
