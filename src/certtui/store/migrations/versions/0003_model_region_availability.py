"""certtui's own table: what discovery found about each model in each region.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from certtui.store.types import TextList, Timestamp

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_region_availability",
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("modelId", sa.Text, nullable=False),
        sa.Column("region", sa.Text, nullable=False),
        sa.Column("providerName", sa.Text, nullable=False),
        sa.Column("offered", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("onDemand", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("inferenceProfileId", sa.Text),
        sa.Column("lifecycleStatus", sa.Text),
        sa.Column("inputModalities", TextList),
        sa.Column("outputModalities", TextList),
        sa.Column("streamingSupported", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column(
            "discoveredAt", Timestamp, nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")
        ),
        sa.PrimaryKeyConstraint("id", name="model_region_availability_pkey"),
        sa.ForeignKeyConstraint(
            ["modelId"],
            ["ai_models.id"],
            name="model_region_availability_modelId_fkey",
            ondelete="CASCADE",
            onupdate="CASCADE",
        ),
    )
    op.create_index(
        "model_region_availability_modelId_region_key",
        "model_region_availability",
        ["modelId", "region"],
        unique=True,
    )
    op.create_index("model_region_availability_region_idx", "model_region_availability", ["region"])


def downgrade() -> None:
    op.drop_table("model_region_availability")
