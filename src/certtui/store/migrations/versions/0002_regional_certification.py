"""Regional certification, as the seed applied it by hand (20260131185640).

Renames the single-region ``model_certifications`` table and its primary key to
``model_certifications_legacy`` (keeping every row), then creates the enums, the regional
``model_certifications`` table, ``certification_jobs``, their indexes and the foreign key.
A platform database that already has the regional tables is adopted as it is.

Revision ID: 0002
Revises: 0001
"""

from enum import StrEnum

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from certtui.domain.enums import CertificationJobType, CertificationStatus, JobStatus
from certtui.store.types import Json, TextList, Timestamp

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ENUMS: tuple[type[StrEnum], ...] = (CertificationStatus, CertificationJobType, JobStatus)
NEW_INDEXES = {
    "model_certifications": {
        "model_certifications_modelId_region_key": (["modelId", "region"], True),
        "model_certifications_status_idx": (["status"], False),
        "model_certifications_region_idx": (["region"], False),
        "model_certifications_jobId_idx": (["jobId"], False),
        "model_certifications_createdAt_idx": (["createdAt"], False),
    },
    "certification_jobs": {
        "certification_jobs_status_idx": (["status"], False),
        "certification_jobs_type_idx": (["type"], False),
        "certification_jobs_bullJobId_idx": (["bullJobId"], False),
        "certification_jobs_createdAt_idx": (["createdAt"], False),
    },
}


def _enum(enum: type[StrEnum]) -> sa.types.TypeEngine:
    values = [member.value for member in enum]
    return sa.Enum(*values, name=enum.__name__).with_variant(
        postgresql.ENUM(*values, name=enum.__name__, create_type=False), "postgresql"
    )


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column(
            "createdAt", Timestamp, nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")
        ),
        sa.Column("updatedAt", Timestamp, nullable=False),
    ]


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _rename_legacy_table() -> None:
    op.rename_table("model_certifications", "model_certifications_legacy")
    if not _is_postgres():
        return
    op.execute(
        'ALTER TABLE "model_certifications_legacy" '
        'RENAME CONSTRAINT "model_certifications_pkey" TO "model_certifications_legacy_pkey"'
    )
    # Index names are schema-wide on PostgreSQL: move any of the legacy table's indexes that
    # hold a name the regional table needs out of the way.
    existing = {
        ix["name"] for ix in sa.inspect(op.get_bind()).get_indexes("model_certifications_legacy")
    }
    for name in NEW_INDEXES["model_certifications"]:
        if name in existing:
            legacy_name = name.replace("model_certifications_", "model_certifications_legacy_", 1)
            op.execute(f'ALTER INDEX "{name}" RENAME TO "{legacy_name}"')


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    certifications_are_regional = False
    if inspector.has_table("model_certifications"):
        columns = {c["name"] for c in inspector.get_columns("model_certifications")}
        certifications_are_regional = "region" in columns
        if not certifications_are_regional:
            _rename_legacy_table()

    if _is_postgres():
        for enum in ENUMS:
            postgresql.ENUM(*[m.value for m in enum], name=enum.__name__).create(
                bind, checkfirst=True
            )

    if not certifications_are_regional:
        op.create_table(
            "model_certifications",
            sa.Column("id", sa.Text, nullable=False),
            sa.Column("modelId", sa.Text, nullable=False),
            sa.Column("region", sa.Text, nullable=False),
            sa.Column(
                "status",
                _enum(CertificationStatus),
                nullable=False,
                server_default=CertificationStatus.PENDING.value,
            ),
            sa.Column("passed", sa.Boolean),
            sa.Column("score", sa.Double),
            sa.Column("rating", sa.Text),
            sa.Column("testResults", Json),
            sa.Column("errorMessage", sa.Text),
            sa.Column("errorCategory", sa.Text),
            sa.Column("jobId", sa.Text),
            sa.Column("startedAt", Timestamp),
            sa.Column("completedAt", Timestamp),
            sa.Column("duration", sa.Integer),
            *_timestamps(),
            sa.Column("createdBy", sa.Text),
            sa.PrimaryKeyConstraint("id", name="model_certifications_pkey"),
            sa.ForeignKeyConstraint(
                ["modelId"],
                ["ai_models.id"],
                name="model_certifications_modelId_fkey",
                ondelete="CASCADE",
                onupdate="CASCADE",
            ),
        )
        _create_indexes("model_certifications")

    if not inspector.has_table("certification_jobs"):
        op.create_table(
            "certification_jobs",
            sa.Column("id", sa.Text, nullable=False),
            sa.Column("type", _enum(CertificationJobType), nullable=False),
            sa.Column("regions", TextList),
            sa.Column("modelIds", TextList),
            sa.Column(
                "status", _enum(JobStatus), nullable=False, server_default=JobStatus.PENDING.value
            ),
            sa.Column("totalModels", sa.Integer, nullable=False, server_default=sa.text("0")),
            sa.Column("processedModels", sa.Integer, nullable=False, server_default=sa.text("0")),
            sa.Column("successCount", sa.Integer, nullable=False, server_default=sa.text("0")),
            sa.Column("failureCount", sa.Integer, nullable=False, server_default=sa.text("0")),
            sa.Column("bullJobId", sa.Text),
            sa.Column("startedAt", Timestamp),
            sa.Column("completedAt", Timestamp),
            sa.Column("duration", sa.Integer),
            sa.Column("config", Json),
            *_timestamps(),
            sa.Column("createdBy", sa.Text),
            sa.PrimaryKeyConstraint("id", name="certification_jobs_pkey"),
        )
        _create_indexes("certification_jobs")


def _create_indexes(table: str) -> None:
    for name, (columns, unique) in NEW_INDEXES[table].items():
        op.create_index(name, table, columns, unique=unique)


def downgrade() -> None:
    # The seed's rollback, statement for statement.
    if _is_postgres():
        op.execute('DROP TABLE IF EXISTS "model_certifications" CASCADE')
        op.execute('DROP TABLE IF EXISTS "certification_jobs" CASCADE')
        for enum in ENUMS:
            op.execute(f'DROP TYPE IF EXISTS "{enum.__name__}"')
    else:
        op.execute('DROP TABLE IF EXISTS "model_certifications"')
        op.execute('DROP TABLE IF EXISTS "certification_jobs"')
    op.rename_table("model_certifications_legacy", "model_certifications")
    if _is_postgres():
        op.execute(
            'ALTER TABLE "model_certifications" '
            'RENAME CONSTRAINT "model_certifications_legacy_pkey" TO "model_certifications_pkey"'
        )
