"""`flask backup create` (dump + manifest from one snapshot) and `flask backup verify-restore`."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from casework.services import backup
from casework.services.effective_dates import today

backup_cli = AppGroup("backup", help="Database backups and the restore drill.")


@backup_cli.command("create")
@click.option("--output-dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the dump and its manifest (made mode 0700).")
@click.option("--as-of", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Day the manifest's figures are computed for [today, Vietnam time].")
def create_cmd(output_dir: Path, as_of: datetime | None) -> None:
    """pg_dump the database (custom format) and write the manifest of the same snapshot:
    row counts, audit head, target-5 figures; no personal data. The key file is NOT in it:
    back that up separately (README, "Backups")."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    day: date = as_of.date() if as_of else today()
    try:
        result = backup.create_backup(str(current_app.config["SQLALCHEMY_DATABASE_URI"]),
                                      output_dir, day, stamp=stamp)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Dump     {result.dump} ({result.dump_bytes / 1e6:.1f} MB, "
               f"{result.dump_seconds:.1f} s)")
    click.echo(f"Manifest {result.manifest} ({result.manifest_seconds:.1f} s)")


@backup_cli.command("verify-restore")
@click.option("--manifest", "manifest_path", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The manifest written with the dump that was restored.")
@click.option("--anchor-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="Also check the audit anchors (a copy of "
              "CASEWORK_AUDIT_ANCHOR_PATH) up to the backup's head.")
@click.option("--sample", default=backup.DEFAULT_SAMPLE, show_default=True,
              help="Women's records to decrypt.")
def verify_restore_cmd(manifest_path: Path, anchor_file: Path | None, sample: int) -> None:
    """Prove that the database CASEWORK_DATABASE_URL points at, restored from a dump, is that
    backup and readable with this key file: migrations current, audit chain verified to the
    manifest's head, a sample of women decrypted, counts and target-5 figures as in the
    manifest. Prints one line per check; exits 1 if any fails."""
    document = json.loads(manifest_path.read_text(encoding="utf-8"))
    report = backup.check_restore(document, anchor_file=anchor_file, sample=sample)
    for check in report.checks:
        click.echo(f"{'OK ' if check.ok else 'BAD'} {check.name:<17} {check.detail} "
                   f"({check.seconds:.1f} s)")
    if not report.ok:
        click.echo("RESTORE NOT PROVEN")
        raise SystemExit(1)
    click.echo("RESTORE PROVEN")
