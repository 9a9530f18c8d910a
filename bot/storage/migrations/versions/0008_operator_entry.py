"""The entry of the base an operator answered a handed-off question with.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("question_log") as batch:
        batch.add_column(sa.Column("operator_entry_id", sa.String(length=200), nullable=True))
    # An operator's reply finds its ticket's questions by number.
    op.create_index("ix_question_log_ticket_number", "question_log", ["ticket_number"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_question_log_ticket_number", table_name="question_log")
    with op.batch_alter_table("question_log") as batch:
        batch.drop_column("operator_entry_id")
