"""The names other layers use for the database handle, so that only ``store`` imports SQLAlchemy."""

from __future__ import annotations

from typing import TypeAlias

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

Session: TypeAlias = AsyncSession
Sessions: TypeAlias = async_sessionmaker[AsyncSession]

__all__ = ["SQLAlchemyError", "Session", "Sessions"]
