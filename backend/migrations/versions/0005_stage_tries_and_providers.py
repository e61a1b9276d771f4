"""stage tries as a column; one spelling of a ledger provider (``backend:model``)

The runner used to keep a stage's tries in ``stage_runs.output["_tries"]``; they move to
``stage_runs.tries`` and leave the output as the step wrote it. Agents used to write the
ledger's provider as ``model/backend`` while the steps wrote ``backend:model``, so one
model was split under two names; old rows are rewritten to ``backend:model``.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIES_KEY = "_tries"

stage_runs = sa.table(
    "stage_runs",
    sa.column("id", sa.Uuid()),
    sa.column("output", sa.JSON()),
    sa.column("tries", sa.Integer()),
)
cost_events = sa.table(
    "cost_events",
    sa.column("id", sa.Uuid()),
    sa.column("provider", sa.String()),
)


def provider_spelling(provider: str) -> str:
    """``model/backend`` (the agents' old spelling) as ``backend:model``; others unchanged."""
    if ":" in provider or "/" not in provider:
        return provider
    model, backend = provider.rsplit("/", 1)
    return f"{backend}:{model}"[:64] if model and backend else provider


def upgrade() -> None:
    op.add_column(
        "stage_runs", sa.Column("tries", sa.Integer(), nullable=False, server_default="0")
    )
    bind = op.get_bind()
    for run_id, output in bind.execute(sa.select(stage_runs.c.id, stage_runs.c.output)):
        if isinstance(output, dict) and TRIES_KEY in output:
            rest = {k: v for k, v in output.items() if k != TRIES_KEY}
            bind.execute(
                stage_runs.update()
                .where(stage_runs.c.id == run_id)
                .values(tries=int(output[TRIES_KEY] or 0), output=rest)
            )
    query = sa.select(cost_events.c.id, cost_events.c.provider).where(
        cost_events.c.provider.like("%/%")
    )
    for event_id, provider in bind.execute(query).all():
        spelt = provider_spelling(provider)
        if spelt != provider:
            bind.execute(
                cost_events.update().where(cost_events.c.id == event_id).values(provider=spelt)
            )


def downgrade() -> None:
    # The tries go back into the output, where the old runner reads them; providers keep the
    # one spelling (the old code wrote both, so it reads either).
    bind = op.get_bind()
    query = sa.select(stage_runs.c.id, stage_runs.c.output, stage_runs.c.tries).where(
        stage_runs.c.tries > 0
    )
    for run_id, output, tries in bind.execute(query).all():
        bind.execute(
            stage_runs.update()
            .where(stage_runs.c.id == run_id)
            .values(output={**(output or {}), TRIES_KEY: tries})
        )
    op.drop_column("stage_runs", "tries")
