"""`python -m server ...`: run, migrate, seed-demo, demo-accounts, create-user, move-user,
purge-tombstones, backup, restore, import."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from server.config import Settings


def _ensure_sqlite_dir(url: str) -> None:
    prefix = "sqlite+aiosqlite:///"
    if url.startswith(prefix) and url != prefix + ":memory:":
        Path(url[len(prefix) :]).parent.mkdir(parents=True, exist_ok=True)


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> int:
    from server.migrate import analyze_url, upgrade

    _ensure_sqlite_dir(settings.database_url)
    upgrade(settings.database_url)
    asyncio.run(analyze_url(settings.database_url))
    print("database migrated to head")
    return 0


def cmd_seed_demo(settings: Settings, args: argparse.Namespace) -> int:
    from server.seed import seed_demo

    summary = asyncio.run(seed_demo(settings, seed=args.seed, if_empty=args.if_empty))
    print(summary)
    return 0


def cmd_demo_accounts(_settings: Settings, args: argparse.Namespace) -> int:
    from server.seed import demo_accounts_text

    print(demo_accounts_text(seed=args.seed))
    return 0


def cmd_create_user(settings: Settings, args: argparse.Namespace) -> int:
    from server.accounts.service import create_user_cli

    password = os.environ.get("WANGGE_NEW_PASSWORD") or getpass.getpass("password: ")
    message = asyncio.run(
        create_user_cli(
            settings,
            phone=args.phone,
            name=args.name,
            role=args.role,
            area_code=args.area,
            facility_id=args.facility,
            password=password,
        )
    )
    print(message)
    return 0


def cmd_move_user(settings: Settings, args: argparse.Namespace) -> int:
    from server.accounts.moves import move_user_cli

    print(asyncio.run(move_user_cli(settings, phone=args.phone, area_code=args.area)))
    return 0


def cmd_purge_tombstones(settings: Settings, _args: argparse.Namespace) -> int:
    from server.registry import REGISTRY
    from server.sync.maintenance import purge_tombstones_cli

    print(asyncio.run(purge_tombstones_cli(settings, REGISTRY)))
    return 0


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    from server.backup import backup

    print(backup(settings.database_url, Path(args.file)))
    return 0


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    from server.backup import restore

    print(restore(settings.database_url, Path(args.file)))
    return 0


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    from server.imports.cli import import_cli

    try:
        content = Path(args.file).read_bytes()
    except OSError as error:
        raise ValueError(f"cannot read {args.file}: {error.strerror}") from error
    code, text = asyncio.run(
        import_cli(
            settings,
            content=content,
            filename=Path(args.file).name,
            area_code=args.area,
            dry_run=args.dry_run,
        )
    )
    print(text)
    return code


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    _ensure_sqlite_dir(settings.database_url)
    uvicorn.run(
        "server.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
        proxy_headers=True,
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m server", description="Wangge 网格防控 server")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="start the web server")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.add_argument("--workers", type=int, default=1, help="processes (use PostgreSQL for >1)")
    run.set_defaults(func=cmd_run)

    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)

    seed = sub.add_parser("seed-demo", help="build the demo county")
    seed.add_argument("--seed", type=int, default=2021)
    seed.add_argument("--if-empty", action="store_true", help="do nothing if users exist")
    seed.set_defaults(func=cmd_seed_demo)

    accounts = sub.add_parser("demo-accounts", help="print the demo accounts")
    accounts.add_argument("--seed", type=int, default=2021)
    accounts.set_defaults(func=cmd_demo_accounts)

    user = sub.add_parser("create-user", help="create a user (password from WANGGE_NEW_PASSWORD)")
    user.add_argument("--phone", required=True)
    user.add_argument("--name", required=True)
    user.add_argument("--role", required=True)
    user.add_argument("--area", required=True, help="area code the user is bound to")
    user.add_argument("--facility", type=int, default=None, help="facility id (sentinels)")
    user.set_defaults(func=cmd_create_user)

    move = sub.add_parser("move-user", help="bind a user to another area (devices re-sync)")
    move.add_argument("--phone", required=True)
    move.add_argument("--area", required=True, help="code of the new area")
    move.set_defaults(func=cmd_move_user)

    purge = sub.add_parser("purge-tombstones", help="drop deletions older than the horizon")
    purge.set_defaults(func=cmd_purge_tombstones)

    dump = sub.add_parser("backup", help="write a consistent backup of the database to FILE")
    dump.add_argument("file", help="SQLite: a database file; PostgreSQL: a pg_dump -Fc archive")
    dump.set_defaults(func=cmd_backup)

    imp = sub.add_parser("import", help="import households and persons from an XLSX or CSV file")
    imp.add_argument("file", help="a sheet made from the template (/admin/import/template.xlsx)")
    imp.add_argument("--area", required=True, help="code of the area the rows must lie in")
    imp.add_argument("--dry-run", action="store_true", help="check and report; write nothing")
    imp.set_defaults(func=cmd_import)

    load = sub.add_parser(
        "restore", help="replace the database's content with a backup (stop the server first)"
    )
    load.add_argument("file", help="a file written by `backup` for the same kind of database")
    load.set_defaults(func=cmd_restore)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    try:
        code: int = args.func(settings, args)
    except ValueError as exc:  # bad arguments the services reject
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return code
