"""The question log: every citizen question, masked, with its outcome.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "question_log",
        sa.Column("id", ID, nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("asked_at", TIMESTAMP, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("handoff_reason", sa.String(length=32), nullable=True),
        sa.Column("entry_id", sa.String(length=200), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("conversation_id", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("chosen_entry_id", sa.String(length=200), nullable=True),
        sa.Column("feedback_scale", sa.String(length=10), nullable=True),
        sa.Column("feedback_score", sa.Integer(), nullable=True),
        sa.Column("ticket_number", sa.BigInteger(), nullable=True),
        sa.Column("triage", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_question_log_asked_at", "question_log", ["asked_at"])
    op.create_index("ix_question_log_conversation_id", "question_log", ["conversation_id"])
    op.create_index("ix_question_log_message_id", "question_log", ["message_id"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_question_log_message_id", table_name="question_log")
    op.drop_index("ix_question_log_conversation_id", table_name="question_log")
    op.drop_index("ix_question_log_asked_at", table_name="question_log")
    op.drop_table("question_log")
