"""Every inference profile a region offers for a model (with where it routes), and lifecycle dates.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from certtui.store.types import Json, Timestamp

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("model_region_availability") as table:
        table.add_column(sa.Column("inferenceProfiles", Json))
        table.add_column(sa.Column("legacyAt", Timestamp))
        table.add_column(sa.Column("endOfLifeAt", Timestamp))


def downgrade() -> None:
    with op.batch_alter_table("model_region_availability") as table:
        table.drop_column("endOfLifeAt")
        table.drop_column("legacyAt")
        table.drop_column("inferenceProfiles")
