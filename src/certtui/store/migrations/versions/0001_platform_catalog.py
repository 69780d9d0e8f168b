"""The platform as it was before regional certification: catalog and single-region table.

A database of the seed platform already has these tables; on an empty database they are
created so that every database then follows the same path through revision 0002.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from certtui.store.types import Json, Timestamp

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column(
            "createdAt", Timestamp, nullable=False, server_default=sa.text("CURRENT_TIMESTAMP")
        ),
        sa.Column("updatedAt", Timestamp, nullable=False),
    ]


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table("ai_providers"):
        op.create_table(
            "ai_providers",
            sa.Column("id", sa.Text, nullable=False),
            sa.Column("name", sa.Text, nullable=False),
            sa.Column("slug", sa.Text, nullable=False),
            sa.Column("isActive", sa.Boolean, nullable=False, server_default=sa.true()),
            sa.Column("websiteUrl", sa.Text),
            sa.Column("logoUrl", sa.Text),
            sa.Column("baseUrl", sa.Text),
            *_timestamps(),
            sa.PrimaryKeyConstraint("id", name="ai_providers_pkey"),
        )
        op.create_index("ai_providers_slug_key", "ai_providers", ["slug"], unique=True)
    if not inspector.has_table("ai_models"):
        op.create_table(
            "ai_models",
            sa.Column("id", sa.Text, nullable=False),
            sa.Column("name", sa.Text, nullable=False),
            sa.Column("apiModelId", sa.Text, nullable=False),
            sa.Column("contextWindow", sa.Integer, nullable=False, server_default=sa.text("4096")),
            sa.Column("costPer1kInput", sa.Double, nullable=False, server_default=sa.text("0")),
            sa.Column("costPer1kOutput", sa.Double, nullable=False, server_default=sa.text("0")),
            sa.Column("isActive", sa.Boolean, nullable=False, server_default=sa.true()),
            sa.Column("providerId", sa.Text, nullable=False),
            *_timestamps(),
            sa.PrimaryKeyConstraint("id", name="ai_models_pkey"),
            sa.ForeignKeyConstraint(
                ["providerId"],
                ["ai_providers.id"],
                name="ai_models_providerId_fkey",
                ondelete="RESTRICT",
                onupdate="CASCADE",
            ),
        )
    if not inspector.has_table("model_certifications") and not inspector.has_table(
        "model_certifications_legacy"
    ):
        op.create_table(
            "model_certifications",
            sa.Column("id", sa.Text, nullable=False),
            sa.Column("modelId", sa.Text, nullable=False),
            sa.Column("vendor", sa.Text, nullable=False),
            sa.Column("status", sa.Text, nullable=False, server_default="untested"),
            sa.Column("certifiedAt", Timestamp),
            sa.Column("expiresAt", Timestamp),
            sa.Column("certifiedBy", sa.Text),
            sa.Column("lastTestedAt", Timestamp),
            sa.Column("testsPassed", sa.Integer, nullable=False, server_default=sa.text("0")),
            sa.Column("testsFailed", sa.Integer, nullable=False, server_default=sa.text("0")),
            sa.Column("successRate", sa.Double, nullable=False, server_default=sa.text("0")),
            sa.Column("avgLatencyMs", sa.Integer),
            sa.Column("lastError", sa.Text),
            sa.Column("failureReasons", Json),
            sa.Column("errorCategory", sa.Text),
            sa.Column("errorSeverity", sa.Text),
            sa.Column("rating", sa.Double),
            sa.Column("badge", sa.Text),
            sa.Column("metrics", Json),
            sa.Column("scores", Json),
            sa.Column("ratingUpdatedAt", Timestamp),
            *_timestamps(),
            sa.PrimaryKeyConstraint("id", name="model_certifications_pkey"),
        )
        op.create_index(
            "model_certifications_modelId_key", "model_certifications", ["modelId"], unique=True
        )


def downgrade() -> None:
    op.drop_table("model_certifications")
    op.drop_table("ai_models")
    op.drop_table("ai_providers")
