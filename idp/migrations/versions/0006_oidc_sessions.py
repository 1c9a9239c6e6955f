"""oidc sessions: session ids (`sid`), session-bound grants, back-channel logout and CORS

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-04 16:15:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("backchannel_logout_uri", sa.String(2000), nullable=True))
        batch_op.add_column(
            sa.Column(
                "backchannel_logout_session_required",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )
        batch_op.add_column(
            sa.Column("web_origins", sa.JSON(), nullable=False, server_default="[]")
        )
    with op.batch_alter_table("browser_sessions", schema=None) as batch_op:
        # The public session id (OIDC `sid`): not the cookie, which only the browser holds.
        batch_op.add_column(sa.Column("sid", sa.String(64), nullable=True))
        batch_op.create_index("ix_browser_sessions_sid", ["sid"], unique=True)
    with op.batch_alter_table("authorization_codes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sid", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("claims", sa.JSON(), nullable=True))
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sid", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("claims", sa.JSON(), nullable=True))
        batch_op.create_index("ix_grants_sid", ["sid"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("grants", schema=None) as batch_op:
        batch_op.drop_index("ix_grants_sid")
        batch_op.drop_column("claims")
        batch_op.drop_column("sid")
    with op.batch_alter_table("authorization_codes", schema=None) as batch_op:
        batch_op.drop_column("claims")
        batch_op.drop_column("sid")
    with op.batch_alter_table("browser_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_browser_sessions_sid")
        batch_op.drop_column("sid")
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("web_origins")
        batch_op.drop_column("backchannel_logout_session_required")
        batch_op.drop_column("backchannel_logout_uri")
