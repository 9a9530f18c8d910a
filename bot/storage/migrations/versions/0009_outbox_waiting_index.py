"""An index for the outbox's "waits for an earlier reply to the same recipient" check.

Without it, claiming a batch probed every undelivered row for each candidate: with a backlog
of 1,000 replies (a channel down for a while) a claim took about 80 ms on SQLite and grew
with the square of the backlog.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_index("ix_outbox_waiting", "outbox", ["channel", "recipient", "delivered_at", "id"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_outbox_waiting", table_name="outbox")
