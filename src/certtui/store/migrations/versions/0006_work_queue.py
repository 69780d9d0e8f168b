"""The work queue of `certtui worker` (PostgreSQL only): PGQueuer's tables, and certtui's workers,
slices and schedules.

PGQueuer's own install script is executed as the library renders it, so its queue, log,
schedules and statistics tables, its enum, indexes and NOTIFY trigger are exactly what the
installed version expects. certtui's tables are named ``certtui_*`` with Prisma-style camelCase
columns (SPEC §2.4); the seed's tables are untouched. On SQLite (no workers) this is a no-op.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

from certtui.store.types import Json, Timestamp
from certtui.store.workers import queue_install_statements, queue_uninstall_statements

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if not _postgresql():
        return
    for statement in queue_install_statements():
        op.execute(sa.text(statement))
    op.create_table(
        "certtui_workers",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("host", sa.Text, nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("concurrency", sa.Integer, nullable=False),
        sa.Column("regions", Json),
        sa.Column("inFlight", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("startedAt", Timestamp, nullable=False),
        sa.Column("heartbeatAt", Timestamp, nullable=False),
        sa.Column("stoppedAt", Timestamp),
    )
    op.create_table(
        "certtui_slices",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column(
            "jobId",
            sa.Text,
            sa.ForeignKey("certification_jobs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("region", sa.Text, nullable=False),
        sa.Column("unitIds", Json, nullable=False),
        sa.Column("queueJobId", sa.BigInteger),
        sa.Column("state", sa.Text, nullable=False, server_default="queued"),
        sa.Column("worker", sa.Text),
        sa.Column("claimToken", sa.Text),
        sa.Column("attempts", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("createdAt", Timestamp, nullable=False),
        sa.Column("claimedAt", Timestamp),
        sa.Column("endedAt", Timestamp),
    )
    op.create_index("certtui_slices_jobId_idx", "certtui_slices", ["jobId"])
    op.create_table(
        "certtui_schedules",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("cron", sa.Text, nullable=False),
        sa.Column("options", Json, nullable=False),
        sa.Column("createdAt", Timestamp, nullable=False),
        sa.Column("createdBy", sa.Text),
        sa.Column("lastTickAt", Timestamp),
        sa.Column("lastJobId", sa.Text),
    )


def downgrade() -> None:
    if not _postgresql():
        return
    op.drop_table("certtui_schedules")
    op.drop_index("certtui_slices_jobId_idx", table_name="certtui_slices")
    op.drop_table("certtui_slices")
    op.drop_table("certtui_workers")
    for statement in queue_uninstall_statements():
        op.execute(sa.text(statement))
