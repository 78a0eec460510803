"""`flask audit verify`, `flask audit anchor` (for cron) and `flask audit export-head`."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

from casework import audit
from casework.audit import anchor as audit_anchor
from casework.extensions import db

audit_cli = AppGroup("audit", help="Check and anchor the audit trail.")


def describe(result: object) -> str:
    """One line for a failed verification, naming the events lost (English, for operators)."""
    r: audit.VerifyResult = result  # type: ignore[assignment]
    if r.problem in (audit.CUT_TAIL, audit.EMPTIED, audit.REWRITTEN):
        span = (f"event {r.missing_from}" if r.missing_from == r.missing_to
                else f"events {r.missing_from}-{r.missing_to}")
        what = {audit.CUT_TAIL: f"missing (the log ends at {r.head_seq})",
                audit.EMPTIED: "missing (the log is empty)",
                audit.REWRITTEN: "no longer match the anchor (database rolled back or rewritten)",
                }[r.problem]
        return f"BAD {span} {what}; anchored at {r.anchor_at} up to event {r.anchor_seq}"
    return f"BAD first bad sequence number {r.first_bad_seq}: {r.problem}"


@audit_cli.command("verify")
@click.option("--head", "head_file", type=click.Path(exists=True, dir_okay=False),
              help="A head exported earlier, checked as well as the anchor file.")
def verify_cmd(head_file: str | None) -> None:
    """Recompute the MAC chain and compare it with every anchor; print OK or what is wrong
    (exit 1). A good chain's head is anchored."""
    path = audit_anchor.anchor_path()
    try:
        anchors = audit_anchor.read_anchors(path)
    except audit_anchor.AnchorError as error:
        raise click.ClickException(str(error)) from None
    if head_file:
        anchors.append(json.loads(Path(head_file).read_text(encoding="utf-8")))
    result = audit.verify(db.session(), anchors=anchors)
    if not result.ok:
        click.echo(describe(result))
        raise SystemExit(1)
    try:
        audit_anchor.write_anchor(db.session(), path, source="verify",
                                  head=(result.head_seq, result.head_mac))
    except audit_anchor.AnchorError as error:
        raise click.ClickException(str(error)) from None
    anchored = f", anchored up to {result.anchor_seq}" if result.anchor_seq else ", no anchor yet"
    click.echo(f"OK {result.count} events, head seq {result.head_seq}{anchored}")


@audit_cli.command("anchor")
def anchor_cmd() -> None:
    """Append the chain head to the anchor file (run from cron, e.g. every 10 minutes)."""
    path = audit_anchor.anchor_path()
    try:
        anchor = audit_anchor.write_anchor(db.session(), path, source="command")
    except audit_anchor.AnchorError as error:
        click.echo(f"BAD {error}")
        raise SystemExit(1) from None
    if anchor is None:
        click.echo(f"Unchanged: the head is already anchored in {path}")
    else:
        click.echo(f"Anchored seq {anchor['seq']} in {path}")


@audit_cli.command("export-head")
@click.option("--output", type=click.Path(dir_okay=False), help="Write to a file instead.")
def export_head_cmd(output: str | None) -> None:
    """Print the chain head (seq and MAC) to keep somewhere the app cannot write."""
    text = json.dumps(audit.export_head(db.session()), sort_keys=True)
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
    click.echo(text)
