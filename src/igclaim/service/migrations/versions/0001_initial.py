"""Initial schema: users, tokens, encounter versions, the worklist, findings, authorizations and their ledger,
and the audit log.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("disabled_at", sa.DateTime, nullable=True),
    )
    op.create_table(
        "tokens",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("salt", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("revoked_at", sa.DateTime, nullable=True),
    )
    op.create_table(
        "encounter_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("encounter_id", sa.String(128), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("result", sa.Text, nullable=True),
        sa.Column("submitted_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("submitted_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("encounter_id", "version"),
    )
    op.create_table(
        "claims",
        sa.Column("encounter_id", sa.String(128), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("payer_type", sa.String(32), nullable=False, index=True),
        sa.Column("payer_name", sa.String(128), nullable=True),
        sa.Column("date_of_service", sa.Date, nullable=False, index=True),
        sa.Column("setting", sa.String(32), nullable=False),
        sa.Column("errors", sa.Integer, nullable=False),
        sa.Column("warnings", sa.Integer, nullable=False),
        sa.Column("edits", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("encounter_id", sa.String(128), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("edit", sa.String(64), nullable=False, index=True),
        sa.Column("severity", sa.String(16), nullable=False),
    )
    op.create_table(
        "authorizations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("payer", sa.String(128), nullable=False),
        sa.Column("member_id", sa.String(64), nullable=False, index=True),
        sa.Column("hcpcs", sa.String(5), nullable=True),
        sa.Column("product", sa.String(64), nullable=True),
        sa.Column("units", sa.Integer, nullable=True),
        sa.Column("grams", sa.Numeric(12, 3), nullable=True),
        sa.Column("visits", sa.Integer, nullable=True),
        sa.Column("start", sa.Date, nullable=False),
        sa.Column("end", sa.Date, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "authorization_uses",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("authorization_id", sa.Integer, sa.ForeignKey("authorizations.id"), nullable=False, index=True),
        sa.Column("encounter_id", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("units", sa.Integer, nullable=False),
        sa.Column("grams", sa.Numeric(12, 3), nullable=False),
        sa.Column("visits", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False, index=True),
        sa.Column("user_id", sa.Integer, nullable=True),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("object_type", sa.String(32), nullable=False),
        sa.Column("object_id", sa.String(128), nullable=False),
    )


def downgrade() -> None:
    for table in ("audit", "authorization_uses", "authorizations", "findings", "claims", "encounter_versions",
                  "tokens", "users"):
        op.drop_table(table)
