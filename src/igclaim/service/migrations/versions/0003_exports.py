"""Each export's interchange, kept with the claims it sent: an answer lost on the way loses no file.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exports",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("receiver_id", sa.String(15), nullable=False),
        sa.Column("claims", sa.Integer, nullable=False),
        sa.Column("interchange", sa.Text, nullable=False),
    )
    op.create_table(
        "export_claims",
        sa.Column("export_id", sa.Integer, sa.ForeignKey("exports.id"), primary_key=True),
        sa.Column("encounter_id", sa.String(128), primary_key=True, index=True),
        sa.Column("version", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("export_claims")
    op.drop_table("exports")
