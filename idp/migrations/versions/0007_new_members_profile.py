"""new members profile: the profile a customer's administrator chose for new members

Revision ID: 0007
Revises: 0003
Create Date: 2026-12-04 16:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Seed, étape 3: « le profil qui vous est affecté est celui défini par l'administrateur ».
    # At most one per customer; none flagged means the default profile.
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_new_members", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index(
            "uq_profiles_new_members",
            ["customer_code"],
            unique=True,
            sqlite_where=sa.text("is_new_members"),
            postgresql_where=sa.text("is_new_members"),
        )


def downgrade() -> None:
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.drop_index("uq_profiles_new_members")
        batch_op.drop_column("is_new_members")
