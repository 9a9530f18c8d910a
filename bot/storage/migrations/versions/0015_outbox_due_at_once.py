"""A queued message is due "as soon as possible" (`next_attempt_at` NULL) instead of at the
time of the clock of the process that queued it: a server whose clock ran ahead queued
replies that the other servers' delivery workers held until that server's time. Only a
retry after a failed attempt carries a time, set by the worker that tried (it compares it
with its own clock).

Rows never tried yet are made due at once.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("next_attempt_at", existing_type=TIMESTAMP, nullable=True)
    op.execute(
        "UPDATE outbox SET next_attempt_at = NULL WHERE delivered_at IS NULL AND attempts = 0"
    )


def downgrade() -> None:
    """Revert this revision."""
    op.execute("UPDATE outbox SET next_attempt_at = created_at WHERE next_attempt_at IS NULL")
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("next_attempt_at", existing_type=TIMESTAMP, nullable=False)
