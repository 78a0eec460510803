"""Eyes on the running app: JSON request logs, Prometheus metrics, readiness.

* **Request logs**: one JSON line per request on the ``casework.requests`` logger: request id,
  method, endpoint name, the route's *template* (``/cases/<id:case_id>``, never the path
  asked for, so no link token, no search words and no identifier reaches the log), status,
  duration and the signed-in role. The line is scrubbed as every log line is
  (:mod:`casework.logging_filters`). The request id is the audit trail's
  (:func:`casework.audit.request_id`); a proxy's ``X-Request-ID`` (hex or dashes, 8 to 64
  characters, e.g. nginx's ``$request_id``) is taken over so both logs join; it is sent back in
  the ``X-Request-ID`` response header.
* **Metrics** (``prometheus-client``): request latency and counts by endpoint name, 5xx counts,
  and gauges computed at scrape time with one cheap query each (overdue referrals, audit
  anchor age and events not yet anchored). ``/metrics`` needs ``Authorization: Bearer
  <CASEWORK_METRICS_TOKEN>`` (401 otherwise, and while no token is set). Under gunicorn with several
  workers set ``PROMETHEUS_MULTIPROC_DIR`` (see ``deploy/gunicorn.conf.py``) so one scrape
  sums every worker.
* **Readiness** (``/readyz``, :mod:`casework.observability.readiness`): database, key file,
  migrations at head, plus checks other parts register; distinct from liveness (``/healthz``).
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework import audit
from casework.logging_filters import ScrubFilter, scrub

log = logging.getLogger("casework.requests")
EXTENSION = "casework.observability"
_START = "_casework_started"
INCOMING_REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")
# Seconds; the app's pages answer in tens of milliseconds, reports and imports in seconds.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """The request metrics of one app (own registry: tests build many apps in one process)."""

    def __init__(self, app: Flask) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.latency = Histogram(
            "casework_http_request_duration_seconds",
            "Time to answer a request, by endpoint name (not by path).",
            ["endpoint", "method"], buckets=BUCKETS, registry=self.registry)
        self.requests = Counter(
            "casework_http_requests",
            "Requests answered, by endpoint name and status class (2xx, 3xx, 4xx, 5xx).",
            ["endpoint", "method", "status"], registry=self.registry)
        self.errors = Counter(
            "casework_http_errors",
            "Requests that ended in a server error (5xx), by endpoint name.",
            ["endpoint"], registry=self.registry)
        self.registry.register(StateCollector(app))

    def scrape(self) -> bytes:
        """The exposition text: this process's metrics, or every worker's in multiprocess
        mode (``PROMETHEUS_MULTIPROC_DIR``), plus the gauges computed now."""
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            registry.register(StateCollector(current_app._get_current_object()))  # type: ignore[attr-defined]
            return generate_latest(registry)
        return generate_latest(self.registry)


class StateCollector(Collector):
    """Gauges read from the database and the anchor file when Prometheus scrapes."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def describe(self) -> list[Metric]:
        return []  # computed at scrape: nothing to describe up front (no query at register)

    def collect(self) -> Iterator[Metric]:
        from casework.audit import anchor as audit_anchor
        from casework.extensions import db
        from casework.models.audit import AuditEvent
        from casework.models.referral import Referral
        from casework.outbox import health as outbox_health
        from casework.services.referrals import overdue_filter

        overdue = GaugeMetricFamily(
            "casework_referrals_overdue",
            "Referrals overdue today (unanswered after the response day, or no uptake after "
            "the follow-up day).")
        anchor_age = GaugeMetricFamily(
            "casework_audit_anchor_age_seconds",
            "Seconds since the audit head was last anchored outside the database "
            "(-1: never).")
        unanchored = GaugeMetricFamily(
            "casework_audit_unanchored_events",
            "Audit events newer than the latest anchor.")
        database = GaugeMetricFamily(
            "casework_database_up", "1 when the scrape could read the database, else 0.")
        outbox = GaugeMetricFamily(
            "casework_outbox_messages",
            "Outside messages (e-mail, SMS, Zalo) by status: queued and failed are waiting; "
            "given_up needs an admin.", labels=["status"])
        try:
            with self.app.app_context(), Session(db.engine) as session:
                overdue.add_metric([], session.scalar(
                    select(func.count()).select_from(Referral).where(overdue_filter())) or 0)
                head = session.scalar(select(func.max(AuditEvent.seq))) or 0
                for status, n in outbox_health.queue_counts(session).items():
                    outbox.add_metric([status], n)
                try:
                    latest = audit_anchor.latest_anchor(audit_anchor.anchor_path(self.app))
                except audit_anchor.AnchorError:
                    latest = None
        except Exception as error:  # the request metrics still go out; say why in the log
            log.warning("metrics: database not readable: %s", type(error).__name__)
            database.add_metric([], 0)
            yield database
            return
        database.add_metric([], 1)
        yield database
        if latest is None:
            anchor_age.add_metric([], -1)
            unanchored.add_metric([], head)
        else:
            anchor_age.add_metric([], _age_seconds(str(latest["at"])))
            unanchored.add_metric([], max(0, head - int(latest["seq"])))
        yield overdue
        yield outbox
        yield anchor_age
        yield unanchored


def _age_seconds(stamp: str) -> float:
    try:
        at = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return -1.0
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return max(0.0, (datetime.now(UTC) - at).total_seconds())


def metrics(app: Flask | None = None) -> Metrics:
    value: Metrics = (app or current_app).extensions[EXTENSION]
    return value


def metrics_allowed() -> bool:
    """True when the request carries the configured bearer token (never when none is set)."""
    expected = str(current_app.config.get("CASEWORK_METRICS_TOKEN") or "")
    if not expected:
        return False
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), expected.encode())


def metrics_response() -> Response:
    return Response(metrics().scrape(), mimetype=CONTENT_TYPE_LATEST,
                    headers={"Cache-Control": "no-store"})


# --- Request logs and request metrics ---------------------------------------------------------


def _start_request() -> None:
    g.setdefault(_START, time.perf_counter())
    incoming = request.headers.get("X-Request-ID", "")
    # Taken over only when it looks like an id and holds nothing the scrubber would mask.
    if (INCOMING_REQUEST_ID.match(incoming) and scrub(incoming) == incoming
            and "request_id" not in g):
        g.request_id = incoming


def _role() -> str | None:
    from flask_login import current_user

    try:
        return str(current_user.role) if current_user.is_authenticated else None
    except Exception:  # the session's database went away: the log line still goes out
        return None


def request_record(response: Response, duration: float) -> dict[str, Any]:
    """The fields of one request's log line: nothing personal, no path, no query string."""
    rule = request.url_rule
    return {
        "ts": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "event": "request",
        "request_id": audit.request_id(),
        "method": request.method,
        "endpoint": request.endpoint or "none",
        "route": rule.rule if rule is not None else None,
        "status": response.status_code,
        "duration_ms": round(duration * 1000, 1),
        "role": _role(),
    }


def _finish_request(response: Response) -> Response:
    started = g.get(_START)
    duration = time.perf_counter() - started if started is not None else 0.0
    endpoint = request.endpoint or "none"
    m = metrics()
    m.latency.labels(endpoint, request.method).observe(duration)
    m.requests.labels(endpoint, request.method, f"{response.status_code // 100}xx").inc()
    if response.status_code >= 500:
        m.errors.labels(endpoint).inc()
    rid = audit.request_id()
    if rid:
        response.headers["X-Request-ID"] = rid
    log.info(log_line(request_record(response, duration)),
             extra={"_casework_scrubbed": True})
    return response


def log_line(record: dict[str, Any]) -> str:
    """One JSON line: every field scrubbed except the timestamp and the request id (our own
    hex id, or a proxy's that passed the scrubber unchanged; a 9-digit run inside a random
    hex id would otherwise be masked, and the id would no longer match the audit trail's)."""
    head = {"ts": record["ts"], "request_id": record["request_id"]}
    rest = {k: v for k, v in record.items() if k not in head}
    scrubbed = scrub(json.dumps(rest, ensure_ascii=False))
    return json.dumps(head, ensure_ascii=False)[:-1] + ", " + scrubbed[1:]


def init_app(app: Flask) -> None:
    """Request ids, JSON request logs and metrics for ``app`` (first before_request, last
    after_request, so the duration covers the other hooks)."""
    app.extensions[EXTENSION] = Metrics(app)
    if not any(isinstance(f, ScrubFilter) for f in log.filters):
        log.addFilter(ScrubFilter())
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)
    app.after_request_funcs.setdefault(None, []).insert(0, _finish_request)
