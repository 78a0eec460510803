"""Anchors of the audit chain kept outside the database, so a cut tail cannot go unseen.

The chain proves that no event was altered, removed or inserted *between* two events; it cannot
prove that the newest events are all there (delete the last rows and the rest still chains). So
the head (sequence number and MAC of the last event) is appended, one JSON line
``{"seq", "mac", "at", "source"}`` at a time, to a file (``CASEWORK_AUDIT_ANCHOR_PATH``,
default ``<instance>/audit-anchors.jsonl``) that the app user writes with mode 0600 and opens
append-only. The database role (and whoever holds its password, or injects SQL) cannot touch
that file: in production put it where the database's administrators cannot write either.

Anchors are written by ``flask audit anchor`` (cron), on every verification (command and
access-log page) once the chain checked out, and opportunistically after a request when the
last anchor of this process is older than ``CASEWORK_AUDIT_ANCHOR_MINUTES``. A new anchor is
refused (and a security warning logged) when the last anchored event no longer matches: the
evidence of a cut is never overwritten by a head that lost it. Verification compares the
chain with every anchor, so a cut tail, an emptied table or a database rolled back or
rewritten after an anchor are each reported with the events they lost.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework import audit
from casework.crypto.audit_chain import GENESIS, macs_equal
from casework.db import utcnow
from casework.extensions import db
from casework.models.audit import AuditEvent

log = logging.getLogger("casework.audit")
FILE_MODE = 0o600
_LAST_RUN = "casework.audit_anchor.last_run"


class AnchorError(RuntimeError):
    """The anchor file cannot be used safely (wrong mode, not a file) or the chain lost an
    anchored event; the message says which."""


def anchor_path(app: Flask | None = None) -> Path:
    app = app or current_app
    configured = str(app.config.get("CASEWORK_AUDIT_ANCHOR_PATH") or "")
    return Path(configured) if configured else Path(app.instance_path) / "audit-anchors.jsonl"


def _check_file(path: Path) -> None:
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise AnchorError(f"{path} is not a regular file")
    if info.st_mode & 0o022:
        raise AnchorError(f"{path} is writable by others: chmod 600 it")


def read_anchors(path: Path) -> list[dict[str, Any]]:
    """Every well-formed anchor in the file, oldest first ([] when there is no file)."""
    return list(_iter_anchors(path))


def _iter_anchors(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    _check_file(path)
    with path.open("r", encoding="utf-8") as handle:
        for line in handle:
            anchor = _parse(line)
            if anchor is not None:
                yield anchor


def _parse(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
        seq, mac = int(value["seq"]), str(value["mac"])
    except (ValueError, KeyError, TypeError):
        return None  # a torn last line after a crash, or garbage: never trusted
    return {"seq": seq, "mac": mac, "at": str(value.get("at", ""))}


def latest_anchor(path: Path) -> dict[str, Any] | None:
    """The newest well-formed anchor, reading only the end of the file."""
    if not path.exists():
        return None
    _check_file(path)
    with path.open("rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        chunk = 4096
        while True:
            start = max(0, size - chunk)
            handle.seek(start)
            lines = handle.read(size - start).decode("utf-8", "replace").splitlines()
            if start > 0:
                lines = lines[1:]  # possibly cut in the middle
            for line in reversed(lines):
                anchor = _parse(line)
                if anchor is not None:
                    return anchor
            if start == 0:
                return None
            chunk *= 4


def _head(session: Session) -> tuple[int, str]:
    row = session.execute(
        select(AuditEvent.seq, AuditEvent.mac).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    return (row[0], row[1]) if row else (0, GENESIS)


def _append(path: Path, anchor: dict[str, Any]) -> None:
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0),
                 FILE_MODE)
    try:
        _check_file(path)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, (json.dumps(anchor, sort_keys=True) + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)  # closing releases the lock


def write_anchor(session: Session, path: Path, *, source: str,
                 head: tuple[int, str] | None = None) -> dict[str, Any] | None:
    """Append the current head (or ``head``) to the anchor file; return it.

    Returns None when the head is already anchored. Raises AnchorError, and writes nothing,
    when the last anchored event is gone or different: that anchor stays the newest, so every
    later verification still reports what was lost.
    """
    seq, mac = head if head is not None else _head(session)
    last = latest_anchor(path)
    if last is not None and last["seq"] > 0:
        held = session.scalar(select(AuditEvent.mac).where(AuditEvent.seq == last["seq"]))
        if seq < last["seq"] or held is None or not macs_equal(held, last["mac"]):
            log.warning("audit anchor refused: anchored event %s is missing or different",
                        last["seq"])
            raise AnchorError(
                f"the audit log no longer holds anchored event {last['seq']} as anchored; "
                "run `flask audit verify`")
        if seq == last["seq"]:
            return None
    if seq == 0:
        return None
    anchor = {"seq": seq, "mac": mac, "at": audit.stamp(utcnow()), "source": source}
    _append(path, anchor)
    return anchor


def verify_and_anchor(session: Session, path: Path, *, source: str) -> audit.VerifyResult:
    """Verify the chain against every anchor; when it checks out, anchor the verified head."""
    result = audit.verify(session, anchors=_iter_anchors(path))
    if result.ok:
        try:
            write_anchor(session, path, source=source, head=(result.head_seq, result.head_mac))
        except AnchorError:  # a write between the check and now lost an anchored event
            log.warning("audit anchor after verification refused")
    return result


def maybe_anchor(app: Flask) -> None:
    """Anchor at most every ``CASEWORK_AUDIT_ANCHOR_MINUTES`` per process (0: never here)."""
    minutes = int(app.config.get("CASEWORK_AUDIT_ANCHOR_MINUTES", 10))
    if minutes <= 0:
        return
    now = time.time()  # wall clock: a jump only makes one anchor early or late
    last = app.extensions.get(_LAST_RUN)
    if last is not None and now - last < minutes * 60:
        return
    app.extensions[_LAST_RUN] = now

    try:
        with Session(db.engine) as session:
            write_anchor(session, anchor_path(app), source="schedule")
    except Exception as error:  # never break a request over the anchor; say so in the log
        log.warning("audit anchor not written: %s", type(error).__name__)


def init_app(app: Flask) -> None:
    """Anchor opportunistically after requests (cheap: one check per interval per process)."""

    @app.after_request
    def _anchor_after_request(response: Response) -> Response:
        maybe_anchor(app)
        return response
