"""Link codes: one-time codes that join a citizen's identities on two channels.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "link_codes",
        sa.Column("id", ID, nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_hash"),
    )
    op.create_index("ix_link_codes_expires_at", "link_codes", ["expires_at"])
    op.create_table(
        "link_failures",
        sa.Column("id", ID, nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("failed_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_link_failures_key", "link_failures", ["key", "failed_at"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_link_failures_key", table_name="link_failures")
    op.drop_table("link_failures")
    op.drop_index("ix_link_codes_expires_at", table_name="link_codes")
    op.drop_table("link_codes")
