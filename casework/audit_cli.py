"""`flask audit verify` and `flask audit export-head`."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

audit_cli = AppGroup("audit", help="Check and anchor the audit trail.")


@audit_cli.command("verify")
@click.option("--head", "head_file", type=click.Path(exists=True, dir_okay=False),
              help="A head exported earlier, to detect a truncated tail.")
def verify_cmd(head_file: str | None) -> None:
    """Recompute the MAC chain; print OK or the first bad sequence number (exit 1)."""
    from casework import audit
    from casework.extensions import db

    head = json.loads(Path(head_file).read_text(encoding="utf-8")) if head_file else None
    result = audit.verify(db.session(), head=head)
    if result.ok:
        click.echo(f"OK {result.count} events, head seq {result.head_seq}")
        return
    click.echo(f"BAD first bad sequence number {result.first_bad_seq}: {result.problem}")
    raise SystemExit(1)


@audit_cli.command("export-head")
@click.option("--output", type=click.Path(dir_okay=False), help="Write to a file instead.")
def export_head_cmd(output: str | None) -> None:
    """Print the chain head (seq and MAC) to keep somewhere the app cannot write."""
    from casework import audit
    from casework.extensions import db

    text = json.dumps(audit.export_head(db.session()), sort_keys=True)
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
    click.echo(text)
