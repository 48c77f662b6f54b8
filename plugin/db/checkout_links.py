"""Personal check-out links: made with a fresh random token, found by its hash."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from plugin.db.models import Checkout, CheckoutLink
from plugin.security.tokens import new_token, token_hash


def issue(
    db: AsyncSession,
    session_id: str,
    participant_id: int | None,
    channel: str,
    now: datetime,
    lifetime: timedelta,
) -> str:
    """Add a link to the caller's transaction and return its token: the only time the
    token exists outside the person's hands. 256 random bits; only the hash is stored."""
    token = new_token()
    db.add(
        CheckoutLink(
            token_hash=token_hash(token),
            session_id=session_id,
            participant_id=participant_id,
            channel=channel,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return token


async def find(db: AsyncSession, token: str) -> CheckoutLink | None:
    query = select(CheckoutLink).where(CheckoutLink.token_hash == token_hash(token))
    return (await db.exec(query)).first()


async def checkout_of(db: AsyncSession, link: CheckoutLink) -> Checkout | None:
    return (await db.exec(select(Checkout).where(Checkout.link_id == link.id))).first()


async def checked_out_participants(db: AsyncSession, session_id: str) -> set[int]:
    query = select(Checkout.participant_id).where(
        Checkout.session_id == session_id, col(Checkout.participant_id).is_not(None)
    )
    return {pid for pid in (await db.exec(query)).all() if pid is not None}
