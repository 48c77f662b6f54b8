"""Accounts, sign-in sessions, login failures and the first-run setup token."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from facilitation.accounts import normalise_username
from facilitation.roles import Role
from plugin.db import audit
from plugin.db.models import Account, LoginFailure, LoginSession, SetupToken
from plugin.security.tokens import new_token, token_hash


class UsernameTaken(Exception):
    pass


async def by_username(db: AsyncSession, username: str) -> Account | None:
    query = select(Account).where(Account.username == normalise_username(username))
    return (await db.exec(query)).first()


async def list_accounts(db: AsyncSession) -> list[Account]:
    return list((await db.exec(select(Account).order_by(col(Account.username)))).all())


async def create_account(
    db: AsyncSession,
    *,
    username: str,
    display_name: str,
    password_hash: str,
    role: Role,
    now: datetime,
) -> Account:
    if await by_username(db, username) is not None:
        raise UsernameTaken(username)
    account = Account(
        username=normalise_username(username),
        display_name=display_name.strip(),
        password_hash=password_hash,
        role=role.value,
        created_at=now,
    )
    db.add(account)
    try:
        await db.flush()
    except IntegrityError:  # someone took the name between the check and the insert
        await db.rollback()
        raise UsernameTaken(username) from None
    return account


async def set_disabled(
    db: AsyncSession,
    account: Account,
    disabled: bool,
    *,
    actor_id: int | None,
    now: datetime,
    via: str,
) -> None:
    """Disable (signing the person out everywhere) or enable an account, audited."""
    assert account.id is not None
    account.disabled = disabled
    db.add(account)
    if disabled:
        await end_all_logins(db, account.id)
    audit.record(
        db,
        at=now,
        actor_id=actor_id,
        action="account.disabled" if disabled else "account.enabled",
        target=f"account:{account.id}",
        via=via,
    )


async def start_login(db: AsyncSession, account_id: int, now: datetime, lifetime: timedelta) -> str:
    token = new_token()
    db.add(
        LoginSession(
            token_hash=token_hash(token),
            account_id=account_id,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    return token


async def account_for_login(db: AsyncSession, token: str, now: datetime) -> Account | None:
    query = (
        select(Account)
        .join(LoginSession, col(LoginSession.account_id) == col(Account.id))
        .where(LoginSession.token_hash == token_hash(token), col(LoginSession.expires_at) > now)
        .where(col(Account.disabled).is_(False))
    )
    return (await db.exec(query)).first()


async def end_login(db: AsyncSession, token: str) -> None:
    await db.exec(delete(LoginSession).where(col(LoginSession.token_hash) == token_hash(token)))


async def end_all_logins(db: AsyncSession, account_id: int) -> None:
    await db.exec(delete(LoginSession).where(col(LoginSession.account_id) == account_id))


async def record_failure(db: AsyncSession, keys: list[str], now: datetime) -> None:
    db.add_all([LoginFailure(key=key, at=now) for key in keys])


async def failures_since(db: AsyncSession, key: str, since: datetime) -> list[datetime]:
    query = select(LoginFailure.at).where(LoginFailure.key == key, col(LoginFailure.at) > since)
    return list((await db.exec(query)).all())


async def clear_failures(db: AsyncSession, key: str) -> None:
    await db.exec(delete(LoginFailure).where(col(LoginFailure.key) == key))


async def purge_expired(db: AsyncSession, now: datetime, failure_horizon: timedelta) -> None:
    await db.exec(delete(LoginSession).where(col(LoginSession.expires_at) <= now))
    await db.exec(delete(LoginFailure).where(col(LoginFailure.at) <= now - failure_horizon))
    await db.exec(delete(SetupToken).where(col(SetupToken.expires_at) <= now))


async def admin_exists(db: AsyncSession) -> bool:
    query = select(Account.id).where(
        Account.role == Role.ADMIN.value, col(Account.disabled).is_(False)
    )
    return (await db.exec(query)).first() is not None


async def new_setup_token(db: AsyncSession, now: datetime, lifetime: timedelta) -> str:
    token = new_token()
    db.add(SetupToken(token_hash=token_hash(token), created_at=now, expires_at=now + lifetime))
    return token


async def setup_token_valid(db: AsyncSession, token: str, now: datetime) -> SetupToken | None:
    row = await db.get(SetupToken, token_hash(token))
    if row is None or row.used_at is not None or row.expires_at <= now:
        return None
    return row
