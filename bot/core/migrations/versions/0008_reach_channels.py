"""reach log channels: pushes are `push`, old anonymous page views `anon`, simulator chats apart

Before this revision a push to a group was logged with channel `group`, every article page
view with `web` (the same value as the chat simulator), and the secretary's simulator with
`web` too. The evidence figures now count LINE channels only (bot.core.channels), so:

* `reminder_push` and `knowledge_push` rows become `push`;
* `article_view` and `link_click` rows with `web` become `anon`: nothing proves who opened
  the page, so they leave the evidence (the reports show them as anonymous);
* the simulator's rows stay `web`; the public and the admin simulator cannot be told apart
  afterwards, and neither is evidence.

Revision ID: 0008_reach
Revises: 0007_hardening
Create Date: 2026-11-30
"""
from alembic import op

revision = '0008_reach'
down_revision = '0007_hardening'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE interaction_events SET channel = 'push' "
        "WHERE kind IN ('reminder_push', 'knowledge_push') AND channel = 'group'"
    )
    op.execute(
        "UPDATE interaction_events SET channel = 'anon' "
        "WHERE kind IN ('article_view', 'link_click') AND channel = 'web'"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE interaction_events SET channel = 'group' "
        "WHERE kind IN ('reminder_push', 'knowledge_push') AND channel = 'push'"
    )
    op.execute(
        "UPDATE interaction_events SET channel = 'web' "
        "WHERE kind IN ('article_view', 'link_click') AND channel IN ('anon', 'line', 'crawler', 'preview', 'admin')"
    )
