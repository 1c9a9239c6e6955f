"""dpop: proofs seen (replay), refresh tokens bound to a key, clients that require DPoP

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-04 17:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # RFC 9449 §11.1: a proof's `jti` is refused again on every node until its window passed.
    op.create_table(
        "dpop_proofs",
        sa.Column("replay_key", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("replay_key"),
    )
    op.create_index("ix_dpop_proofs_expires_at", "dpop_proofs", ["expires_at"], unique=False)
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dpop_jkt", sa.String(64), nullable=True))
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("require_dpop", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("require_dpop")
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.drop_column("dpop_jkt")
    op.drop_index("ix_dpop_proofs_expires_at", table_name="dpop_proofs")
    op.drop_table("dpop_proofs")
