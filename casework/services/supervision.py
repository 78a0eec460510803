"""Supervision services: report figures (and their snapshot), sign-off, outcome audit, export.

Services flush and audit; the view commits. Every figure here is an aggregate from SQL; the
only per-case rows fetched are those of the de-identified export (no personal fields).
"""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from casework import audit, crypto, indicators, spreadsheets
from casework.authz import visible_referrals
from casework.db import utcnow
from casework.domain import REFERRAL_STATUSES, UPTAKE_PAPER_IMPORT
from casework.extensions import db
from casework.indicators import UPTAKE_STATUSES, Period
from casework.models.case import Case
from casework.models.consent import Consent
from casework.models.org import UNIT_LEVEL, OrgUnit
from casework.models.provider import ServiceProvider
from casework.models.referral import Referral
from casework.models.supervision import OutcomeSample, PeriodSignOff, UptakeVerification
from casework.models.user import User
from casework.services import consents, partner_links, referrals
from casework.services.effective_dates import today
from casework.services.errors import DomainError
from casework.services.imports.provenance import imported_uptake, partner_confirmed
from casework.services.org_units import subtree_filter, subtree_ids

SAMPLE_MAX = 50
NOTE_MAX = 500


def _provider_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session.execute(
        select(ServiceProvider.id, ServiceProvider.name).where(ServiceProvider.id.in_(ids)))
    return {r.id: r.name for r in rows}


def _held_in(scope: OrgUnit) -> Any:
    """Referrals of cases currently held in ``scope``'s subtree (one subtree rule)."""
    return Referral.case_id.in_(
        select(Case.id).where(Case.org_unit_id.in_(subtree_ids(scope))).scalar_subquery())


# --- Partner performance ------------------------------------------------------------------------

def partner_performance(scope: OrgUnit, period: Period, today: date) -> list[dict[str, Any]]:
    """Per partner, for referrals sent in the period from cases held in ``scope``.

    The definitions are the referrals area's (:func:`referrals.performance_query` and
    :func:`referrals.summarise_performance`): the same rates a partner sees on its own page,
    and overdue is :func:`referrals.overdue_filter`. Only referral metadata is read.
    """
    conditions = (_held_in(scope), Referral.referred_on.between(period.start, period.end))
    by_provider: dict[int, list[Any]] = {}
    for row in db.session.execute(referrals.performance_query(*conditions)):
        by_provider.setdefault(row.provider_id, []).append(row)
    overdue = dict(db.session.execute(
        select(Referral.provider_id, func.count())
        .where(*conditions, referrals.overdue_filter(today))
        .group_by(Referral.provider_id)).all())
    names = _provider_names(set(by_provider))
    channels = partner_links.performance_by_channel(*conditions)
    result = []
    for pid, rows in by_provider.items():
        perf = referrals.summarise_performance(rows)
        result.append({**_channel_figures(channels.get(pid, {})),
            "id": pid, "name": names.get(pid, ""), "received": perf.received,
            "answered": perf.answered, "answered_on_time": perf.answered_on_time,
            "accepted": perf.accepted, "uptake": perf.taken_up,
            "overdue": int(overdue.get(pid, 0)),
            "response_days": (None if perf.median_response_days is None
                              else float(perf.median_response_days)),
        })
    return sorted(result, key=lambda d: d["name"])


def _channel_figures(by_channel: dict[str, Any]) -> dict[str, Any]:
    """Flat per-channel figures (``account_*``, ``link_*``): received, answered, median days."""
    flat: dict[str, Any] = {}
    for channel in partner_links.ANSWER_CHANNELS:
        perf = by_channel.get(channel)
        flat[f"{channel}_received"] = perf.received if perf else 0
        flat[f"{channel}_answered"] = perf.answered if perf else 0
        flat[f"{channel}_response_days"] = (
            None if perf is None or perf.median_response_days is None
            else float(perf.median_response_days))
    return flat


def overdue_by_unit(units: list[OrgUnit], today: date) -> dict[int, int]:
    """Overdue referrals (:func:`referrals.overdue_filter`) of the cases held in each unit's
    subtree now: the dashboard's column per unit. Referral metadata only."""
    return {unit.id: int(db.session.scalar(select(func.count()).select_from(Referral).where(
        _held_in(unit), referrals.overdue_filter(today))) or 0) for unit in units}


# --- Outcome audit ------------------------------------------------------------------------------

UPTAKE_SOURCES = ("partner", "paper_import")


def uptake_source(referral: Referral) -> str:
    """``partner`` (confirmed in Casework by the partner) or ``paper_import`` (see provenance)."""
    return "paper_import" if referral.uptake_provenance == UPTAKE_PAPER_IMPORT else "partner"


def confirmed_uptakes(scope: OrgUnit, period: Period, provider_id: int | None = None, *,
                      actor: User | Any) -> Any:
    """Referrals with an uptake in the period, from cases held in ``scope``, that ``actor`` may
    see (:func:`casework.authz.visible_referrals`): partner-confirmed and paper-imported."""
    stmt = visible_referrals(actor).where(
        _held_in(scope), Referral.status.in_(UPTAKE_STATUSES),
        Referral.uptake_on.between(period.start, period.end))
    if provider_id is not None:
        stmt = stmt.where(Referral.provider_id == provider_id)
    return stmt


def audit_summary(scope: OrgUnit, period: Period, *, actor: User | Any) -> list[dict[str, Any]]:
    """Per partner: uptakes confirmed by the partner in Casework, recorded from paper
    (imported), sampled, verified and disputed by a supervisor."""
    uptakes = confirmed_uptakes(scope, period, actor=actor).subquery()
    counts = {r.provider_id: r for r in db.session.execute(
        select(uptakes.c.provider_id,
               func.count(case((uptakes.c.uptake_confirmed_by_id.is_not(None), 1)))
               .label("partner"),
               func.count(case((uptakes.c.uptake_confirmed_by_id.is_(None), 1)))
               .label("imported"))
        .group_by(uptakes.c.provider_id))}
    verdicts = {r.provider_id: r for r in db.session.execute(
        select(OutcomeSample.provider_id,
               func.count(UptakeVerification.id.distinct()).label("sampled"),
               func.count(case((UptakeVerification.status == "verified", 1))).label("verified"),
               func.count(case((UptakeVerification.status == "disputed", 1))).label("disputed"))
        .join(UptakeVerification, UptakeVerification.sample_id == OutcomeSample.id)
        .where(OutcomeSample.org_unit_id.in_(subtree_ids(scope)),
               OutcomeSample.period_start == period.start,
               OutcomeSample.period_end == period.end)
        .group_by(OutcomeSample.provider_id))}
    ids = set(counts) | set(verdicts)
    names = _provider_names(ids)
    rows = []
    for pid in ids:
        c, v = counts.get(pid), verdicts.get(pid)
        rows.append({"id": pid, "name": names.get(pid, ""),
                     "confirmed": c.partner if c else 0, "imported": c.imported if c else 0,
                     "sampled": v.sampled if v else 0, "verified": v.verified if v else 0,
                     "disputed": v.disputed if v else 0})
    return sorted(rows, key=lambda d: d["name"])


def _allocate(size: int, partner: int, imported: int) -> tuple[int, int]:
    """Split a sample between the two sources in proportion, each kind at least once."""
    total = partner + imported
    if not partner or not imported:
        return min(size, partner), min(size, imported)
    from_paper = max(1, round(size * imported / total)) if size > 1 else 0
    from_paper = min(from_paper, imported)
    from_partner = min(size - from_paper, partner)
    from_paper = min(imported, size - from_partner)
    return from_partner, from_paper


def already_sampled(period: Period, provider_id: int) -> Any:
    """Referrals of ``provider_id`` drawn in an earlier sample of the same period."""
    return (select(UptakeVerification.referral_id)
            .join(OutcomeSample, OutcomeSample.id == UptakeVerification.sample_id)
            .where(OutcomeSample.provider_id == provider_id,
                   OutcomeSample.period_start == period.start,
                   OutcomeSample.period_end == period.end))


def draw_sample(scope: OrgUnit, period: Period, provider: ServiceProvider, size: int, *,
                actor: User) -> OutcomeSample:
    """A random sample of the partner's uptakes (random order in SQL), both kinds: those the
    partner confirmed in Casework and those recorded from paper, each item labelled. Uptakes
    drawn in an earlier sample of the same period are left out; when fewer remain than asked
    for, all of them are drawn (the view says so: ``len(items) < requested_size``)."""
    if not 1 <= size <= SAMPLE_MAX:
        raise DomainError(_l("Choose a sample size from 1 to 50."), "size")
    base = confirmed_uptakes(scope, period, provider.id, actor=actor).where(
        Referral.id.not_in(already_sampled(period, provider.id)))
    n_partner = db.session.scalar(base.with_only_columns(func.count())
                                  .where(partner_confirmed())) or 0
    n_paper = db.session.scalar(base.with_only_columns(func.count())
                                .where(imported_uptake())) or 0
    take_partner, take_paper = _allocate(size, n_partner, n_paper)
    chosen: list[Any] = []
    for condition, limit in ((partner_confirmed(), take_partner), (imported_uptake(), take_paper)):
        if limit:
            chosen += db.session.scalars(
                base.where(condition).order_by(func.random()).limit(limit)).all()
    if not chosen:
        if db.session.scalar(confirmed_uptakes(scope, period, provider.id, actor=actor)
                             .with_only_columns(func.count())):
            raise DomainError(_l("Every confirmed uptake of this partner in this period has "
                                 "already been sampled."), "size")
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
                                       "from_partner": take_partner, "from_paper": take_paper,
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

def report_data(scope: OrgUnit, period: Period, today: date, *,
                actor: User | Any) -> dict[str, Any]:
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
        "audit": audit_summary(scope, period, actor=actor),
        "performance": partner_performance(scope, period, today),
        "provenance": indicators.connected_by_provenance(scope, period),
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
    data = report_data(scope, period, today, actor=actor)
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

# Neutral group codes: the file may be opened on any computer; a group's name never says why a
# woman is supported.
EXPORT_GROUP_CODES = {"left_sex_work": "nhom_5", "trafficking_returnee": "nhom_tro_ve",
                      "high_risk": "nhom_phong_ngua"}
EXPORT_COLUMNS = ("ma_an_danh", "nhom", "don_vi_cap_huyen", "quy_tiep_nhan", "nhu_cau",
                  "da_ket_noi", "so_ngay_den_khi_tiep_nhan", "linh_vuc_da_ket_noi")
EXPORT_HEADERS = ("Mã ẩn danh của hồ sơ", "Nhóm", "Đơn vị cấp huyện", "Quý tiếp nhận",
                  "Nhu cầu", "Đã kết nối (1/0)", "Số ngày đến khi tiếp nhận dịch vụ",
                  "Lĩnh vực đã kết nối")
EXPORT_KEY_CONTEXT = "deidentified-export"


def _district_codes(scope: OrgUnit) -> dict[int, str]:
    """Unit id -> code of its district-level ancestor (itself at district level or above)."""
    root = scope
    while root.parent is not None:
        root = root.parent
    units = db.session.execute(
        select(OrgUnit.id, OrgUnit.code, OrgUnit.kind, OrgUnit.path)
        .where(subtree_filter(root))).all()
    by_id = {u.id: u for u in units}
    result: dict[int, str] = {}
    for u in units:
        chain = [by_id[int(i)] for i in u.path.strip("/").split("/") if i and int(i) in by_id]
        district = next((a for a in chain if UNIT_LEVEL.get(a.kind, 2) >= 1), None)
        if district is None or UNIT_LEVEL.get(u.kind, 2) == 0:
            district = u
        result[u.id] = district.code
    return result


def _quarter(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def deidentified_csv(scope: OrgUnit, period: Period, *, actor: User, threshold: int) -> str:
    """One row per eligible woman, generalised and suppressed, for analysis outside Casework.

    * ``ma_an_danh``: a keyed pseudonym (HMAC of the case id under the app key): the same woman
      has the same key in every export, so files can be compared over time. It changes only if
      the app key is rotated (then every key changes at once); it cannot be turned back into a
      case number without the key.
    * the holding unit is generalised to its district, the intake date to a year-quarter, the
      group to a neutral code (:data:`EXPORT_GROUP_CODES`);
    * small counts: rows whose (district, quarter, group) holds fewer than ``threshold`` women
      are withheld, and the leading comment says how many.

    Which woman counts where follows the indicator (the unit holding her case at the end of the
    period), not the current holder, so the file matches the report's figures.
    """
    source = indicators.export_rows(scope, period)
    base = source.women.subquery()
    rows = db.session.execute(
        select(base.c.case_id, base.c.grp, base.c.days, base.c.unit_id, Case.intake_date)
        .join(Case, Case.id == base.c.case_id).order_by(base.c.case_id)
    ).all()
    # Only women who consent to anonymous statistics today (a withdrawal stops it at once);
    # the report's aggregate counts are not personal data and stay whole.
    consenting = set(db.session.scalars(consents.consenting_to("statistics", today()).where(
        Consent.case_id.in_(select(base.c.case_id)))))
    no_consent = sum(1 for r in rows if r.case_id not in consenting)
    rows = [r for r in rows if r.case_id in consenting]
    needs = db.session.execute(source.needs).all()
    connected = db.session.execute(source.connected).all()
    need_map: dict[Any, set[str]] = {}
    for case_id, category in needs:
        need_map.setdefault(case_id, set()).add(str(category))
    conn_map: dict[Any, set[str]] = {}
    for case_id, category in connected:
        conn_map.setdefault(case_id, set()).add(str(category))
    districts = _district_codes(scope)
    cells = [(r, districts.get(r.unit_id, ""), _quarter(r.intake_date),
              EXPORT_GROUP_CODES.get(r.grp, "nhom_khac")) for r in rows]
    sizes: dict[tuple[str, str, str], int] = {}
    for _r, district, quarter, group in cells:
        sizes[(district, quarter, group)] = sizes.get((district, quarter, group), 0) + 1
    kept = [c for c in cells if sizes[c[1:]] >= threshold]
    withheld = len(cells) - len(kept)
    out = io.StringIO()
    writer = spreadsheets.csv_writer(out, lineterminator="\n")
    writer.comment(f"Hội LHPN - dữ liệu đã khử định danh. Kỳ: {period.start:%d/%m/%Y} - "
                   f"{period.end:%d/%m/%Y}. Đơn vị: {scope.code}.")
    writer.comment(f"Đã ẩn {withheld} dòng (nhóm đơn vị cấp huyện, quý, nhóm có dưới "
                   f"{threshold} người). Số dòng: {len(kept)}.")
    writer.comment(f"Đã bỏ {no_consent} người không đồng ý cho dùng dữ liệu vào thống kê "
                   "(số liệu tổng hợp trong báo cáo vẫn tính đủ).")
    writer.comment("Mã ẩn danh ổn định giữa các lần xuất; chỉ đổi khi khóa ứng dụng được thay.")
    writer.comment("Cột: " + "; ".join(f"{c} = {h}" for c, h in zip(
        EXPORT_COLUMNS, EXPORT_HEADERS, strict=True)))
    writer.writerow(EXPORT_COLUMNS)
    for r, district, quarter, group in kept:
        key = crypto.mac(str(r.case_id).encode("ascii"), EXPORT_KEY_CONTEXT).hex()[:20]
        writer.writerow([
            key, group, district, quarter, ";".join(sorted(need_map.get(r.case_id, ()))),
            int(r.days is not None), "" if r.days is None else r.days,
            ";".join(sorted(conn_map.get(r.case_id, ()))),
        ])
    audit.record("export.deidentified", target_type="org_unit", target_id=scope.id, actor=actor,
                 details={"period": period.key, "rows": len(kept), "withheld": withheld,
                          "threshold": threshold, "no_consent": no_consent})
    return out.getvalue()


def status_label(code: str) -> Any:
    return REFERRAL_STATUSES.get(code, code)
