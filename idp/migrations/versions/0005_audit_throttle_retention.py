"""audit trail (actor, outcome), atomic throttle tallies

Revision ID: 0005
Revises: 0003
Create Date: 2026-12-04 16:10:00.000000

`throttle_events` (one row per failure, counted then recorded: not atomic) gives way to
`throttle_tallies` (one row per key, reserved by one conditional upsert). Counted failures are
short-lived (at most two hours matter), so they are not carried over.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor", sa.String(length=120), nullable=True))
        batch_op.add_column(
            sa.Column("outcome", sa.String(length=20), nullable=False, server_default="success")
        )
        batch_op.create_index("ix_audit_events_user_at", ["user_id", "at"], unique=False)

    op.create_table(
        "throttle_tallies",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("run_start", sa.Float(), nullable=False),
        sa.Column("last_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("throttle_tallies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_throttle_tallies_last_at"), ["last_at"], unique=False)

    with op.batch_alter_table("throttle_events", schema=None) as batch_op:
        batch_op.drop_index("ix_throttle_events_key_at")
    op.drop_table("throttle_events")


def downgrade() -> None:
    op.create_table(
        "throttle_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("throttle_events", schema=None) as batch_op:
        batch_op.create_index("ix_throttle_events_key_at", ["key", "at"], unique=False)
    with op.batch_alter_table("throttle_tallies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_throttle_tallies_last_at"))
    op.drop_table("throttle_tallies")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_user_at")
        batch_op.drop_column("outcome")
        batch_op.drop_column("actor")
