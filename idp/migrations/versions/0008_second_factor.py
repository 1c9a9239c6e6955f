"""second factor: authenticator apps (TOTP), passkeys (WebAuthn), recovery codes, who requires them, amr kept

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 17:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The sign-in's methods (RFC 8176), kept from the session to the code, the grant and its
# refreshes, and to a device code approved in the browser.
_AMR_TABLES = ("browser_sessions", "authorization_codes", "grants", "device_codes")


def upgrade() -> None:
    op.create_table(
        "second_factors",
        sa.Column("id", sa.String(length=36), primary_key=True),
        sa.Column(
            "user_id",
            sa.String(length=36),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        # TOTP: the sealed secret; passkey: the credential's COSE public key (base64url).
        sa.Column("secret", sa.String(length=1000), nullable=False),
        # Passkeys (WebAuthn): the credential id (base64url), its signature counter, and the
        # RFC 8176 method it stands for (`hwk` bound to a device, `swk` synced).
        sa.Column("credential_id", sa.String(length=1400), nullable=True, unique=True),
        sa.Column("sign_count", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("method", sa.String(length=3), nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("last_used_at", sa.Float(), nullable=True),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("code_hash", sa.String(length=64), primary_key=True),
        sa.Column(
            "user_id",
            sa.String(length=36),
            sa.ForeignKey("users.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("used_at", sa.Float(), nullable=True),
    )
    for table in _AMR_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("amr", sa.String(length=40), nullable=False, server_default="pwd")
            )
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("require_mfa", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("require_mfa", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("require_mfa")
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("require_mfa")
    for table in reversed(_AMR_TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("amr")
    op.drop_table("recovery_codes")
    op.drop_table("second_factors")
