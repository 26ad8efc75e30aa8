"""Flask commands backup and restore (registered by forum/cli.py); the work is
forum/services/backups.py."""

from __future__ import annotations

import time
from pathlib import Path

import click

from forum.formats.backup_archive import BackupError


def _progress(line: str) -> None:
    click.echo(line, err=True)


def _fail(error: BackupError) -> None:
    click.echo(f"Error: {error.message}", err=True)
    raise SystemExit(1) from error


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(file: Path) -> None:
    """Write the database and the uploaded images to FILE (a .tar.gz), safely while the
    forum serves. SQLite: its online backup API; PostgreSQL: pg_dump."""
    from forum.services.backups import create_backup

    started = time.monotonic()
    try:
        report = create_backup(file, progress=_progress)
    except BackupError as error:
        _fail(error)
    manifest = report.manifest
    click.echo(f"Backed up to {report.path} ({report.size:,} bytes) in "
               f"{time.monotonic() - started:.1f} s: {manifest.database_kind} database, "
               f"{sum(manifest.row_counts.values()):,} rows in {len(manifest.row_counts)} "
               f"tables, {len(manifest.uploads)} uploaded image(s).")
    if manifest.missing_uploads:
        click.echo(f"Warning: {len(manifest.missing_uploads)} image(s) have no file in the "
                   f"uploads folder (first: {manifest.missing_uploads[0]}).", err=True)


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Replace what the database (and uploads of the same names) hold now. "
                   "Without it a restore goes only into an empty database.")
def restore_command(file: Path, force: bool) -> None:
    """Restore a backup FILE into the configured database (FORUM_DATABASE_URL), which must
    be empty and of the same kind, and its uploads folder; then check every table's row
    count against the backup. Stop the app and its workers first."""
    from forum.services.backups import restore_backup

    started = time.monotonic()
    try:
        report = restore_backup(file, force=force, progress=_progress)
    except BackupError as error:
        _fail(error)
    manifest = report.manifest
    click.echo(f"Restored the backup of {manifest.created_at} in "
               f"{time.monotonic() - started:.1f} s: {sum(manifest.row_counts.values()):,} "
               f"rows in {len(manifest.row_counts)} tables, every count as in the backup; "
               f"{report.uploads_written} image file(s) written, {report.uploads_present} "
               "already there.")
    if report.extra_uploads:
        click.echo(f"{report.extra_uploads} file(s) in the uploads folder are not in the "
                   "backup; they were left as they were.")
    for note in report.notes:
        click.echo(f"Note: {note}")
