"""``python -m server backup FILE`` and ``restore FILE`` (README, "Backup and restore").

SQLite: SQLite's online backup API (``sqlite3.Connection.backup``) copies a consistent
snapshot while the server keeps running; a restore copies the file back the same way.
PostgreSQL: ``pg_dump -Fc`` (a consistent snapshot, the server keeps running) and
``pg_restore --clean --if-exists --single-transaction`` (all or nothing).

After a restore the change counter is back where it was at the backup: devices that
synced since then hold cursors beyond it and get ``reset: "horizon"`` on their next sync
(docs/sync-protocol.md, "Restoring a backup").
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import URL, make_url

SQLITE_PREFIXES = ("sqlite+aiosqlite", "sqlite")
#: tables a Wangge database has; a file without them is refused before anything is overwritten
REQUIRED_TABLES = ("sync_state", "users", "areas")


class BackupError(ValueError):
    """A backup or restore that cannot be done; the message says why (the CLI prints it)."""


def backup(database_url: str, target: Path) -> str:
    """Write a backup of the database to ``target``; returns a line to print."""
    url = make_url(database_url)
    if url.drivername in SQLITE_PREFIXES:
        return _sqlite_backup(_sqlite_path(url), target)
    if url.drivername.startswith("postgresql"):
        return _pg_backup(url, target)
    raise BackupError(f"cannot back up a {url.drivername} database")


def restore(database_url: str, source: Path) -> str:
    """Replace the database's content with the backup in ``source``; returns a line to print."""
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    url = make_url(database_url)
    if url.drivername in SQLITE_PREFIXES:
        return _sqlite_restore(_sqlite_path(url), source)
    if url.drivername.startswith("postgresql"):
        return _pg_restore(url, source)
    raise BackupError(f"cannot restore a {url.drivername} database")


# --------------------------------------------------------------------------- SQLite


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(url.database)


def _check_sqlite(path: Path) -> None:
    """Refuse a file that is not a sound Wangge database."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as con:
            ok = con.execute("PRAGMA integrity_check").fetchone()
            names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite database: {exc}") from exc
    if ok is None or ok[0] != "ok":
        raise BackupError(f"{path} fails SQLite's integrity check: {ok}")
    missing = [t for t in REQUIRED_TABLES if t not in names]
    if missing:
        raise BackupError(f"{path} is not a Wangge database (no {', '.join(missing)})")


def _sqlite_backup(path: Path, target: Path) -> str:
    if not path.is_file():
        raise BackupError(f"no database at {path}")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Into a temporary file beside the target, then renamed: a half-written backup never
    # carries the target's name.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with (
            closing(sqlite3.connect(path, timeout=30)) as src,
            closing(sqlite3.connect(tmp)) as dst,
        ):
            src.backup(dst)  # one consistent snapshot, even with writers running
            dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
        _check_sqlite(tmp)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return f"backed up {path} to {target} ({target.stat().st_size} bytes)"


def _sqlite_restore(path: Path, source: Path) -> str:
    _check_sqlite(source)
    path.parent.mkdir(parents=True, exist_ok=True)
    with (
        closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as src,
        closing(sqlite3.connect(path, timeout=30)) as dst,
    ):
        # The backup API writes through SQLite's locks and journal (WAL included): a
        # reader sees the old or the new database, never a mix, and a crash rolls back.
        src.backup(dst)
    return f"restored {path} from {source}"


# --------------------------------------------------------------------------- PostgreSQL


def pg_tool(name: str) -> str:
    """``pg_dump`` / ``pg_restore``: from PATH, else the newest under /usr/lib/postgresql."""
    found = shutil.which(name)
    if found:
        return found
    # a newer pg_dump reads older servers, never the reverse: take the newest
    candidates = [p for p in glob.glob(f"/usr/lib/postgresql/*/bin/{name}") if _major(p)]
    if not candidates:
        raise BackupError(f"{name} not found: install the PostgreSQL client (postgresql-client)")
    return max(candidates, key=_major)


def _major(tool_path: str) -> int:
    version = Path(tool_path).parts[-3]  # /usr/lib/postgresql/<major>/bin/<tool>
    return int(version) if version.isdigit() else 0


def _libpq(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection options for the PostgreSQL tools, the password in the environment."""
    args = ["--dbname", url.database or "postgres", "--no-password"]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()[-2000:]}")


def _pg_backup(url: URL, target: Path) -> str:
    target.parent.mkdir(parents=True, exist_ok=True)
    args, env = _libpq(url)
    tmp = target.with_name(f".{target.name}.partial")
    try:
        _run([pg_tool("pg_dump"), "--format=custom", "--no-owner", *args, "--file", str(tmp)], env)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)
    return f"backed up {url.database} to {target} ({target.stat().st_size} bytes)"


def _pg_restore(url: URL, source: Path) -> str:
    args, env = _libpq(url)
    listing = subprocess.run(
        [pg_tool("pg_restore"), "--list", str(source)], capture_output=True, text=True, check=False
    )
    if listing.returncode != 0:
        raise BackupError(f"{source} is not a pg_dump archive: {listing.stderr.strip()[-500:]}")
    missing = [t for t in REQUIRED_TABLES if f" TABLE public {t} " not in listing.stdout]
    if missing:
        raise BackupError(f"{source} is not a Wangge backup (no {', '.join(missing)})")
    command = [
        pg_tool("pg_restore"),
        "--clean",
        "--if-exists",
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        *args,
        str(source),
    ]
    _run(command, env)
    return f"restored {url.database} from {source}"
