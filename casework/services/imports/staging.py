"""Uploads between the dry run and the import: sealed temporary files, deleted after use.

The uploaded bytes hold personal data, so they never sit in the session cookie or in clear on
disk: each staged upload is sealed with the app key (the context binds it to the user and a
random token) in ``<instance>/import-staging/`` with mode 0600, and deleted when imported,
cancelled, or older than ``CASEWORK_IMPORT_STAGING_MINUTES`` (default 30): expired files are
swept at every request to the import pages (``blueprints/imports/views.py``) and by
``flask import-staging-cleanup``, meant for cron every few minutes, so a dry run that is
neither imported nor cancelled does not leave its file behind for long.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import time
from pathlib import Path

from flask import current_app

from casework.crypto import DecryptionError, KeyRingError, app_open, app_seal
from casework.services.imports.reader import Upload

DEFAULT_MINUTES = 30


def max_age() -> float:
    """Seconds a staged upload lives (``CASEWORK_IMPORT_STAGING_MINUTES``)."""
    minutes = current_app.config.get("CASEWORK_IMPORT_STAGING_MINUTES", DEFAULT_MINUTES)
    return float(minutes) * 60


def _dir() -> Path:
    path = Path(current_app.instance_path) / "import-staging"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _context(user_id: int, token: str) -> str:
    return f"import-staging:{user_id}:{token}"


def _sweep(directory: Path) -> int:
    cutoff = time.time() - max_age()
    removed = 0
    for item in directory.glob("*.bin"):
        try:
            if item.stat().st_mtime < cutoff:
                item.unlink()
                removed += 1
        except OSError:
            continue
    return removed


def sweep() -> int:
    """Delete every expired staged upload; returns how many were deleted."""
    return _sweep(_dir())


def stage(user_id: int, uploads: list[Upload]) -> str:
    """Seal ``uploads`` for ``user_id``; returns the token to keep in the session."""
    directory = _dir()
    _sweep(directory)
    token = secrets.token_urlsafe(24)
    payload = json.dumps([[u.filename[-200:], u.data.hex()] for u in uploads]).encode()
    sealed = app_seal(payload, _context(user_id, token))
    path = directory / f"{token}.bin"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(sealed)
    return token


def load(user_id: int, token: str | None) -> list[Upload] | None:
    """The staged uploads, or None when missing, expired or not this user's."""
    if not token or not token.replace("-", "").replace("_", "").isalnum():
        return None
    path = _dir() / f"{token}.bin"
    try:
        if path.stat().st_mtime < time.time() - max_age():
            path.unlink()
            return None
        payload = app_open(path.read_bytes(), _context(user_id, token))
    except (OSError, DecryptionError, KeyRingError, ValueError):
        return None
    return [Upload(name, bytes.fromhex(data)) for name, data in json.loads(payload)]


def discard(token: str | None) -> None:
    if not token or not token.replace("-", "").replace("_", "").isalnum():
        return
    with contextlib.suppress(OSError):
        (_dir() / f"{token}.bin").unlink()
