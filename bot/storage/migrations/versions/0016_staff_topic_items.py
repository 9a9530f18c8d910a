"""The operators' group records which ticket events and messages each topic has dealt with,
instead of moving its cursors past the newest one shown.

On PostgreSQL ids are not committed in their order: an event committed after a later-numbered
one was posted (a delivery refusal beside a file the citizen attached) fell behind the cursor
and was never posted. The cursors stay where each topic began; what lies above them is dealt
with once this table holds it. Nothing is copied: everything above a cursor was still to do.

Downgrading moves each cursor to the newest item its topic dealt with, as the code before
this revision expects (a restart does not post the topics' news again).

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "staff_topic_items",
        sa.Column("topic_id", ID, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("item_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["topic_id"], ["staff_topics.id"]),
        sa.PrimaryKeyConstraint("topic_id", "kind", "item_id"),
    )


def downgrade() -> None:
    """Revert this revision."""
    for kind, cursor in (("event", "last_event_id"), ("message", "last_message_id")):
        op.execute(
            sa.text(
                f"UPDATE staff_topics SET {cursor} = ("
                " SELECT MAX(item_id) FROM staff_topic_items"
                " WHERE staff_topic_items.topic_id = staff_topics.id AND kind = :kind)"
                f" WHERE {cursor} < (SELECT MAX(item_id) FROM staff_topic_items"
                " WHERE staff_topic_items.topic_id = staff_topics.id AND kind = :kind)"
            ).bindparams(kind=kind)
        )
    op.drop_table("staff_topic_items")
