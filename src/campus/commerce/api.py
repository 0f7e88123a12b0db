"""Commerce's doorway for other contexts. Reads return frozen DTOs from ``commerce.data``;
none of these check permissions."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from campus.commerce.data import OrderRecord
from campus.commerce.service import orders

__all__ = ["get_order"]


async def get_order(session: AsyncSession, order_id: uuid.UUID) -> OrderRecord | None:
    """The order with its lines, or None."""
    return await orders.load(session, order_id)
