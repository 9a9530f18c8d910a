"""Wrong passwords on the console's log-in form, counted in the database: every `serve`
process on one database shares the limits, and a restart keeps a lock-out.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

TIMESTAMP = sa.DateTime(timezone=True)

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("clear_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_login_failures_clear_at", "login_failures", ["clear_at"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_login_failures_clear_at", table_name="login_failures")
    op.drop_table("login_failures")
