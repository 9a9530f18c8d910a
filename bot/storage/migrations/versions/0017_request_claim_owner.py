"""A widget request's claim records the process answering it, so that the repeat of a
request whose process is known to be gone (killed on the same machine) answers at once
instead of waiting two minutes for the claim to go stale.

Nullable: claims made before it, and by processes that cannot name themselves, have no
owner and go stale as before.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("request_replies") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("request_replies") as batch:
        batch.drop_column("claimed_by")
