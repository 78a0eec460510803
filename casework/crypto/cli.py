"""`flask keys ...` and `flask erase-subject`: operator commands for keys and erasure.

Every mutating command takes ``--reason`` (recorded in the audit trail) and reads no secret
from the command line; key material only ever moves between the CSPRNG and the key file.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from flask import current_app
from flask.cli import AppGroup

from casework import audit
from casework.crypto.blind_index import plan_bits
from casework.crypto.errors import CryptoError
from casework.crypto.keyring import create_key_file
from casework.extensions import db
from casework.services import keys
from casework.services.erasure import erase_subject

F = TypeVar("F", bound=Callable[..., Any])
keys_cli = AppGroup("keys", help="Inspect and rotate encryption keys.")
reason_option = click.option("--reason", required=True, help="Why (kept in the audit trail).")


def _friendly(func: F) -> F:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (CryptoError, LookupError, ValueError) as exc:
            from casework.extensions import db

            db.session.rollback()
            raise click.ClickException(str(exc)) from None
    return wrapper  # type: ignore[return-value]


def _session() -> Any:
    return db.session


def _audit(action: str, target: str, reason: str, **details: Any) -> None:
    audit.record(action, target_type="key", target_id=target,
                 details={"reason": reason, **details})
    _session().commit()


def _reload_wait() -> None:
    """Give running processes time to re-read the key file (they check once a second)."""
    time.sleep(float(current_app.config.get("CASEWORK_KEY_RELOAD_WAIT", 2.0)))


def _index_bits() -> int:
    return plan_bits(int(current_app.config.get("CASEWORK_BLIND_INDEX_POPULATION", 200_000)),
                     float(current_app.config.get("CASEWORK_BLIND_INDEX_COINCIDENCES", 2.0)))


@keys_cli.command("init-dev")
def init_dev() -> None:
    """Create the development key file (mode 0600) if it does not exist yet."""
    if current_app.config.get("CASEWORK_ENV") == "production":
        raise click.ClickException("init-dev refuses to run in production: use `flask keys init`")
    _init()


@keys_cli.command("init")
def init_keys() -> None:
    """Create a key file with fresh random keys if none exists (first installation)."""
    _init()


def _init() -> None:
    path = Path(str(current_app.config["CASEWORK_KEY_FILE"]))
    if create_key_file(path, index_bits=_index_bits()):
        click.echo(f"created key file {path} (mode 0600); back it up separately from the data")
    else:
        click.echo(f"key file {path} already exists; nothing changed")


@keys_cli.command("status")
@_friendly
def status_cmd() -> None:
    """Every key version, its state, and what depends on it."""
    click.echo(f"{'purpose':<12} {'ver':>4} {'state':<13} depends on it")
    for use in keys.status(_session()):
        click.echo(f"{use.purpose:<12} {use.version:>4} {use.state:<13} {use.depends}")


@keys_cli.command("add-kek")
@reason_option
@_friendly
def add_kek_cmd(reason: str) -> None:
    """Add a new KEK epoch (decrypt-only until promoted)."""
    version = keys.add_kek()
    _audit("keys.kek_added", f"kek:v{version}", reason)
    click.echo(f"added KEK version {version}; next: `flask keys promote-kek {version}`")


@keys_cli.command("promote-kek")
@click.argument("version", type=int)
@reason_option
@_friendly
def promote_kek_cmd(version: int, reason: str) -> None:
    """Wrap new data keys with KEK VERSION; then run `flask keys rewrap`."""
    _reload_wait()
    old = keys.promote_kek(version)
    _audit("keys.kek_promoted", f"kek:v{version}", reason, previous=old)
    click.echo(f"KEK version {version} is active (was {old}); next: `flask keys rewrap`")


@keys_cli.command("rewrap")
@reason_option
@click.option("--batch", default=500, show_default=True)
@_friendly
def rewrap_cmd(reason: str, batch: int) -> None:
    """Re-wrap every data key under the active KEK (batched, resumable, online)."""
    session = _session()
    total = keys.remaining_to_rewrap(session)
    _audit("keys.rewrap_started", "kek", reason, remaining=total)
    done = 0
    while keys.remaining_to_rewrap(session):  # repeat: rows may be added under an old KEK
        cursor = None
        while True:
            n, cursor = keys.rewrap_page(session, batch, after=cursor)
            session.commit()
            done += n
            click.echo(f"re-wrapped {done}/{total}")
            if cursor is None:
                break
    _audit("keys.rewrap_finished", "kek", reason, rewrapped=done)
    click.echo(f"done: {done} data keys re-wrapped")


@keys_cli.command("rotate-subject")
@click.argument("subject_id", type=click.UUID)
@reason_option
@_friendly
def rotate_subject_cmd(subject_id: uuid.UUID, reason: str) -> None:
    """Give one woman a new data key and re-encrypt her fields."""
    count = keys.rotate_subject(_session(), subject_id)
    audit.record("keys.subject_rotated", target_type="subject", target_id=subject_id,
                 details={"reason": reason, "fields": count})
    _session().commit()
    click.echo(f"re-encrypted {count} fields under a new data key")


@keys_cli.command("rotate-index")
@reason_option
@click.option("--batch", default=500, show_default=True)
@_friendly
def rotate_index_cmd(reason: str, batch: int) -> None:
    """Rotate the blind-index key: dual-write, backfill, switch, retire (resumable)."""
    session = _session()
    population = int(current_app.config.get("CASEWORK_BLIND_INDEX_POPULATION", 200_000))
    coincidences = float(current_app.config.get("CASEWORK_BLIND_INDEX_COINCIDENCES", 2.0))
    version = keys.stage_index_key(population, coincidences)
    _audit("keys.index_staged", f"blind_index:v{version}", reason)
    click.echo(f"blind-index key version {version} staged; writers dual-write from now on")
    _reload_wait()
    for passno in (1, 2):  # the second pass catches rows written by not-yet-reloaded processes
        for model in keys.present_models(session):
            cursor, rows = None, 0
            while model.__blind_indexes__:
                cursor = keys.backfill_index(session, version, model, after=cursor, batch=batch)
                session.commit()
                rows += batch
                if cursor is None:
                    break
                click.echo(f"pass {passno}: {model.__tablename__}: about {rows} rows backfilled")
        if passno == 1:
            _reload_wait()
    old = keys.switch_index(version)
    _audit("keys.index_switched", f"blind_index:v{version}", reason, previous=old)
    click.echo(f"search uses blind-index key version {version}")
    _reload_wait()
    retired = keys.retire_index_keys(session)
    session.commit()
    if retired:
        keys.destroy_index_keys(retired)
        _audit("keys.index_retired", f"blind_index:v{version}", reason,
               destroyed=",".join(map(str, retired)))
    click.echo(f"done; destroyed blind-index key versions: {retired or 'none'}")


@keys_cli.command("destroy-kek")
@click.argument("version", type=int)
@reason_option
@_friendly
def destroy_kek_cmd(version: int, reason: str) -> None:
    """Destroy a retired KEK epoch (refused while any data key depends on it)."""
    keys.destroy_kek(_session(), version)
    _audit("keys.kek_destroyed", f"kek:v{version}", reason)
    click.echo(f"KEK version {version} destroyed; backups wrapped with it can no longer be read")


@click.command("erase-subject")
@click.argument("subject_id", type=click.UUID)
@reason_option
@_friendly
def erase_subject_command(subject_id: uuid.UUID, reason: str) -> None:
    """Crypto-erase one woman: destroy her data key and search index values."""
    receipt = erase_subject(subject_id, actor=None, reason=reason)
    _session().commit()
    click.echo(f"erased subject {subject_id} at {receipt.erased_at.isoformat()}; "
               f"complete (no backup holds her key) on {receipt.complete_at.date().isoformat()}")
