"""pushed authorization requests (RFC 9126) and the clients that must use them; client
public keys and assertion `jti`s for `private_key_jwt` (RFC 7523)

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-04 17:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "require_pushed_authorization_requests",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )
        batch_op.add_column(sa.Column("jwks", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("jwks_uri", sa.String(2000), nullable=True))
        batch_op.add_column(sa.Column("registration_token_hash", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("profile", sa.String(20), nullable=True))
    op.create_table(
        "initial_access_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("uses", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("allowed_scope", sa.String(1000), nullable=False, server_default=""),
        sa.Column("profile", sa.String(20), nullable=True),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_table(
        "client_assertion_jtis",
        sa.Column("jti_hash", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("jti_hash"),
    )
    op.create_index("ix_client_assertion_jtis_expires_at", "client_assertion_jtis", ["expires_at"])
    op.create_table(
        "pushed_authorization_requests",
        sa.Column("request_uri_hash", sa.String(64), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("consumed_at", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["clients.client_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("request_uri_hash"),
    )
    op.create_index(
        "ix_pushed_authorization_requests_expires_at",
        "pushed_authorization_requests",
        ["expires_at"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_pushed_authorization_requests_expires_at", table_name="pushed_authorization_requests"
    )
    op.drop_table("pushed_authorization_requests")
    op.drop_index("ix_client_assertion_jtis_expires_at", table_name="client_assertion_jtis")
    op.drop_table("client_assertion_jtis")
    op.drop_table("initial_access_tokens")
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("profile")
        batch_op.drop_column("registration_token_hash")
        batch_op.drop_column("jwks_uri")
        batch_op.drop_column("jwks")
        batch_op.drop_column("require_pushed_authorization_requests")
