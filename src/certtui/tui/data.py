"""What the screens show: the store's plain views, kept current by engine events (no Textual).

The reads themselves live in ``certtui.store.views``; this module adds what only the screens
need, and applies engine events to the views the app holds, so a screen changes without
reading the database again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from certtui.store.views import (
    READ_ERRORS,
    CellState,
    DetailView,
    JobView,
    ModelRow,
    Snapshot,
    cell_from_unit,
    job_units,
    load_detail,
    load_jobs,
    load_snapshot,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "READ_ERRORS",
    "CellState",
    "DetailView",
    "JobView",
    "ModelRow",
    "Snapshot",
    "cell_from_unit",
    "load_detail",
    "load_job_units",
    "load_jobs",
    "load_snapshot",
]


async def load_job_units(session: AsyncSession, job_id: str) -> list[tuple[str, str, CellState]]:
    """A job's units: (model id, region, cell), by model then region."""
    return [
        (unit.api_model_id, unit.region, unit.cell) for unit in await job_units(session, job_id)
    ]
