"""certtui's log of a job's engine events: retries, throttles, warnings (``job_log``).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from certtui.store.types import Timestamp

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_log",
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("jobId", sa.Text, nullable=False),
        sa.Column("at", Timestamp, nullable=False),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("apiModelId", sa.Text),
        sa.Column("region", sa.Text),
        sa.Column("message", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="job_log_pkey"),
        sa.ForeignKeyConstraint(
            ["jobId"],
            ["certification_jobs.id"],
            name="job_log_jobId_fkey",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
    )
    op.create_index("job_log_jobId_at_idx", "job_log", ["jobId", "at"])


def downgrade() -> None:
    op.drop_index("job_log_jobId_at_idx", table_name="job_log")
    op.drop_table("job_log")
