"""Where an operator wrote a ticket message, so the staff chat shows replies made elsewhere.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    # Nullable: citizens' and the bot's messages, and rows written before it, have no place.
    with op.batch_alter_table("ticket_messages") as batch:
        batch.add_column(sa.Column("via", sa.String(length=20), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("ticket_messages") as batch:
        batch.drop_column("via")
