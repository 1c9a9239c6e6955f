"""submissions: Sage EDI Online envois and their files

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 11:10:00.000000
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
        "submissions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("customer_code", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("notification_email", sa.String(length=320), nullable=False),
        sa.Column("submitted_by", sa.String(length=36), nullable=True),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("received_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["customer_code"], ["customers.code"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["submitted_by"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        # Tracking: a customer's submissions newest first, keyset-paged on (received_at, id).
        batch_op.create_index(
            "ix_submissions_customer_received",
            ["customer_code", "received_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_submissions_submitted_by"), ["submitted_by"], unique=False
        )

    op.create_table(
        "submission_files",
        sa.Column("submission_id", sa.String(length=36), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["submission_id"], ["submissions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("submission_id"),
    )


def downgrade() -> None:
    op.drop_table("submission_files")
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submissions_submitted_by"))
        batch_op.drop_index("ix_submissions_customer_received")

    op.drop_table("submissions")
