"""``flask demo``, ``flask users``, ``flask i18n`` and ``flask indicators``."""

from __future__ import annotations

import os
import sys
import time

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from casework import demo, indicators
from casework.crypto import totp
from casework.extensions import db
from casework.i18n import compile_catalogues
from casework.indicators import store as indicator_store
from casework.models.org import OrgUnit
from casework.models.provider import ServiceProvider
from casework.services import accounts, org_units
from casework.services.effective_dates import today
from casework.services.errors import DomainError

demo_cli = AppGroup("demo", help="Demo data for a local machine.")
users_cli = AppGroup("users", help="Accounts.")
i18n_cli = AppGroup("i18n", help="Translation catalogues.")
indicators_cli = AppGroup("indicators", help="Stored target-5 figures.")


@demo_cli.command("load")
def demo_load() -> None:
    """Load the demo units, providers and accounts (idempotent) and print the logins."""
    if current_app.config["CASEWORK_ENV"] == "production":
        raise click.ClickException("Demo data is refused in production.")
    accounts = demo.load_all()
    db.session.commit()
    click.echo(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
    for spec in accounts:
        where = spec.unit_code or spec.provider_code
        click.echo(f"  {spec.username:<18} {spec.role:<11} {where}")
    click.echo(
        "Admin and supervisor accounts use two-step login. Their authenticator key is "
        f"{demo.DEMO_TOTP_SEED}; or print the current code with `make totp`."
    )


@demo_cli.command("totp")
def demo_totp() -> None:
    """Print the current two-step code of the demo admin and supervisor accounts."""
    if current_app.config["CASEWORK_ENV"] == "production":
        raise click.ClickException("Refused in production.")

    click.echo(totp.code_at(demo.DEMO_TOTP_SEED, time.time()))


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--display-name", default="")
@click.option(
    "--role", type=click.Choice(["admin", "supervisor", "caseworker", "partner"]), required=True
)
@click.option("--unit", "unit_code", help="Org unit code (staff).")
@click.option("--provider", "provider_code", help="Provider code (partners).")
def users_create(
    username: str, display_name: str, role: str, unit_code: str | None, provider_code: str | None
) -> None:
    """Create an account. The password comes from CASEWORK_NEW_USER_PASSWORD or a prompt."""
    password = os.environ.get("CASEWORK_NEW_USER_PASSWORD") or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    unit = (
        db.session.scalar(select(OrgUnit).where(OrgUnit.code == unit_code)) if unit_code else None
    )
    if unit_code and unit is None:
        raise click.ClickException(f"No organisation unit with code {unit_code}.")
    provider = (
        db.session.scalar(select(ServiceProvider).where(ServiceProvider.code == provider_code))
        if provider_code
        else None
    )
    if provider_code and provider is None:
        raise click.ClickException(f"No service provider with code {provider_code}.")
    try:
        user = accounts.create_user(
            accounts.NewUser(
                username=username,
                display_name=display_name or username,
                role=role,
                password=password,
                org_unit=unit,
                provider=provider,
            ),
            actor=None,
        )
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(
        f"Created {user.username} ({user.role}). They must change the password at first "
        "login" + (" and set up two-step login." if role in ("admin", "supervisor") else ".")
    )


@users_cli.command("create-province")
@click.option("--code", required=True)
@click.option("--name", required=True)
def users_create_province(code: str, name: str) -> None:
    """Create the top organisation unit of an empty installation (before the first admin)."""
    try:
        unit = org_units.create_unit(code=code, name=name, kind="province", parent=None, actor=None)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from None
    db.session.commit()
    click.echo(f"Created unit {unit.code}.")


@i18n_cli.command("compile")
def i18n_compile() -> None:
    """Merge the .po fragments and write the compiled catalogues."""
    for path in compile_catalogues():
        click.echo(f"wrote {path}", file=sys.stderr)


@indicators_cli.command("refresh")
@click.option("--rebuild", is_flag=True, help="Rebuild every stored period from the case tables.")
def indicators_refresh(rebuild: bool) -> None:
    """Build or bring up to date the figures of every half-year, year and the cumulative
    period as of today (run nightly, so no supervisor waits for a build)."""

    if rebuild:
        indicator_store.mark_all_stale()
        db.session.commit()

    for period in indicators.usual_periods(today()):
        started = time.perf_counter()
        indicators.keep_stored(period)
        click.echo(f"  {period.key:<16} {time.perf_counter() - started:6.1f} s")
    indicator_store.tidy()
