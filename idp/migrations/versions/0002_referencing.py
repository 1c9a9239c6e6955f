"""referencing: customers, their proofs and notification emails, profiles, memberships

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 09:34:46.402888
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("administrator_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["administrator_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "customer_proofs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_code", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["customer_code"], ["customers.code"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("customer_code", "value", "kind", name="uq_customer_proofs"),
    )
    op.create_table(
        "notification_emails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("customer_code", sa.String(length=20), nullable=False),
        sa.Column("first_seen", sa.Float(), nullable=False),
        sa.Column("last_seen", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["customer_code"], ["customers.code"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("address", "customer_code", name="uq_notification_emails"),
    )
    op.create_table(
        "profiles",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("customer_code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("permissions", sa.JSON(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["customer_code"], ["customers.code"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("customer_code", "name", name="uq_profiles_name"),
    )
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        # One default profile per customer.
        batch_op.create_index(
            "uq_profiles_default",
            ["customer_code"],
            unique=True,
            sqlite_where=sa.text("is_default"),
            postgresql_where=sa.text("is_default"),
        )

    op.create_table(
        "memberships",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("customer_code", sa.String(length=20), nullable=False),
        sa.Column("profile_id", sa.String(length=36), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("terms_version", sa.String(length=20), nullable=True),
        sa.Column("terms_accepted_at", sa.Float(), nullable=True),
        sa.Column("referenced_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["customer_code"], ["customers.code"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["profile_id"], ["profiles.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "customer_code"),
    )
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_memberships_customer_code"), ["customer_code"], unique=False
        )

    op.create_table(
        "profile_assignments",
        sa.Column("customer_code", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("profile_id", sa.String(length=36), nullable=False),
        sa.Column("assigned_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["customer_code"], ["customers.code"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["profile_id"], ["profiles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("customer_code", "email"),
    )


def downgrade() -> None:
    op.drop_table("profile_assignments")
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_memberships_customer_code"))

    op.drop_table("memberships")
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.drop_index("uq_profiles_default")

    op.drop_table("profiles")
    op.drop_table("notification_emails")
    op.drop_table("customer_proofs")
    op.drop_table("customers")
