"""`flask retention schedule` (show or set the province's schedule) and `flask retention due`
(the month's list of records past their retention date, for cron; erasure itself is confirmed
by a supervisor on the "records due for erasure" page)."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from casework.extensions import db
from casework.models.case import Case
from casework.services import retention
from casework.services.errors import DomainError

retention_cli = AppGroup("retention", help="The retention schedule and the records it makes due.")


@retention_cli.command("schedule")
@click.option("--closed-years", type=int, help="Years a closed case is kept.")
@click.option("--withdrawn-days", type=int,
              help="Days after she withdraws consent to keep her record.")
def schedule_cmd(closed_years: int | None, withdrawn_days: int | None) -> None:
    """Print the schedule in force; with options, set a new one (audited as the system's)."""
    current = retention.schedule()
    if closed_years is not None or withdrawn_days is not None:
        try:
            current = retention.set_schedule(
                closed_case_years=closed_years or current.closed_case_years,
                withdrawn_record_days=withdrawn_days or current.withdrawn_record_days,
                actor=None)
        except DomainError as error:
            raise click.ClickException(str(error.message)) from None
        db.session.commit()
    click.echo(f"closed cases kept {current.closed_case_years} years; "
               f"erased {current.withdrawn_record_days} days after consent to keep is withdrawn")


@retention_cli.command("due")
def due_cmd() -> None:
    """List the records due for erasure today (case numbers only), and how many."""
    rows = retention.proposals(select(Case))
    for row in rows:
        click.echo(f"{row.case.case_number}\t{row.rule}\tdue {row.due_on.isoformat()}")
    click.echo(f"{len(rows)} records due for erasure; a supervisor confirms them on the "
               "'records due for erasure' page")
