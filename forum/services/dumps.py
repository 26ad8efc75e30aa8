"""Copies of the database itself, for backups (forum/services/backups.py).

SQLite is copied with its online backup API in one step: a read transaction on the
write-ahead log, so the app keeps serving and writing meanwhile. PostgreSQL is dumped by
pg_dump from a snapshot that this module's own transaction exports, and the rows are
counted in that same snapshot, so the counts describe exactly the dump. Credentials
reach pg_dump and pg_restore through their environment (PGPASSWORD …), never on a
command line that `ps` shows to every user of the machine.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import Connection, text
from sqlalchemy.engine import URL

from forum.extensions import db
from forum.formats.backup_archive import BackupError, Manifest
from forum.models import Image

Progress = Callable[[str], None]
# The connection settings libpq reads from its environment, by their URL query names.
LIBPQ_ENVIRONMENT = {
    "host": "PGHOST", "port": "PGPORT", "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT", "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY",
    "sslcrl": "PGSSLCRL", "passfile": "PGPASSFILE", "service": "PGSERVICE",
    "connect_timeout": "PGCONNECT_TIMEOUT", "application_name": "PGAPPNAME",
    "options": "PGOPTIONS", "target_session_attrs": "PGTARGETSESSIONATTRS",
    "gssencmode": "PGGSSENCMODE", "channel_binding": "PGCHANNELBINDING",
}


# SQLite


def sqlite_path() -> Path:
    name = db.engine.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        raise BackupError("Only a SQLite database in a file can be backed up or restored.")
    return Path(name).absolute()


def _sqlite_connect(path: Path) -> sqlite3.Connection:
    timeout = float(current_app.config.get("FORUM_DB_LOCK_TIMEOUT", 5))
    return sqlite3.connect(path, timeout=timeout)


@dataclass
class Snapshot:
    """What the dump holds: rows per table, schema revision, server version, and the
    stored names of its images, all read in the dump's own snapshot."""

    counts: dict[str, int]
    revision: str | None
    version: str
    image_names: list[str]


IMAGE_NAMES = f"SELECT stored_name FROM {Image.__tablename__} ORDER BY id"  # noqa: S608


def sqlite_snapshot(source_path: Path, out: Path) -> Snapshot:
    """Copy the live database file to `out` and read the snapshot's figures from the
    copy. Raises BackupError when the file is missing or SQLite cannot copy it."""
    if not source_path.is_file():
        raise BackupError(f"The database file {source_path} does not exist.")
    source, copy = _sqlite_connect(source_path), sqlite3.connect(out)
    try:
        # All pages in one step: one read transaction, so no concurrent write can make
        # the copy start again (as a step-by-step copy would), and none waits for it.
        source.backup(copy)
    except sqlite3.Error as error:
        copy.close()
        raise BackupError(f"SQLite could not copy {source_path}: {error}.") from error
    finally:
        source.close()
    try:
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        counts = _sqlite_counts(copy)
        names = [row[0] for row in copy.execute(IMAGE_NAMES)] \
            if Image.__tablename__ in counts else []
        return Snapshot(counts, _sqlite_revision(copy), sqlite3.sqlite_version, names)
    finally:
        copy.close()


def _sqlite_tables(connection: sqlite3.Connection) -> list[str]:
    return [row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]


def _sqlite_counts(connection: sqlite3.Connection, tables=None) -> dict[str, int]:
    """Rows per table (-1: no such table)."""
    present = _sqlite_tables(connection)
    names = present if tables is None else tables
    return {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]  # noqa: S608
            if name in present else -1 for name in names}


def _sqlite_revision(connection: sqlite3.Connection) -> str | None:
    if "alembic_version" not in _sqlite_tables(connection):
        return None
    row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def sqlite_restore(staged: Path, force: bool, manifest: Manifest,
                   progress: Progress) -> dict[str, int]:
    """Write the staged copy into the configured database file (empty unless `force`);
    returns the rows counted there. Raises BackupError, the target untouched, when the
    copy does not hold the manifest's rows or the target has rows."""
    target = sqlite_path()
    if not target.parent.is_dir():
        raise BackupError(f"{target.parent}: no such folder for the database file.")
    with closing(sqlite3.connect(staged)) as copy:
        if (counts := _sqlite_counts(copy, list(manifest.row_counts))) != manifest.row_counts:
            raise BackupError("The database in the backup does not hold the rows its "
                              f"manifest counts: {differences(manifest.row_counts, counts)}.")
    with closing(_sqlite_connect(target)) as destination:
        _refuse_unless_empty(_sqlite_filled(destination), force)
        progress(f"Copying the database into {target} (online backup API)…")
        with closing(sqlite3.connect(staged)) as copy:
            try:
                copy.backup(destination)  # one write transaction: all or nothing
            except sqlite3.Error as error:
                raise BackupError(f"SQLite could not write {target}: {error}. Nothing was "
                                  "changed.") from error
        destination.execute("PRAGMA journal_mode=WAL")
        return _sqlite_counts(destination, list(manifest.row_counts))


def _sqlite_filled(connection: sqlite3.Connection) -> list[str]:
    tables = [name for name in _sqlite_tables(connection) if name in _people_tables()]
    return [name for name in tables if connection.execute(
        f'SELECT EXISTS (SELECT 1 FROM "{name}")').fetchone()[0]]  # noqa: S608


# PostgreSQL


def libpq_environment(url: URL) -> dict[str, str]:
    """The environment for pg_dump and pg_restore: this process's, with the URL's
    connection settings (password included) as libpq's PG* variables."""
    env = dict(os.environ)
    parts = {"PGHOST": url.host, "PGPORT": url.port, "PGUSER": url.username,
             "PGPASSWORD": url.password, "PGDATABASE": url.database}
    for name, value in url.query.items():
        if name in LIBPQ_ENVIRONMENT:
            parts[LIBPQ_ENVIRONMENT[name]] = value if isinstance(value, str) else value[-1]
    env.update({key: str(value) for key, value in parts.items() if value not in (None, "")})
    return env


def find_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} was not found on PATH. It comes with PostgreSQL's client "
                          "tools (Debian: apt-get install postgresql-client), of the "
                          "server's major version or newer.")
    return path


def _run(argv: list[str], progress: Progress) -> None:
    env = libpq_environment(db.engine.url)
    tool = Path(argv[0]).name
    # Only options and file names here: the credentials are in env.
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise BackupError(f"{tool} failed (exit {done.returncode}): "
                          + (" / ".join(lines[-5:]) or "no message."))
    for line in done.stderr.splitlines():
        if line.strip():
            progress(f"  {tool}: {line}")


def _postgres_tables(connection: Connection) -> list[str]:
    return list(connection.scalars(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
        "ORDER BY tablename")))


def _postgres_counts(connection: Connection, tables=None) -> dict[str, int]:
    """Rows per table (-1: no such table)."""
    names = _postgres_tables(connection) if tables is None else tables
    present = set(_postgres_tables(connection))
    return {name: connection.scalar(text(f'SELECT count(*) FROM "{name}"'))  # noqa: S608
            if name in present else -1 for name in names}


def postgres_snapshot(out: Path) -> Snapshot:
    """pg_dump the database to `out` (custom format) from a snapshot this transaction
    exports and reads its figures in. Raises BackupError when pg_dump is missing or fails."""
    pg_dump = find_tool("pg_dump")
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            # The dump may take longer than any request: no deadline while it runs.
            connection.execute(text("SET LOCAL statement_timeout = 0"))
            connection.execute(text("SET LOCAL idle_in_transaction_session_timeout = 0"))
            snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
            counts = _postgres_counts(connection)
            revision = (connection.scalar(text("SELECT version_num FROM alembic_version"))
                        if "alembic_version" in counts else None)
            version = connection.scalar(text("SHOW server_version"))
            names = list(connection.scalars(text(IMAGE_NAMES))) \
                if Image.__tablename__ in counts else []
            # pg_dump reads the snapshot this transaction holds open until it is done.
            _run([pg_dump, "--format=custom", "--compress=0", "--no-password",
                  f"--snapshot={snapshot}", f"--file={out}"], lambda _line: None)
    return Snapshot(counts, revision, str(version).split()[0], names)


def postgres_restore(staged: Path, force: bool, manifest: Manifest,
                     progress: Progress) -> dict[str, int]:
    """pg_restore the staged dump into the configured database (empty unless `force`) in
    one transaction; returns the rows counted there. Raises BackupError, the database as
    it was, when pg_restore is missing or fails or the target has rows."""
    pg_restore = find_tool("pg_restore")
    with db.engine.connect() as connection:
        tables = _postgres_tables(connection)
        filled = [name for name in tables if name in _people_tables() and connection.scalar(
            text(f'SELECT EXISTS (SELECT 1 FROM "{name}")'))]  # noqa: S608
    _refuse_unless_empty(filled, force)
    progress(f"Restoring into {db.engine.url.database} (pg_restore, one transaction)…")
    # --clean --if-exists replaces an empty schema made by `flask db upgrade`; the one
    # transaction means a failure leaves the database as it was.
    database = db.engine.url.database or ""
    quoted = database.replace("\\", "\\\\").replace("'", "\\'")
    _run([pg_restore, "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", "--exit-on-error", "--no-password",
          f"--dbname=dbname='{quoted}'", str(staged)], progress)
    with db.engine.connect() as connection:
        return _postgres_counts(connection, list(manifest.row_counts))

# Both


def _people_tables() -> set[str]:
    """The tables whose rows people made: the models' (not the schema's revision, nor the
    search index's own tables, which an empty schema already fills)."""
    return set(db.metadata.tables)


def _refuse_unless_empty(filled: list[str], force: bool) -> None:
    if filled and not force:
        shown = ", ".join(filled[:5]) + (" …" if len(filled) > 5 else "")
        raise BackupError(f"The target database is not empty (rows in {shown}). Restore "
                          "into an empty database, or pass --force to replace everything "
                          "in this one with the backup. Nothing was changed.")


def differences(expected: dict[str, int], found: dict[str, int]) -> str:
    return ", ".join(f"{name}: {expected.get(name)} expected, {found.get(name)} found"
                     for name in sorted(set(expected) | set(found))
                     if expected.get(name) != found.get(name))
