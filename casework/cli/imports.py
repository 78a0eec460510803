"""``flask import-records PATH --unit CODE --as-user USERNAME [--dry-run] [--clean-only]``,
and ``flask import-staging-cleanup`` (for cron: deletes expired staged uploads).

For the server's operator (an administrator) moving a district's files in at once. No secret
is taken on the command line: the account is named, not authenticated (whoever runs ``flask``
on the server already holds the keys). The import is recorded as that account's, so it must be
an active caseworker or supervisor (``Permission.IMPORT_RECORDS``; administrator accounts see
no case content and cannot be named) whose unit's subtree covers ``--unit``. The rules are the
web's: the same checks, the same scope (the account's, narrowed to ``--unit``), the same
daily cap of identity checks for that account, the same audit events.
The file is read into memory; nothing from it is printed but problems by sheet, row and
column.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from casework.authz import import_scope
from casework.extensions import db
from casework.models.org import OrgUnit
from casework.models.user import User
from casework.services.errors import DomainError
from casework.services.imports import apply as importer
from casework.services.imports import auditing, reader, staging, template, validate


def _uploads(path: Path) -> list[reader.Upload]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv")
        if not files:
            raise click.ClickException("No CSV files in that folder.")
        return [reader.Upload(p.name, p.read_bytes()) for p in files]
    max_bytes = reader.limits()[0]
    if path.stat().st_size > max_bytes:
        raise click.ClickException(f"The file is larger than {max_bytes // 2**20} MB.")
    return [reader.Upload(path.name, path.read_bytes())]


@click.command("import-records")
@with_appcontext
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--unit", "unit_code", required=True, help="Code of the unit whose subtree the "
              "records belong to.")
@click.option("--as-user", "username", required=True, help="The caseworker or supervisor "
              "account recorded as importer (its unit must cover --unit).")
@click.option("--dry-run", is_flag=True, help="Check only; write nothing.")
@click.option("--clean-only", is_flag=True, help="Import the clean rows, reject the others.")
@click.option("--rejected-file", type=click.Path(dir_okay=False, path_type=Path),
              help="With --clean-only: write the rejected rows to this workbook.")
def import_records(path: Path, unit_code: str, username: str, dry_run: bool, clean_only: bool,
                   rejected_file: Path | None) -> None:
    """Import existing records from a workbook (or a folder of CSV files, one per sheet)."""
    unit = db.session.scalar(select(OrgUnit).where(OrgUnit.code == unit_code.strip().upper()))
    if unit is None:
        raise click.ClickException(f"No organisation unit with code {unit_code}.")
    user = db.session.scalar(select(User).where(User.username == username))
    scope = import_scope(user) if user is not None and user.active else None
    if user is None or scope is None or not unit.is_within(scope):
        raise click.ClickException("That account does not exist, is inactive, is not a "
                                   "caseworker or supervisor, or may not import into this unit.")
    uploads = _uploads(path)
    try:
        book = reader.read_uploads(uploads)
        report = validate.check(db.session(), book, unit, user)
    except validate.IdentityChecksExhausted as refused:
        db.session.rollback()
        auditing.record_refused(unit=unit, source="cli", reason="identity_checks", actor=user)
        db.session.commit()
        raise click.ClickException(str(refused.message)) from None
    except reader.FileRefused as refused:
        raise click.ClickException(str(refused.message)) from None
    # The dry run wrote only the account's count of identity checks; keep it with the event.
    auditing.record_checked(report, unit=unit, source="cli", actor=user)
    db.session.commit()
    for problem in report.sorted_problems():
        kind = "LỖI" if problem.severity == "error" else "KIỂM TRA"
        where = f"{problem.sheet_title} dòng {problem.row}"
        if problem.column:
            where += f", cột {problem.column_header}"
        click.echo(f"{kind}: {where}: {problem.message}")
    for sheet in validate.spec.SHEETS:
        c = report.counts[sheet.key]
        click.echo(f"{sheet.title}: {c.total} dòng, {c.accepted} sẵn sàng, {c.rejected} lỗi, "
                   f"{c.existing} đã nhập trước đó")
    if dry_run:
        click.echo("Dry run: nothing was written.")
        sys.exit(0 if report.clean else 1)
    mode = "clean_only" if clean_only else "all"
    digest = auditing.file_mac(uploads)
    try:
        with click.progressbar(length=len(report.cases), label="Importing") as bar:
            batch = importer.apply(report, actor=user, scope_unit=unit, file_mac=digest,
                                   mode=mode, source="cli", progress=bar.update)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from None
    except Exception as error:
        db.session.rollback()
        importer.record_failure(actor=user, scope_unit=unit, file_mac=digest, mode=mode,
                                source="cli", report=report, error=error)
        db.session.commit()
        raise click.ClickException(f"The import failed ({type(error).__name__}); nothing "
                                   "was written.") from None
    click.echo(f"Imported batch {batch.id}: {batch.cases_created} cases, {batch.needs_created} "
               f"needs, {batch.referrals_created} referrals, {batch.consents_created} consents, "
               f"{batch.transfers_created} transfers, {batch.closures_created} closures; "
               f"{batch.rows_rejected} rows rejected.")
    if rejected_file is not None and report.rejected_rows:
        data = template.build_rejected(importer.rejected_rows(report))
        fd = os.open(rejected_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        click.echo(f"Rejected rows written to {rejected_file}.")


@click.command("import-staging-cleanup")
@with_appcontext
def import_staging_cleanup() -> None:
    """Delete staged import uploads older than CASEWORK_IMPORT_STAGING_MINUTES (run from cron)."""
    removed = staging.sweep()
    click.echo(f"Deleted {removed} expired staged upload(s).")
