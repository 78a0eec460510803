"""Supervision services: report figures (and their snapshot), sign-off, outcome audit, export.

Services flush and audit; the view commits. Every figure here is an aggregate from SQL; the
only per-case rows fetched are those of the de-identified export (no personal fields).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select

from casework import audit, crypto, indicators
from casework.db import utcnow
from casework.domain import REFERRAL_STATUSES
from casework.extensions import db
from casework.indicators import UPTAKE_STATUSES, Period, days_between
from casework.models.case import Case
from casework.models.need import Need
from casework.models.org import OrgUnit
from casework.models.provider import ServiceProvider
from casework.models.referral import Referral
from casework.models.supervision import OutcomeSample, PeriodSignOff, UptakeVerification
from casework.models.user import User
from casework.services.errors import DomainError

SAMPLE_MAX = 50
NOTE_MAX = 500


def _scope_ids(scope: OrgUnit) -> Any:
    return select(OrgUnit.id).where(OrgUnit.path.startswith(scope.path, autoescape=True))


def _provider_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session.execute(
        select(ServiceProvider.id, ServiceProvider.name).where(ServiceProvider.id.in_(ids)))
    return {r.id: r.name for r in rows}


# --- Partner performance ------------------------------------------------------------------------

def _overdue_condition(today: date) -> Any:
    """The referrals area's overdue rule when it exists; else the DOMAIN.md rule."""
    try:
        from casework.services.referrals import overdue_filter  # type: ignore[attr-defined]
    except ImportError:
        overdue_filter = None
    if overdue_filter is not None:
        try:
            return overdue_filter(today)
        except TypeError:
            return overdue_filter()
    return (
        ((Referral.status == "sent") & Referral.response_due_on.is_not(None)
         & (Referral.response_due_on < today))
        | ((Referral.status == "accepted") & Referral.uptake_due_on.is_not(None)
           & (Referral.uptake_due_on < today))
    )


def partner_performance(scope: OrgUnit, period: Period, today: date) -> list[dict[str, Any]]:
    """Per partner, for referrals sent in the period from cases held in ``scope``."""
    answered = Referral.answered_on.is_not(None)
    accepted = and_(answered, Referral.status.not_in(("declined",)))
    uptake = and_(Referral.status.in_(UPTAKE_STATUSES), Referral.uptake_on.is_not(None))
    stmt = (
        select(
            Referral.provider_id,
            func.count().label("received"),
            func.count(case((answered, 1))).label("answered"),
            func.count(case((accepted, 1))).label("accepted"),
            func.count(case((Referral.status == "declined", 1))).label("declined"),
            func.count(case((uptake, 1))).label("uptake"),
            func.avg(case((answered, days_between(Referral.answered_on, Referral.referred_on))))
            .label("response_days"),
            func.count(case((_overdue_condition(today), 1))).label("overdue"),
        )
        .join(Case, Case.id == Referral.case_id)
        .where(Case.org_unit_id.in_(_scope_ids(scope)), Referral.status != "draft",
               Referral.referred_on.between(period.start, period.end))
        .group_by(Referral.provider_id)
    )
    rows = db.session.execute(stmt).all()
    names = _provider_names({r.provider_id for r in rows})
    result = []
    for r in rows:
        result.append({
            "id": r.provider_id, "name": names.get(r.provider_id, ""),
            "received": r.received, "answered": r.answered, "accepted": r.accepted,
            "declined": r.declined, "uptake": r.uptake, "overdue": r.overdue,
            "response_days": None if r.response_days is None else round(float(r.response_days), 1),
        })
    return sorted(result, key=lambda d: d["name"])


# --- Outcome audit ------------------------------------------------------------------------------

def confirmed_uptakes(scope: OrgUnit, period: Period, provider_id: int | None = None) -> Any:
    """Referrals whose uptake the partner confirmed in the period, from cases held in scope."""
    stmt = (
        select(Referral)
        .join(Case, Case.id == Referral.case_id)
        .where(Case.org_unit_id.in_(_scope_ids(scope)), Referral.status.in_(UPTAKE_STATUSES),
               Referral.uptake_on.between(period.start, period.end))
    )
    if provider_id is not None:
        stmt = stmt.where(Referral.provider_id == provider_id)
    return stmt


def audit_summary(scope: OrgUnit, period: Period) -> list[dict[str, Any]]:
    """Per partner: uptakes confirmed by the partner vs sampled, verified, disputed."""
    confirmed = confirmed_uptakes(scope, period).subquery()
    counts = dict(db.session.execute(
        select(confirmed.c.provider_id, func.count()).group_by(confirmed.c.provider_id)).all())
    verdicts = db.session.execute(
        select(OutcomeSample.provider_id,
               func.count(UptakeVerification.id.distinct()).label("sampled"),
               func.count(case((UptakeVerification.status == "verified", 1))).label("verified"),
               func.count(case((UptakeVerification.status == "disputed", 1))).label("disputed"))
        .join(UptakeVerification, UptakeVerification.sample_id == OutcomeSample.id)
        .where(OutcomeSample.org_unit_id.in_(_scope_ids(scope)),
               OutcomeSample.period_start == period.start,
               OutcomeSample.period_end == period.end)
        .group_by(OutcomeSample.provider_id)
    ).all()
    by_provider = {r.provider_id: r for r in verdicts}
    ids = set(counts) | set(by_provider)
    names = _provider_names(ids)
    rows = []
    for pid in ids:
        v = by_provider.get(pid)
        rows.append({"id": pid, "name": names.get(pid, ""), "confirmed": counts.get(pid, 0),
                     "sampled": v.sampled if v else 0, "verified": v.verified if v else 0,
                     "disputed": v.disputed if v else 0})
    return sorted(rows, key=lambda d: d["name"])


def draw_sample(scope: OrgUnit, period: Period, provider: ServiceProvider, size: int, *,
                actor: User) -> OutcomeSample:
    """A random sample of the partner's confirmed uptakes (random order in SQL)."""
    if not 1 <= size <= SAMPLE_MAX:
        raise DomainError(_l("Choose a sample size from 1 to 50."), "size")
    chosen = db.session.scalars(
        confirmed_uptakes(scope, period, provider.id).order_by(func.random()).limit(size)
    ).all()
    if not chosen:
        raise DomainError(_l("This partner has no confirmed uptake in this period."), "provider")
    sample = OutcomeSample(provider_id=provider.id, org_unit_id=scope.id, period_key=period.key,
                           period_start=period.start, period_end=period.end,
                           requested_size=size, drawn_by_id=actor.id)
    for position, referral in enumerate(chosen, start=1):
        sample.items.append(UptakeVerification(referral_id=referral.id, position=position,
                                               subject_id=referral.subject_id))
    db.session.add(sample)
    db.session.flush()
    audit.record("outcome_sample.drawn", target_type="outcome_sample", target_id=sample.id,
                 actor=actor, details={"provider": provider.id, "size": len(chosen),
                                       "period": period.key, "unit": scope.id})
    return sample


def record_verdict(item: UptakeVerification, status: str, note: str, *, actor: User) -> None:
    if status not in ("verified", "disputed"):
        raise DomainError(_l("Choose verified or disputed."), "status")
    note = " ".join((note or "").split())
    if len(note) > NOTE_MAX:
        raise DomainError(_l("Keep the note under 500 characters."), "note")
    if status == "disputed" and not note:
        raise DomainError(_l("Say briefly why the confirmation is disputed."), "note")
    item.status = status
    item.note = note or None
    item.checked_by_id = actor.id
    item.checked_at = utcnow()
    db.session.flush()
    audit.record("uptake.verification", target_type="referral", target_id=item.referral_id,
                 fields=("note",) if note else (), actor=actor, details={"status": status})


# --- Reports, snapshots and sign-off -------------------------------------------------------------

def report_data(scope: OrgUnit, period: Period, today: date) -> dict[str, Any]:
    """Every figure of the periodic report, as plain JSON-able data (aggregates only)."""
    result = indicators.compute(scope, period)
    names = _provider_names({b.key for b in result.partners})
    trend_end = min(period.end, today)
    return {
        "unit": {"id": scope.id, "code": scope.code, "name": scope.name},
        "period": {"key": period.key, "start": period.start.isoformat(),
                   "end": period.end.isoformat()},
        "generated_at": utcnow().isoformat(timespec="seconds"),
        "total": result.total.as_dict(),
        "units": [{"id": r.unit.id, "name": r.unit.name, "direct": r.direct,
                   **r.figures.as_dict()} for r in result.children],
        "other_groups": {g: f.as_dict() for g, f in result.other_groups.items()},
        "categories": [{"key": b.key, "eligible": b.eligible, "connected": b.connected}
                       for b in result.categories],
        "partners": [{"id": b.key, "name": names.get(b.key, ""), "eligible": b.eligible,
                      "connected": b.connected} for b in result.partners],
        "median_days": result.median_days,
        "median_n": result.median_n,
        "trend": [{"key": p.code, **f.as_dict()} for p, f in indicators.trend(scope, trend_end)],
        "audit": audit_summary(scope, period),
        "performance": partner_performance(scope, period, today),
    }


def signed_off(scope: OrgUnit, period: Period) -> PeriodSignOff | None:
    return db.session.scalar(select(PeriodSignOff).where(
        PeriodSignOff.org_unit_id == scope.id, PeriodSignOff.period_key == period.key))


def sign_off(scope: OrgUnit, period: Period, today: date, *, actor: User) -> PeriodSignOff:
    """Lock the unit's figures for a finished period (once)."""
    if "@" in period.key or period.end >= today:
        raise DomainError(_l("Only a period that has ended can be signed off."), "period")
    if signed_off(scope, period) is not None:
        raise DomainError(_l("This period is already signed off for this unit."), "period")
    data = report_data(scope, period, today)
    record = PeriodSignOff(org_unit_id=scope.id, period_key=period.key,
                           period_start=period.start, period_end=period.end,
                           snapshot=json.dumps(data, sort_keys=True), signed_by_id=actor.id,
                           signed_at=utcnow())
    db.session.add(record)
    db.session.flush()
    audit.record("report.signed_off", target_type="org_unit", target_id=scope.id, actor=actor,
                 details={"period": period.key, "eligible": data["total"]["eligible"],
                          "connected": data["total"]["connected"]})
    return record


_COUNTS = ("eligible", "connected", "awaiting_answer", "awaiting_uptake")


def _flat(data: dict[str, Any]) -> dict[tuple[str, str, str], Any]:
    flat: dict[tuple[str, str, str], Any] = {}
    for name in _COUNTS:
        flat[("total", "", name)] = data["total"][name]
    for row in data["units"]:
        for name in ("eligible", "connected"):
            flat[("units", row["name"], name)] = row[name]
    for group, figures in data["other_groups"].items():
        for name in ("eligible", "connected"):
            flat[("other_groups", group, name)] = figures[name]
    for table, label in (("categories", "key"), ("partners", "name")):
        for row in data[table]:
            for name in ("eligible", "connected"):
                flat[(table, str(row[label]), name)] = row[name]
    flat[("median", "", "days")] = data["median_days"]
    return flat


def amendments(signed: dict[str, Any], current: dict[str, Any]) -> list[dict[str, Any]]:
    """Figures that changed since the sign-off: (table, row, figure, signed, now)."""
    old, new = _flat(signed), _flat(current)
    changes = []
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key, 0), new.get(key, 0)
        if before != after:
            changes.append({"table": key[0], "row": key[1], "figure": key[2],
                            "signed": before, "now": after})
    return changes


# --- De-identified export -----------------------------------------------------------------------

EXPORT_COLUMNS = ("case_key", "group", "unit_code", "intake_month", "need_categories",
                  "connected", "days_to_uptake", "connected_categories")


def deidentified_csv(scope: OrgUnit, period: Period, *, actor: User) -> str:
    """One row per eligible case: a keyed pseudonym, codes and counts; no personal field."""
    base = indicators.eligible_case_ids(scope, period).subquery()
    rows = db.session.execute(
        select(base.c.case_id, base.c.grp, base.c.days, OrgUnit.code, Case.intake_date)
        .join(OrgUnit, OrgUnit.id == base.c.unit_id).join(Case, Case.id == base.c.case_id)
        .order_by(base.c.case_id)
    ).all()
    needs = db.session.execute(
        select(Need.case_id, Need.category).join(base, base.c.case_id == Need.case_id)
        .join(Case, Case.id == Need.case_id).where(indicators._need_open(period)).distinct()
    ).all()
    connected = db.session.execute(
        select(Need.case_id, Need.category).select_from(Referral)
        .join(Need, Need.id == Referral.need_id).join(base, base.c.case_id == Need.case_id)
        .where(indicators._uptake_by(period)).distinct()
    ).all()
    need_map: dict[Any, set[str]] = {}
    for case_id, category in needs:
        need_map.setdefault(case_id, set()).add(category)
    conn_map: dict[Any, set[str]] = {}
    for case_id, category in connected:
        conn_map.setdefault(case_id, set()).add(category)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for r in rows:
        key = crypto.mac(str(r.case_id).encode("ascii"), "deidentified-export").hex()[:20]
        writer.writerow([
            key, r.grp, r.code, r.intake_date.strftime("%Y-%m"),
            ";".join(sorted(need_map.get(r.case_id, ()))), int(r.days is not None),
            "" if r.days is None else r.days, ";".join(sorted(conn_map.get(r.case_id, ()))),
        ])
    audit.record("export.deidentified", target_type="org_unit", target_id=scope.id, actor=actor,
                 details={"period": period.key, "rows": len(rows)})
    return out.getvalue()


def status_label(code: str) -> Any:
    return REFERRAL_STATUSES.get(code, code)
