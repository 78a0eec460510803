"""``flask outbox work`` (the message worker) and ``flask schedule run`` (reminders)."""

from __future__ import annotations

import signal
from typing import Any

import click
from flask.cli import AppGroup

from casework.outbox import worker
from casework.services import reminders

outbox_cli = AppGroup("outbox", help="Messages by e-mail, SMS and Zalo.")


@outbox_cli.command("work")
@click.option("--once", is_flag=True, help="Send what is due now, then stop (for cron).")
@click.option("--interval", default=30.0, show_default=True,
              help="Seconds between rounds when running as a service.")
def work(once: bool, interval: float) -> None:
    """Send queued messages, retrying failures with back-off; runs until stopped."""
    if once:
        report = worker.drain()
        note = " (quiet hours: nothing sent)" if report.quiet else ""
        click.echo(f"outbox: {report.sent} sent, {report.failed} failed (will retry), "
                   f"{report.given_up} given up, {report.digested} folded into digests{note}")
        return
    stopping = {"now": False}

    def stop(_signum: int, _frame: Any) -> None:
        stopping["now"] = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    click.echo(f"outbox worker: every {interval:g} s; stop with SIGTERM or Ctrl-C")
    worker.run(interval=interval, should_stop=lambda: stopping["now"])


schedule_cli = AppGroup("schedule", help="Reminders and escalation (run from cron or a timer).")


@schedule_cli.command("run")
@click.option("--send/--no-send", default=True, show_default=True,
              help="Also send what is due in the outbox (one cron line for a small office).")
def schedule_run(send: bool) -> None:
    """Send today's reminders once each; safe to run twice at once and after a gap."""
    counts = reminders.run()
    shown = ", ".join(f"{kind} {n}" for kind, n in reminders.summary(counts).items())
    click.echo(f"reminders: {shown}")
    if send:
        report = worker.drain()
        note = " (quiet hours: messages wait)" if report.quiet else ""
        click.echo(f"outbox: {report.sent} sent, {report.failed} failed (will retry), "
                   f"{report.given_up} given up{note}")
