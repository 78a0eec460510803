"""The audit trail API: ``audit.record(...)`` for writes, a request collector for reads.

* :func:`record` adds an :class:`AuditEvent` to the current session; the caller commits with
  its own work. Sequence number and MAC are assigned at flush, under an append lock
  (``pg_advisory_xact_lock`` on PostgreSQL, the database write lock on SQLite), chaining
  each event to the previous one with the audit key.
* Reads: every decrypted attribute read inside a request notes (table, row, field); at
  request teardown one ``viewed`` event per record lists the fields decrypted, and is
  committed on its own. :func:`defer` queues any other event the same way (for events that
  must survive the request's rollback, e.g. authorisation denials).
* :func:`verify` recomputes the chain and reports the first bad sequence number.

``details`` holds small scalar values (codes, counts, ids); strings are passed through the
log scrubber and cut to 200 characters, but callers must not put personal data in them.
"""

from __future__ import annotations

import itertools
import json
import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from flask import Flask, Response, g, has_app_context, has_request_context
from sqlalchemy import Table, event, select, text
from sqlalchemy.orm import Session

from casework.crypto.audit_chain import GENESIS, active_audit_version, chain_mac, macs_equal
from casework.crypto.fields import field_read
from casework.db import utcnow
from casework.extensions import db
from casework.logging_filters import scrub
from casework.models.audit import AuditEvent

log = logging.getLogger("casework.audit")
ADVISORY_LOCK_ID = 0x43_41_53_45  # "CASE": serialises audit appends on PostgreSQL
_order = itertools.count()
_VIEWS = "_casework_audit_views"
_DEFERRED = "_casework_audit_deferred"
Scalar = str | int | float | bool | None


def _session() -> Session:
    return db.session()


def _actor_fields(actor: Any) -> tuple[int | None, str | None, int | None]:
    if actor is None and has_request_context():
        from flask_login import current_user

        actor = current_user if current_user.is_authenticated else None
    if actor is None:
        return None, "anonymous" if has_request_context() else "system", None
    return (getattr(actor, "id", None), getattr(actor, "role", None),
            getattr(actor, "org_unit_id", None))


def request_id() -> str | None:
    """The id of the current request (shared with error pages and logs), if any."""
    if not has_request_context():
        return None
    rid = g.get("request_id")
    if rid is None:
        rid = uuid.uuid4().hex
        g.request_id = rid
    return str(rid)


def _clean_details(details: Mapping[str, Scalar] | None) -> str | None:
    if not details:
        return None
    clean: dict[str, Scalar] = {}
    for key, value in details.items():
        if isinstance(value, str):
            value = scrub(value)[:200]
        elif value is not None and not isinstance(value, int | float | bool):
            value = str(value)[:200]
        clean[str(key)[:64]] = value
    return json.dumps(clean, sort_keys=True, ensure_ascii=True)


def record(action: str, *, target_type: str | None = None, target_id: object = None,
           fields: Iterable[str] = (), outcome: str = "ok",
           details: Mapping[str, Scalar] | None = None, actor: Any = None,
           session: Session | None = None) -> AuditEvent:
    """Add one audit event to ``session`` (default: the app's); the caller commits."""
    user_id, role, unit_id = _actor_fields(actor)
    event_ = AuditEvent(
        occurred_at=utcnow(), actor_user_id=user_id, actor_role=role, actor_unit_id=unit_id,
        action=action[:64], target_type=target_type,
        target_id=None if target_id is None else str(target_id)[:64],
        fields=json.dumps(sorted(set(fields))), outcome=outcome[:16], request_id=request_id(),
        details=_clean_details(details),
    )
    event_.__dict__["_cw_order"] = next(_order)
    (session or _session()).add(event_)
    return event_


def record_many(entries: Iterable[Mapping[str, Any]], *, actor: Any = None,
                session: Session | None = None, chunk: int = 1000) -> int:
    """Append many events at once with Core inserts (bulk imports); returns how many.

    Each entry holds :func:`record`'s keyword arguments (``action``, ``target_type``,
    ``target_id``, ``fields``, ``outcome``, ``details``). Events already added with
    :func:`record` are flushed (chained) first, then the append lock is taken, the head read,
    and the new events chained after it exactly as the flush hook does, so ``flask audit
    verify`` sees one unbroken chain. Like :func:`record`, nothing is committed here.
    """
    session = session or _session()
    session.flush()
    user_id, role, unit_id = _actor_fields(actor)
    rid = request_id()
    _lock(session)
    head = session.execute(
        select(AuditEvent.seq, AuditEvent.mac).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, prev = (head[0], head[1]) if head else (0, GENESIS)
    version = active_audit_version()
    table = cast(Table, AuditEvent.__table__)
    rows: list[dict[str, Any]] = []
    total = 0
    for entry in entries:
        seq += 1
        target = entry.get("target_id")
        row: dict[str, Any] = {
            "seq": seq, "occurred_at": utcnow(), "actor_user_id": user_id,
            "actor_role": role, "actor_unit_id": unit_id,
            "action": str(entry["action"])[:64], "target_type": entry.get("target_type"),
            "target_id": None if target is None else str(target)[:64],
            "fields": json.dumps(sorted(set(entry.get("fields", ())))),
            "outcome": str(entry.get("outcome", "ok"))[:16], "request_id": rid,
            "details": _clean_details(entry.get("details")), "key_version": version,
            "prev_mac": prev,
        }
        row["mac"] = prev = chain_mac(canonical(_Row(row)), version)
        rows.append(row)
        if len(rows) >= chunk:
            session.execute(table.insert(), rows)
            total += len(rows)
            rows = []
    if rows:
        session.execute(table.insert(), rows)
        total += len(rows)
    return total


class _Row:
    """Attribute access over a dict, so :func:`canonical` reads a row before it is inserted."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.__dict__.update(values)


# -- chaining ------------------------------------------------------------------------------

def stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(e: AuditEvent | Any) -> bytes:
    """The exact bytes the MAC covers (every column but ``mac`` itself).

    ``e`` is a stored :class:`AuditEvent` or a ``_Row`` about to be inserted.
    """
    return json.dumps(
        [e.seq, stamp(e.occurred_at), e.actor_user_id, e.actor_role, e.actor_unit_id, e.action,
         e.target_type, e.target_id, e.fields, e.outcome, e.request_id, e.details,
         e.key_version, e.prev_mac],
        separators=(",", ":"), ensure_ascii=True,
    ).encode("ascii")


def _lock(session: Session) -> None:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK_ID})
    elif dialect == "sqlite":
        # A write statement takes SQLite's write lock before we read the head.
        session.execute(text("DELETE FROM audit_events WHERE 1 = 0"))


def _chain_new_events(session: Session, _context: Any, _instances: Any) -> None:
    events = [o for o in session.new if isinstance(o, AuditEvent) and o.mac is None]
    if not events:
        return
    events.sort(key=lambda e: e.__dict__.get("_cw_order", 0))
    _lock(session)
    head = session.execute(
        select(AuditEvent.seq, AuditEvent.mac).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, prev = (head[0], head[1]) if head else (0, GENESIS)
    version = active_audit_version()
    for e in events:
        seq += 1
        e.seq, e.prev_mac, e.key_version = seq, prev, version
        e.fields = e.fields or "[]"
        e.outcome = e.outcome or "ok"
        e.occurred_at = e.occurred_at or utcnow()
        e.mac = chain_mac(canonical(e), version)
        prev = e.mac


# -- request collector ---------------------------------------------------------------------

def note_view(target_type: str, target_id: object, field: str) -> None:
    """Remember that ``field`` of one record was decrypted for this request."""
    if not has_request_context():
        return
    views: dict[tuple[str, str], set[str]] = g.setdefault(_VIEWS, {})
    views.setdefault((target_type, str(target_id)), set()).add(field)


def defer(action: str, **kwargs: Any) -> None:
    """Record an event at request end in its own transaction (survives a rollback)."""
    if not has_request_context():
        record(action, **kwargs)
        return
    g.setdefault(_DEFERRED, []).append((action, kwargs))


def _on_field_read(sender: str, *, target_id: object, field: str, **_kw: Any) -> None:
    note_view(sender, target_id, field)


def _write_collected() -> None:
    views = g.pop(_VIEWS, None)
    deferred = g.pop(_DEFERRED, None)
    if not views and not deferred:
        return
    session = _session()
    try:
        session.rollback()  # the view had its one commit; never commit its leftovers
        for action, kwargs in deferred or ():
            record(action, **kwargs)
        for (target_type, target_id), names in sorted((views or {}).items()):
            record("viewed", target_type=target_type, target_id=target_id, fields=names)
        session.commit()
    except Exception:
        session.rollback()
        raise


def flush_after_request(response: Response) -> Response:
    """Write the request's view events before the response leaves: if the audit write
    fails the user gets an error page instead of unaudited data (fail closed)."""
    _write_collected()
    return response


def flush_at_teardown(_exc: BaseException | None = None) -> None:
    """Teardown safety net for requests that ended before ``after_request`` ran."""
    if not has_app_context():
        return
    try:
        _write_collected()
    except Exception:
        log.exception("audit: could not record the request's view events")


# -- verification ----------------------------------------------------------------------------

@dataclass(frozen=True)
class VerifyResult:
    """The outcome of a check. ``missing_from``..``missing_to`` name the events an anchor vouches
    for that the database no longer holds (or holds rewritten); ``problem`` is a short code."""

    ok: bool
    count: int
    first_bad_seq: int | None = None
    problem: str = ""
    head_seq: int = 0
    head_mac: str = GENESIS
    missing_from: int | None = None
    missing_to: int | None = None
    anchor_seq: int | None = None
    anchor_at: str | None = None


# Problem codes (the CLI and the access-log page word them).
ALTERED, MISSING, BROKEN_LINK = "event altered", "missing or inserted event", "chain link broken"
CUT_TAIL, EMPTIED, REWRITTEN = "cut tail", "emptied", "rolled back or rewritten"


def verify(session: Session, *, head: Mapping[str, Any] | None = None,
           anchors: Iterable[Mapping[str, Any]] = (), batch: int = 5000) -> VerifyResult:
    """Recompute the chain; report the first sequence number that is missing or altered.

    ``head`` (from :func:`export_head`) and ``anchors`` (heads written outside the database,
    see ``casework/audit/anchor.py``) also detect a cut tail, an emptied table and a database
    rolled back or rewritten after an anchor: each is reported with the events it lost.
    """
    anchored: dict[int, Mapping[str, Any]] = {}
    for anchor in [*anchors, *([head] if head is not None else [])]:
        seq = int(anchor.get("seq", 0))
        if seq > 0:
            anchored[seq] = anchor
    top = max(anchored, default=0)
    top_at = str(anchored[top].get("at") or anchored[top].get("exported_at") or "") if top else None
    expected_seq, prev, count = 1, GENESIS, 0
    last = good = 0
    while True:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.seq > last).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            break
        for e in rows:
            if e.seq != expected_seq:
                return VerifyResult(False, count, expected_seq, MISSING)
            if not macs_equal(e.prev_mac, prev):
                return VerifyResult(False, count, e.seq, BROKEN_LINK)
            try:
                good_mac = macs_equal(chain_mac(canonical(e), e.key_version), e.mac)
            except Exception:  # unknown key version or a malformed row
                good_mac = False
            if not good_mac:
                return VerifyResult(False, count, e.seq, ALTERED)
            anchored_here = anchored.get(e.seq)
            if anchored_here is not None:
                if not macs_equal(e.mac, str(anchored_here.get("mac", ""))):
                    # The chain is sound, but not the one anchored: events after the last
                    # anchor that still matches were replaced (a restored or rewritten database).
                    return VerifyResult(False, count, good + 1, REWRITTEN, last, prev,
                                        good + 1, top, top, top_at)
                good = e.seq
            prev, expected_seq, count, last = e.mac, expected_seq + 1, count + 1, e.seq
        session.expunge_all()
    if top > last:
        return VerifyResult(False, count, last + 1, EMPTIED if last == 0 else CUT_TAIL, last,
                            prev, last + 1, top, top, top_at)
    return VerifyResult(True, count, None, "", last, prev, anchor_seq=top or None,
                        anchor_at=top_at)


def export_head(session: Session) -> dict[str, Any]:
    """The chain head to keep off the host (seq and MAC of the last event)."""
    row = session.execute(
        select(AuditEvent.seq, AuditEvent.mac).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, mac = (row[0], row[1]) if row else (0, GENESIS)
    return {"seq": seq, "mac": mac, "exported_at": stamp(utcnow())}


def install_hooks() -> None:
    """Register the chaining flush hook and the decrypted-read receiver (idempotent)."""
    if not event.contains(Session, "before_flush", _chain_new_events):
        event.listen(Session, "before_flush", _chain_new_events)
    field_read.connect(_on_field_read)


def init_app(app: Flask) -> None:
    """Install the hooks, the request collector and the anchoring after requests."""
    install_hooks()
    app.after_request(flush_after_request)
    app.teardown_request(flush_at_teardown)

    from casework.audit import anchor as audit_anchor

    audit_anchor.init_app(app)
