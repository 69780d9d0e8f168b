"""Column types that are Prisma's on PostgreSQL and their JSON/TEXT equivalents on SQLite."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

Timestamp = sa.DateTime().with_variant(postgresql.TIMESTAMP(precision=3), "postgresql")
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TextList = sa.JSON().with_variant(postgresql.ARRAY(sa.Text()), "postgresql")


def enum_type(enum: type[StrEnum]) -> sa.Enum:
    """A native Postgres enum named like the Python enum (Prisma's naming); TEXT on SQLite."""
    return sa.Enum(
        enum,
        name=enum.__name__,
        values_callable=lambda members: [m.value for m in members],
        native_enum=True,
        create_constraint=False,
        length=None,
    )


def utcnow() -> datetime:
    """The current UTC time without zone, as Prisma stores TIMESTAMP(3)."""
    return datetime.now(UTC).replace(tzinfo=None)
