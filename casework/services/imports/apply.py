"""Writing a checked workbook: all accepted rows in one transaction, or nothing.

The write path follows the case-records and referral services' rules exactly (one open
episode and intake custody per case, a transfer ends the current custody, a closure closes
the episode, need events for identified → referred → connected and back, referral events per
transition of ``referral_flow``), but in bulk: one data key per woman made once, case numbers
reserved in blocks from the same counters, and the unit of work flushed per chunk instead of
per row. Personal fields go through the same encrypted attributes as the forms, so blind
indexes are written by the same flush hook.

:func:`apply` flushes and never commits: the caller commits once (the page or the command),
and on any exception rolls back everything, then calls :func:`record_failure`.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from casework import audit
from casework.crypto import new_subject
from casework.db import utcnow
from casework.domain import NEED_ENDED_STATUSES, birth_year_band
from casework.extensions import db
from casework.models.case import (
    Case,
    CaseCustody,
    CaseEpisode,
    CaseEvent,
    CaseNumberCounter,
)
from casework.models.consent import Consent
from casework.models.imports import ImportBatch
from casework.models.need import Need, NeedEvent
from casework.models.org import OrgUnit
from casework.models.provider import ServiceProvider
from casework.models.referral import Referral, ReferralEvent
from casework.models.user import User
from casework.services.errors import DomainError
from casework.services.imports.plan import CasePlan, NeedPlan, ReferralPlan, Report

CHUNK = 500
PERSONAL_FIELDS = ("full_name", "other_names", "date_of_birth", "national_id", "phone",
                   "address", "family_situation", "history")
DEFAULT_SHARED_FIELDS = "full_name,phone"
PAPER_TEXT_VERSION = "paper"
LIVE = ("sent", "accepted", "on_hold", "in_service")
Progress = Callable[[int], None]


@dataclass
class Outcome:
    batch: ImportBatch
    rejected: dict[str, list[Any]]


def _details(batch_id: int, **extra: Any) -> str:
    return json.dumps({"source": "import", "batch": batch_id, **extra}, sort_keys=True)


class Writer:
    def __init__(self, report: Report, actor: User, batch: ImportBatch) -> None:
        self.report = report
        self.actor = actor
        self.batch = batch
        self.now = utcnow()
        self.units = {u.id: u for u in db.session.scalars(select(OrgUnit))}
        self.providers = {p.id: p for p in db.session.scalars(select(ServiceProvider))}
        self.numbers: dict[tuple[int, int], list[str]] = {}

    # -- case numbers -------------------------------------------------------------------------

    def reserve_numbers(self, plans: list[CasePlan]) -> None:
        """Take blocks from the case-number counters (the same numbers the forms use)."""
        wanted: dict[tuple[int, int], int] = defaultdict(int)
        for plan in plans:
            wanted[(plan.unit.id, plan.values["intake_date"].year)] += 1
        table = CaseNumberCounter.__table__
        for (unit_id, year), count in wanted.items():
            unit = self.units[unit_id]
            prefix = unit.code if len(unit.code) <= 28 else f"U{unit.id}"
            numbers: list[str] = []
            while len(numbers) < count:
                need = count - len(numbers)
                last = db.session.execute(
                    update(table).where(table.c.org_unit_id == unit_id, table.c.year == year)
                    .values(last=table.c.last + need).returning(table.c.last)).scalar()
                if last is None:
                    db.session.add(CaseNumberCounter(org_unit_id=unit_id, year=year, last=0))
                    db.session.flush()
                    continue
                block = [f"{prefix}-{year}-{seq:04d}" for seq in range(last - need + 1, last + 1)]
                taken = set(db.session.scalars(select(Case.case_number).where(
                    Case.case_number.in_(block))))
                numbers.extend(n for n in block if n not in taken)
            self.numbers[(unit_id, year)] = numbers

    # -- rows ---------------------------------------------------------------------------------

    def write_case(self, plan: CasePlan) -> Case:
        v = plan.values
        actor_id = self.actor.id
        subject = new_subject()
        db.session.add(subject)
        intake: date = v["intake_date"]
        born: date | None = v.get("date_of_birth")
        year = born.year if born else v.get("birth_year")
        case = Case(id=uuid.uuid4(), subject=subject,
                    case_number=self.numbers[(plan.unit.id, intake.year)].pop(0),
                    group=v["group"], org_unit_id=plan.unit.id, intake_date=intake,
                    birth_year_band=birth_year_band(year), referral_source=v["referral_source"],
                    status="open", external_ref=plan.external_ref, created_by_id=actor_id,
                    created_at=self.now)
        for key in PERSONAL_FIELDS:
            setattr(case, key, v.get(key))
        case.given_name = v["full_name"].split()[-1]
        episode = CaseEpisode(opened_on=intake, opened_by_id=actor_id, recorded_at=self.now)
        custody = CaseCustody(org_unit_id=plan.unit.id, from_date=intake, reason="intake",
                              recorded_by_id=actor_id, recorded_at=self.now)
        case.episodes.append(episode)
        case.custody.append(custody)
        db.session.add(case)
        self.opened.append((case.id, intake))  # events are added once the case row exists
        audit.record("case.created", target_type="case", target_id=case.id, actor=self.actor,
                     fields=[k for k in PERSONAL_FIELDS if v.get(k) is not None],
                     details={"group": v["group"], "unit": plan.unit.id, "via": "import",
                              "batch": self.batch.id})
        plan.case_id, plan.subject_id, plan.case_obj = case.id, subject.id, case
        plan.episode, plan.custody = episode, custody
        self.batch.cases_created += 1
        return case

    def event(self, case_id: uuid.UUID, kind: str, on: date, **extra: Any) -> None:
        db.session.add(CaseEvent(case_id=case_id, kind=kind, effective_date=on,
                                 recorded_at=self.now, actor_id=self.actor.id,
                                 details=_details(self.batch.id, **extra)))

    def attach_existing(self, plan: CasePlan) -> None:
        """Rows for a case imported earlier: load it once (transfers and closures change it)."""
        if plan.existing is not None:
            plan.case_id = plan.existing.id
            plan.subject_id = plan.existing.subject_id

    def write_transfers_and_closure(self, plan: CasePlan) -> None:
        if not plan.transfers and plan.closure is None:
            return
        if plan.existing is not None:
            case = db.session.get(Case, plan.existing.id)
            if case is None:
                raise DomainError(_l("A case changed during the import; try again."))
            custody = next(c for c in case.custody if c.to_date is None)
            episode = next((e for e in case.episodes if e.closed_on is None), None)
        else:
            case = plan.case_obj
            custody = plan.custody
            episode = plan.episode
        holder = plan.existing.holder_id if plan.existing else plan.unit.id
        for transfer in plan.transfers:
            custody.to_date = transfer.on
            custody = CaseCustody(case_id=plan.case_id, org_unit_id=transfer.to_unit.id,
                                  from_date=transfer.on, reason="transfer",
                                  recorded_by_id=self.actor.id, recorded_at=self.now)
            db.session.add(custody)
            self.event(plan.case_id, "transferred", transfer.on,
                       from_unit=holder, to_unit=transfer.to_unit.id)
            audit.record("case.transferred", target_type="case", target_id=plan.case_id,
                         actor=self.actor, details={"from_unit": holder,
                                                    "to_unit": transfer.to_unit.id,
                                                    "via": "import"})
            holder = transfer.to_unit.id
            self.batch.transfers_created += 1
        if plan.closure is not None and episode is not None:
            episode.closed_on = plan.closure.on
            episode.close_reason = plan.closure.reason
            episode.closed_by_id = self.actor.id
            self.event(plan.case_id, "closed", plan.closure.on,
                       reason=plan.closure.reason)
            audit.record("case.closed", target_type="case", target_id=plan.case_id,
                         actor=self.actor, details={"reason": plan.closure.reason,
                                                    "via": "import"})
            self.batch.closures_created += 1
        status = "closed" if (plan.closure is not None or (
            plan.existing is not None and plan.existing.status == "closed")) else "open"
        case.org_unit_id = holder
        case.status = status

    def write_consents(self, plan: CasePlan) -> None:
        for consent_plan in plan.consents:
            if consent_plan.skip:
                continue
            v = consent_plan.values
            share = v["purpose"] == "share"
            consent = Consent(id=uuid.uuid4(), case_id=plan.case_id,
                              subject_id=plan.subject_id,
                              purpose=v["purpose"], service_category=v.get("category"),
                              given_on=v["given_on"], method="paper_imported",
                              text_version=v.get("text_version") or PAPER_TEXT_VERSION,
                              expires_on=v.get("expires_on"), withdrawn_on=v.get("withdrawn_on"),
                              recorded_by_id=self.actor.id, recorded_at=self.now,
                              external_ref=consent_plan.external_ref)
            if hasattr(Consent, "shared_fields"):
                consent.shared_fields = DEFAULT_SHARED_FIELDS if share else ""
            if v.get("withdrawn_on") is not None:
                consent.withdrawn_by_id = self.actor.id
                consent.withdrawn_recorded_at = self.now
            db.session.add(consent)
            codes = {"purpose": v["purpose"], "category": v.get("category") or ""}
            self.event(plan.case_id, "consent_given", v["given_on"], **codes)
            if v.get("withdrawn_on") is not None:
                self.event(plan.case_id, "consent_withdrawn", v["withdrawn_on"], **codes)
            self.batch.consents_created += 1

    def write_need(self, plan: CasePlan, need_plan: NeedPlan) -> None:
        if need_plan.skip:
            need_id = need_plan.existing.id if need_plan.existing else None
            referrals = [r for r in need_plan.referrals if not r.skip]
            if need_id is None or not referrals:
                return
            need = db.session.get(Need, need_id)
            if need is None:
                raise DomainError(_l("A case changed during the import; try again."))
            self.write_referrals(plan, need, referrals)
            return
        v = need_plan.values
        need = Need(id=uuid.uuid4(), case_id=plan.case_id,
                    subject_id=plan.subject_id,
                    category=v["category"], status="identified",
                    identified_on=v["identified_on"], external_ref=need_plan.external_ref,
                    created_by_id=self.actor.id, recorded_at=self.now)
        need.note = v.get("note")
        db.session.add(need)
        self.need_event(need, None, "identified", v["identified_on"], None)
        self.batch.needs_created += 1
        self.write_referrals(plan, need, [r for r in need_plan.referrals if not r.skip],
                             final=(v["status"], v.get("ended_on")))

    def need_event(self, need: Need, from_status: str | None, to_status: str, on: date,
                   reason: str | None) -> None:
        need.events.append(NeedEvent(from_status=from_status, to_status=to_status,
                                     effective_date=on, recorded_at=self.now,
                                     actor_id=self.actor.id, reason=reason))
        need.status = to_status

    def write_referrals(self, plan: CasePlan, need: Need, referrals: list[ReferralPlan],
                        final: tuple[str, date | None] | None = None) -> None:
        """Referrals of one need, replayed in date order so the need's history matches the
        referral services' (identified → referred → connected, back on decline)."""
        steps: list[tuple[date, int, str, Referral, ReferralPlan]] = []
        live: dict[uuid.UUID, str] = {}
        for rplan in referrals:
            v = rplan.values
            provider = self.providers[rplan.provider_id]
            referral = Referral(id=uuid.uuid4(), case_id=plan.case_id,
                                subject_id=plan.subject_id,
                                need=need, provider_id=provider.id,
                                category=need.category, status="draft",
                                created_by_id=self.actor.id, created_at=self.now,
                                external_ref=rplan.external_ref, shared_fields="")
            db.session.add(referral)
            self.batch.referrals_created += 1
            status = v["status"]
            steps.append((v["referred_on"], 0, "send", referral, rplan))
            answered = v.get("answered_on")
            if status == "declined":
                steps.append((answered, 1, "decline", referral, rplan))
            elif answered is not None or status in ("in_service", "completed"):
                steps.append((answered or v["uptake_on"], 1, "accept", referral, rplan))
            if v.get("uptake_on") is not None:
                steps.append((v["uptake_on"], 2, "confirm_uptake", referral, rplan))
            if status in ("completed", "not_completed", "cancelled"):
                action = {"completed": "complete", "not_completed": "not_complete",
                          "cancelled": "cancel"}[status]
                steps.append((v["ended_on"], 3, action, referral, rplan))
        steps.sort(key=lambda s: (s[0], s[1]))
        for on, _order, action, referral, rplan in steps:
            provider = self.providers[referral.provider_id]
            code = rplan.values.get("reason_code")
            from_status = referral.status
            if action == "send":
                referral.referred_on = on
                referral.response_due_on = on + timedelta(days=provider.response_days)
                referral.sent_at = self.now
                if hasattr(referral, "sent_by_id"):
                    referral.sent_by_id = self.actor.id
                referral.status = "sent"
                live[referral.id] = "sent"
                if need.status == "identified":
                    self.need_event(need, "identified", "referred", on, None)
            elif action == "accept":
                referral.answered_on = on
                referral.uptake_due_on = on + timedelta(days=provider.followup_days)
                referral.status = "accepted"
            elif action == "decline":
                referral.answered_on = on
                referral.ended_on = on
                referral.reason_code = code
                referral.status = "declined"
            elif action == "confirm_uptake":
                referral.uptake_on = on
                referral.uptake_confirmed_at = self.now
                referral.uptake_confirmed_by_id = self.actor.id
                referral.status = "in_service"
                if need.status != "connected":
                    self.need_event(need, need.status, "connected", on, None)
            elif action == "complete":
                referral.ended_on = on
                referral.outcome_code = code
                referral.status = "completed"
            else:
                referral.ended_on = on
                referral.reason_code = code
                referral.status = "not_completed" if action == "not_complete" else "cancelled"
            live[referral.id] = referral.status
            referral.events.append(ReferralEvent(
                id=uuid.uuid4(), subject_id=referral.subject_id,
                action=action, from_status=from_status, to_status=referral.status,
                effective_date=on, recorded_at=self.now, actor_id=self.actor.id,
                actor_role=self.actor.role,
                reason_code=code if action in ("decline", "not_complete", "cancel", "complete")
                else None, details=json.dumps({"source": "import", "batch": self.batch.id})))
            if action in ("decline", "not_complete", "cancel") and need.status == "referred" \
                    and not any(s in LIVE for rid, s in live.items() if rid != referral.id):
                self.need_event(need, "referred", "identified", max(on, need.identified_on),
                                f"referral_{referral.status}")
        if final is not None and final[0] in NEED_ENDED_STATUSES:
            self.need_event(need, need.status, final[0], final[1], None)  # type: ignore[arg-type]
            need.ended_on = final[1]

    # -- the run ------------------------------------------------------------------------------

    def run(self, progress: Progress | None = None) -> None:
        plans = self.report.cases
        self.reserve_numbers([p for p in plans if p.existing is None])
        for start in range(0, len(plans), CHUNK):
            chunk = plans[start:start + CHUNK]
            self.opened: list[tuple[uuid.UUID, date]] = []
            for plan in chunk:
                if plan.existing is None:
                    self.write_case(plan)
                else:
                    self.attach_existing(plan)
            db.session.flush()
            for case_id, intake in self.opened:
                self.event(case_id, "opened", intake)
            for plan in chunk:
                for need_plan in plan.needs:
                    self.write_need(plan, need_plan)
                self.write_consents(plan)
                self.write_transfers_and_closure(plan)
            db.session.flush()
            # Forget the chunk's written rows: every flush scans the identity map, so a
            # session holding 100,000 objects would make the import quadratic.
            db.session.expunge_all()
            db.session.add_all([self.batch, self.actor])
            if progress is not None:
                progress(len(chunk))


def apply(report: Report, *, actor: User, scope_unit: OrgUnit, file_sha256: str, mode: str,
          source: str, progress: Progress | None = None) -> ImportBatch:
    """Write the accepted rows of ``report`` (flush only). Raises DomainError when ``mode`` is
    "all" and the dry run found errors; any other exception means the caller must roll back."""
    if mode not in ("all", "clean_only"):
        raise DomainError(_l("Choose how to import."))
    if mode == "all" and not report.clean:
        raise DomainError(_l("The dry run found errors: fix them, or import only the clean "
                             "rows."))
    if report.accepted_rows == 0:
        raise DomainError(_l("There is nothing new to import in this file."))
    counts = report.counts.values()
    batch = ImportBatch(user_id=actor.id, org_unit_id=scope_unit.id, source=source, mode=mode,
                        status="completed", file_sha256=file_sha256,
                        rows_total=sum(c.total for c in counts),
                        rows_accepted=report.accepted_rows,
                        rows_rejected=sum(c.rejected for c in counts),
                        rows_existing=report.existing_rows,
                        cases_created=0, needs_created=0, referrals_created=0,
                        consents_created=0, transfers_created=0, closures_created=0)
    db.session.add(batch)
    db.session.flush()
    Writer(report, actor, batch).run(progress)
    batch.finished_at = utcnow()
    audit.record("import.applied", target_type="import_batch", target_id=batch.id, actor=actor,
                 details={"mode": mode, "source": source, "unit": scope_unit.id,
                          "cases": batch.cases_created, "needs": batch.needs_created,
                          "referrals": batch.referrals_created,
                          "consents": batch.consents_created,
                          "rejected": batch.rows_rejected})
    db.session.flush()
    return batch


def record_failure(*, actor: User, scope_unit: OrgUnit, file_sha256: str, mode: str,
                   source: str, report: Report | None, error: BaseException) -> ImportBatch:
    """After a rollback: note the failed attempt (no rows were written). The caller commits."""
    counts = report.counts.values() if report else []
    batch = ImportBatch(user_id=actor.id, org_unit_id=scope_unit.id, source=source, mode=mode,
                        status="failed", file_sha256=file_sha256,
                        rows_total=sum(c.total for c in counts),
                        rows_accepted=0, rows_rejected=sum(c.rejected for c in counts),
                        rows_existing=report.existing_rows if report else 0,
                        cases_created=0, needs_created=0, referrals_created=0,
                        consents_created=0, transfers_created=0, closures_created=0,
                        error_code=type(error).__name__[:40], finished_at=utcnow())
    db.session.add(batch)
    db.session.flush()
    audit.record("import.failed", target_type="import_batch", target_id=batch.id, actor=actor,
                 outcome="ok", details={"mode": mode, "source": source,
                                        "error": type(error).__name__[:40]})
    return batch


def rejected_rows(report: Report) -> dict[str, list[tuple[dict[str, Any], list[str]]]]:
    """The rejected rows (cells as uploaded) with their messages, for the workbook to fix."""
    out: dict[str, list[tuple[dict[str, Any], list[str]]]] = {}
    for sheet, rows in report.rejected_rows.items():
        out[sheet] = [(row.raw, [
            (f"{p.column_header}: {p.message}" if p.column else str(p.message))
            for p in report.messages_for(sheet, row.number)]) for row in
            sorted(rows, key=lambda r: r.number)]
    return out
