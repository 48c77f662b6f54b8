"""`facilitate`: serve, db upgrade, users add|list|disable, check, pbx-secret."""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import getpass
import logging
import os
import secrets
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from aiohttp import web
from babel.support import NullTranslations
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel.ext.asyncio.session import AsyncSession

from facilitation.accounts import account_problems
from facilitation.passwords import PasswordPolicy
from facilitation.roles import Role
from facilitation.warmups import CatalogueError
from plugin import log_redaction
from plugin.app import create_app
from plugin.catalogue import load_catalogue
from plugin.cli_alerts import check_alerts, notify_test
from plugin.cli_cluster import cluster_report
from plugin.cli_serve import stop_once_loop, supervise, worker_sockets
from plugin.clock import Clock
from plugin.db import accounts, audit
from plugin.db.engine import Database, make_engine
from plugin.db.migrate import current_revision, head_revision, upgrade
from plugin.security.passwords import Passwords, load_common_passwords
from plugin.settings import Settings, SettingsError, load_settings
from plugin.settings_checks import warnings
from plugin.web.messages import describe

SETUP_LINK_HOURS = 24


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="facilitate", description=__doc__)
    parser.add_argument(
        "--config", type=Path, help="TOML settings file (FACILITATE_* variables win)"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the web service")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    db = sub.add_parser("db", help="database schema").add_subparsers(
        dest="db_command", required=True
    )
    db.add_parser("upgrade", help="apply migrations")
    users = sub.add_parser("users", help="accounts").add_subparsers(
        dest="users_command", required=True
    )
    add = users.add_parser("add", help="add an account (asks for the password)")
    add.add_argument("username")
    add.add_argument("--name", help="display name (default: the username)")
    add.add_argument("--role", choices=[r.value for r in Role], default=Role.FACILITATOR.value)
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    users.add_parser("list", help="list accounts")
    disable = users.add_parser("disable", help="disable an account and sign it out everywhere")
    disable.add_argument("username")
    sub.add_parser("check", help="validate the settings, the database and the SMTP server")
    notify = sub.add_parser("notify-test", help="send a test alert email now")
    notify.add_argument("address", help="where to send it")
    sub.add_parser(
        "pbx-secret", help="print a new FACILITATE_PBX_WEBHOOK_SECRET (Standard Webhooks whsec_)"
    )
    return parser


def _alembic_noise(record: logging.LogRecord) -> bool:
    """Alembic says which database dialect it uses on every command ("Context impl
    SQLiteImpl.", "Will assume non-transactional DDL."): keep that at DEBUG only."""
    if record.levelno == logging.INFO and record.msg in ("Context impl %s.", "Will assume %s DDL."):
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger().isEnabledFor(logging.DEBUG)
    return True


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "pbx-secret":  # needs no settings: it is how you make one
        print("whsec_" + base64.b64encode(secrets.token_bytes(32)).decode())
        return 0
    # serve --host/--port count as the settings, so links printed and sent follow them.
    listen = {
        f"FACILITATE_{name.upper()}": str(value)
        for name in ("host", "port")
        if (value := getattr(args, name, None)) is not None
    }
    try:
        settings = load_settings(args.config, {**os.environ, **listen})
    except SettingsError as exc:
        print("Settings problems:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic.runtime.migration").addFilter(_alembic_noise)
    log_redaction.quiet_noisy_loggers()  # even at DEBUG: no SQL values, no stanzas
    try:
        if args.command == "serve":
            if settings.workers > 1 and not args.worker:
                return supervise(settings, sys.argv[1:] if argv is None else list(argv))
            return _serve(settings, worker=args.worker)
        if args.command == "db":
            upgrade(settings.database_url)
            print(f"Database is at schema {head_revision()}.")
            return 0
        if args.command == "check":
            return asyncio.run(_check(settings))
        if args.command == "notify-test":
            return asyncio.run(notify_test(settings, args.address))
        return asyncio.run(_users(settings, args))
    except SQLAlchemyError as exc:
        print(
            f"FACILITATE_DATABASE_URL: cannot use the database: {type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        return 1
    except OSError as exc:  # a port in use, an unreadable data directory, ...
        print(f"facilitate {args.command}: {exc}", file=sys.stderr)
        return 1


def _serve(settings: Settings, *, worker: bool = False) -> int:
    revision = asyncio.run(_revision(settings))
    if revision != head_revision():
        print("The database schema is not up to date. Run: facilitate db upgrade", file=sys.stderr)
        return 1
    settings = settings.with_secret_key()
    sockets = None
    if worker:  # one of several processes on the port; the supervisor printed the link
        settings, sockets = worker_sockets(settings)
    else:
        asyncio.run(_announce_setup(settings))
    try:
        app = create_app(settings)
    except CatalogueError as exc:
        print(f"The warm-up catalogue has a mistake: {exc}", file=sys.stderr)
        return 1
    # Everything loaded so far lives for the whole run: keep the collector from walking it
    # again and again (fewer, shorter pauses under load).
    gc.freeze()
    # Young objects (a request's worth) are collected in fewer, bigger sweeps: shorter tails.
    gc.set_threshold(50_000, 20, 20)
    if sockets is not None:
        web.run_app(
            app,
            sock=sockets,
            access_log=None,
            print=None,
            handle_signals=False,
            loop=stop_once_loop(),
        )
    else:
        web.run_app(app, host=settings.host, port=settings.port, access_log=None)
    return 0


async def _revision(settings: Settings) -> str | None:
    engine = make_engine(settings.database_url, one_shot=True)
    try:
        return await current_revision(engine)
    finally:
        await engine.dispose()


async def _announce_setup(settings: Settings) -> None:
    """First run: print (not log) a one-time link that creates the first admin."""
    database = Database(make_engine(settings.database_url, one_shot=True))
    try:
        async with database.session() as db:
            if await accounts.admin_exists(db):
                return
            token = await accounts.new_setup_token(
                db, Clock().now(), timedelta(hours=SETUP_LINK_HOURS)
            )
            await db.commit()
    finally:
        await database.close()
    print(
        "\nNo admin account yet. Open this link within 24 hours to create one:\n"
        f"  {settings.base_url}/setup/{token}\n"
        "or run: facilitate users add YOURNAME --role admin\n",
        flush=True,
    )


async def _check(settings: Settings) -> int:
    problems: list[str] = []
    engine = make_engine(settings.database_url, one_shot=True)
    try:
        revision = await current_revision(engine)
        if revision != head_revision():
            problems.append(
                f"FACILITATE_DATABASE_URL: schema is {revision or 'empty'}; run facilitate db upgrade"
            )
        else:
            lines, cluster_warnings = await cluster_report(settings, engine)
            print("\n".join(lines))
            for warning in cluster_warnings:
                print(f"warning: {warning}")
    except (SQLAlchemyError, OSError) as exc:
        problems.append(f"FACILITATE_DATABASE_URL: cannot connect: {type(exc).__name__}")
    finally:
        await engine.dispose()
    problems += await check_alerts(settings)
    try:
        warmups = load_catalogue(settings.warmups_dir)
        print(f"Warm-up catalogue: {len(warmups)} warm-ups.")
    except CatalogueError as exc:
        problems.append(f"warm-up catalogue: {exc}")
    for warning in warnings(settings):
        print(f"warning: {warning}")
    for problem in problems:
        print(f"problem: {problem}", file=sys.stderr)
    if problems:
        return 1
    print("Settings are valid and the database is ready.")
    return 0


async def _users(settings: Settings, args: argparse.Namespace) -> int:
    database = Database(make_engine(settings.database_url, one_shot=True))
    try:
        async with database.session() as db:
            if args.users_command == "list":
                for account in await accounts.list_accounts(db):
                    state = "disabled" if account.disabled else "active"
                    print(
                        f"{account.username:<24} {account.role:<12} {state:<9} {account.display_name}"
                    )
                return 0
            if args.users_command == "disable":
                found = await accounts.by_username(db, args.username)
                if found is None or found.id is None:
                    print(f"No account called {args.username!r}.", file=sys.stderr)
                    return 1
                await accounts.set_disabled(
                    db, found, True, actor_id=None, now=Clock().now(), via="cli"
                )
                await db.commit()
                print(f"Disabled {found.username} and signed them out everywhere.")
                return 0
            return await _add_user(db, args)
    finally:
        await database.close()


NO_TERMINAL = (
    "No terminal to ask for the password on. Give it on standard input instead:\n"
    "  printf '%s\\n' \"$PASSWORD\" | facilitate users add NAME --password-stdin"
)


async def _add_user(db: AsyncSession, args: argparse.Namespace) -> int:
    passwords = Passwords(PasswordPolicy(load_common_passwords()))
    if args.password_stdin:
        password = again = sys.stdin.readline().rstrip("\n")
    elif not sys.stdin.isatty():
        print(NO_TERMINAL, file=sys.stderr)
        return 2
    else:
        try:
            password = getpass.getpass("Password: ")
            again = getpass.getpass("Same password again: ")
        except EOFError:  # Ctrl-D at the prompt
            print("\nNo password given; nothing was added.", file=sys.stderr)
            return 2
    display_name = args.name or args.username
    problems = account_problems(
        username=args.username,
        display_name=display_name,
        role=args.role,
        password=password,
        password_again=again,
        policy=passwords.policy,
    )
    if problems:
        english = NullTranslations()
        for field, found in problems.items():
            print(f"{field}: {describe(found, english, passwords.policy)}", file=sys.stderr)
        return 1
    now = Clock().now()
    try:
        account = await accounts.create_account(
            db,
            username=args.username,
            display_name=display_name,
            password_hash=passwords.hash(password),
            role=Role(args.role),
            now=now,
        )
    except accounts.UsernameTaken:
        print(f"The username {args.username!r} is already taken.", file=sys.stderr)
        return 1
    audit.record(
        db,
        at=now,
        actor_id=None,
        action="account.created",
        target=f"account:{account.id}",
        role=args.role,
        via="cli",
    )
    await db.commit()
    print(f"Added {account.username} ({account.role}).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
