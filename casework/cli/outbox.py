"""``flask outbox work`` (the message worker) and ``flask schedule run`` (reminders)."""

from __future__ import annotations

import signal
from typing import Any

import click
from flask.cli import AppGroup

from casework.outbox import worker

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
