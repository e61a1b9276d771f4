from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.models import CostEvent


async def spend_since(
    session: AsyncSession, channel_ids: list[uuid.UUID], since: datetime
) -> dict[uuid.UUID, Decimal]:
    if not channel_ids:
        return {}
    query = (
        select(CostEvent.channel_id, func.coalesce(func.sum(CostEvent.amount_usd), 0))
        .where(CostEvent.channel_id.in_(channel_ids), CostEvent.occurred_at >= since)
        .group_by(CostEvent.channel_id)
    )
    return {cid: Decimal(str(total)) for cid, total in await session.execute(query)}
