"""Where the key ring and the per-request data-key cache live.

Inside a Flask app context the ring comes from ``app.extensions["casework.keyring"]`` and
unwrapped data keys are cached in ``flask.g`` (cleared at request and app-context teardown).
Outside Flask (benchmarks, pure tests) use :func:`use_keyring`; the cache then lives in a
context variable that :func:`clear_key_cache` empties.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from flask import current_app, g, has_app_context

from casework.crypto.errors import KeyRingError
from casework.crypto.keyring import KeyRing, load_keyring, loose_permissions

log = logging.getLogger("casework.security")
EXTENSION = "casework.keyring"
_G_CACHE = "_casework_data_keys"
_fallback_ring: ContextVar[KeyRing | None] = ContextVar("casework_keyring", default=None)
_fallback_cache: ContextVar[dict[Any, Any] | None] = ContextVar("casework_keys", default=None)


class KeyRingHolder:
    """Holds the loaded ring and reloads it when the key file changes (checked once a second).

    Reloading lets `flask keys` commands (add/promote keys, index rotation) take effect in
    running app processes without a restart. A file that fails validation on reload is
    refused and the previous ring is kept, with an error in the log.
    """

    check_interval = 1.0

    def __init__(self, path: Path, *, strict: bool, allow_missing: bool = False) -> None:
        self.path = path
        self.strict = strict
        self._ring: KeyRing | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._checked = time.monotonic()
        if allow_missing and not path.exists():
            log.warning("key file %s is missing: run `flask keys init-dev`", path)
            return
        self._ring = self._load()
        self._stamp = self._file_stamp()

    def __repr__(self) -> str:
        return f"<KeyRingHolder {self.path}>"

    def _file_stamp(self) -> tuple[int, int, int]:
        st = os.stat(self.path)
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _load(self) -> KeyRing:
        ring = load_keyring(self.path)
        if loose_permissions(self.path):
            message = (
                f"key file {self.path} is readable or writable by group or others: "
                f"run `chmod 600 {self.path}` and make the app user its owner"
            )
            if self.strict:
                raise KeyRingError(message)
            log.warning("%s (tolerated outside production)", message)
        return ring

    def get(self, *, force: bool = False) -> KeyRing:
        """The ring; raises KeyRingError while the (development) key file is still missing."""
        if self._ring is None:
            self._ring = self._load()  # raises KeyRingError saying how to create the file
            self._stamp = self._file_stamp()
            return self._ring
        now = time.monotonic()
        if force or now - self._checked >= self.check_interval:
            self._checked = now
            try:
                stamp = self._file_stamp()
                if stamp != self._stamp:
                    self._ring = self._load()
                    self._stamp = stamp
            except (OSError, KeyRingError) as exc:
                log.error("key file reload refused, keeping the loaded keys: %s", exc)
        return self._ring


def get_keyring(*, fresh: bool = False) -> KeyRing:
    """The current key ring; ``fresh`` re-reads the file now (key commands use it)."""
    if has_app_context():
        holder = current_app.extensions.get(EXTENSION)
        if isinstance(holder, KeyRingHolder):
            return holder.get(force=fresh)
    ring = _fallback_ring.get()
    if ring is None:
        raise KeyRingError("no key ring loaded: call casework.crypto.init_app(app) first")
    return ring


@contextmanager
def use_keyring(ring: KeyRing) -> Iterator[KeyRing]:
    """Use ``ring`` outside a Flask app context (benchmarks, pure tests)."""
    token = _fallback_ring.set(ring)
    cache_token = _fallback_cache.set({})
    try:
        yield ring
    finally:
        _fallback_cache.reset(cache_token)
        _fallback_ring.reset(token)


def key_cache() -> dict[Any, Any]:
    """The per-request (or per-context) cache of unwrapped data keys and field keys."""
    if has_app_context():
        cache: dict[Any, Any] | None = g.get(_G_CACHE)
        if cache is None:
            cache = {}
            setattr(g, _G_CACHE, cache)
        return cache
    cache = _fallback_cache.get()
    if cache is None:
        cache = {}
        _fallback_cache.set(cache)
    return cache


def clear_key_cache(*_args: object) -> None:
    """Forget every unwrapped key (registered as request and app-context teardown)."""
    cache = g.pop(_G_CACHE, None) if has_app_context() else _fallback_cache.get()
    if cache:
        cache.clear()
