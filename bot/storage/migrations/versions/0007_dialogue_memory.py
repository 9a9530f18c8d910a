"""The dialogue memory of the Telegram bot, shared by its processes and kept across restarts.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

TIMESTAMP = sa.DateTime(timezone=True)

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "dialogue_memory",
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("state", sa.String(length=200), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_dialogue_memory_updated_at", "dialogue_memory", ["updated_at"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_dialogue_memory_updated_at", table_name="dialogue_memory")
    op.drop_table("dialogue_memory")
