"""certtui's history of verdicts: one ``certification_results`` row per finished unit.

The finished rows ``model_certifications`` holds (COMPLETED, FAILED, CANCELLED) are copied
into the history, so every verdict known before the upgrade stays in it.

Revision ID: 0004
Revises: 0003
"""

import uuid
from enum import StrEnum

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from certtui.domain.enums import CertificationStatus
from certtui.store.types import Json, Timestamp

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TERMINAL = ("COMPLETED", "FAILED", "CANCELLED")
BATCH = 500
COPIED = (
    "modelId", "region", "jobId", "status", "passed", "score", "rating", "errorCategory",
    "errorMessage", "testResults", "startedAt", "completedAt", "duration", "createdBy",
)  # fmt: skip


def _enum(enum: type[StrEnum]) -> sa.types.TypeEngine:
    values = [member.value for member in enum]
    return sa.Enum(*values, name=enum.__name__).with_variant(
        postgresql.ENUM(*values, name=enum.__name__, create_type=False), "postgresql"
    )


def upgrade() -> None:
    results = op.create_table(
        "certification_results",
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("modelId", sa.Text, nullable=False),
        sa.Column("region", sa.Text, nullable=False),
        sa.Column("jobId", sa.Text),
        sa.Column("status", _enum(CertificationStatus), nullable=False),
        sa.Column("passed", sa.Boolean),
        sa.Column("score", sa.Double),
        sa.Column("rating", sa.Text),
        sa.Column("errorCategory", sa.Text),
        sa.Column("errorMessage", sa.Text),
        sa.Column("testResults", Json),
        sa.Column("invokeId", sa.Text),
        sa.Column("simulated", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("startedAt", Timestamp),
        sa.Column("completedAt", Timestamp),
        sa.Column("duration", sa.Integer),
        sa.Column(
            "createdAt", Timestamp, nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")
        ),
        sa.Column("createdBy", sa.Text),
        sa.PrimaryKeyConstraint("id", name="certification_results_pkey"),
        sa.ForeignKeyConstraint(
            ["modelId"],
            ["ai_models.id"],
            name="certification_results_modelId_fkey",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["jobId"],
            ["certification_jobs.id"],
            name="certification_results_jobId_fkey",
            ondelete="SET NULL",
            onupdate="CASCADE",
        ),
    )
    op.create_index(
        "certification_results_modelId_region_completedAt_idx",
        "certification_results",
        ["modelId", "region", "completedAt"],
    )
    op.create_index("certification_results_jobId_idx", "certification_results", ["jobId"])
    _copy_finished_rows(results)


def _copy_finished_rows(results: sa.Table) -> None:
    """Copy every finished ``model_certifications`` row into the history, in batches."""
    bind = op.get_bind()
    types: dict[str, sa.types.TypeEngine] = {
        "status": _enum(CertificationStatus), "passed": sa.Boolean(), "score": sa.Double(),
        "testResults": Json, "startedAt": Timestamp, "completedAt": Timestamp,
        "duration": sa.Integer(), "updatedAt": Timestamp,
    }  # fmt: skip
    certs = sa.table(
        "model_certifications",
        sa.column("id", sa.Text),
        sa.column("updatedAt", Timestamp),
        *(sa.column(name, types.get(name, sa.Text())) for name in COPIED),
    )
    jobs = sa.table("certification_jobs", sa.column("id", sa.Text))
    known_jobs = set(bind.execute(sa.select(jobs.c.id)).scalars())
    last = ""
    while True:
        rows = (
            bind.execute(
                sa.select(certs)
                .where(certs.c.id > last, certs.c.status.in_(TERMINAL))
                .order_by(certs.c.id)
                .limit(BATCH)
            )
            .mappings()
            .all()
        )
        if not rows:
            return
        last = rows[-1]["id"]
        copies = []
        for row in rows:
            results_doc = row["testResults"] if isinstance(row["testResults"], dict) else {}
            copy = {name: row[name] for name in COPIED}
            if copy["jobId"] not in known_jobs:
                copy["jobId"] = None
            copies.append(
                {
                    **copy,
                    "id": str(uuid.uuid4()),
                    "invokeId": _text(results_doc.get("invokeId")),
                    "simulated": bool(results_doc.get("simulated", False)),
                    "createdAt": row["completedAt"] or row["updatedAt"],
                }
            )
        bind.execute(results.insert(), copies)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def downgrade() -> None:
    op.drop_table("certification_results")
