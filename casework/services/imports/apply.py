"""Writing a checked workbook: all accepted rows in one transaction, or nothing.

The write path follows the case-records and referral services' rules exactly (one open
episode and intake custody per case, a transfer ends the current custody, a closure closes
the episode; each referral move is ``referral_flow.effects``, the executor the forms use, and
its need's change is ``referral_flow.need_change``), but in bulk: every row is built in
Python as a dict (UUIDs generated here, because they are bound into each ciphertext's
associated data) and written
with Core ``insert`` executemany per chunk of cases, without SQLAlchemy's per-object unit of
work. Personal fields are encrypted and blind-indexed by :mod:`casework.crypto.bulk`, which
produces exactly what the ORM flush hook stores; audit events are appended with
:func:`casework.audit.record_many`, which keeps the hash chain serialised and unbroken.

Uptakes come from paper: nobody confirmed them in the system. An imported referral with an
uptake keeps ``uptake_confirmed_by_id`` and ``uptake_confirmed_at`` empty (no partner is
claimed) and its ``confirm_uptake`` event carries ``"uptake_source": "paper_import"``; see
:mod:`casework.services.imports.provenance` for the SQL test supervision can use.

Every row the dry run counted as ready is written, and counted in the batch: a difference
(:class:`RowsNotWritten`) rolls the import back rather than drop a row in silence. A case
imported earlier changes only while it is still held where the dry run saw it. Once written,
the new cases are looked up across the province and matches outside the importer's scope are
queued for a supervisor (:mod:`casework.services.imports.review`), never reported back.

:func:`apply` flushes and never commits: the caller commits once (the page or the command),
and on any exception rolls back everything, then calls :func:`record_failure`.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, update

from casework import audit
from casework.crypto import bulk
from casework.crypto.models import BlindIndexEntry, Subject
from casework.db import rows_affected, table_of, utcnow
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
from casework.services import referral_flow as flow
from casework.services.errors import DomainError
from casework.services.imports import review
from casework.services.imports.plan import CasePlan, NeedPlan, ReferralPlan, Report
from casework.services.imports.provenance import UPTAKE_SOURCE_IMPORT
from casework.services.needs import LIVE_REFERRAL_STATUSES as LIVE

CHUNK = 1000
PERSONAL_FIELDS = ("full_name", "other_names", "date_of_birth", "national_id", "phone",
                   "address", "family_situation", "history")
DEFAULT_SHARED_FIELDS = "full_name,phone"
PAPER_TEXT_VERSION = "paper"
Progress = Callable[[int], None]
#: Insert order: every table after the tables its rows point at.
TABLES = (Subject, Case, CaseEpisode, CaseCustody, CaseEvent, Need, NeedEvent, Referral,
          ReferralEvent, Consent, BlindIndexEntry)


@dataclass
class Outcome:
    batch: ImportBatch
    rejected: dict[str, list[Any]]


@dataclass(repr=False, eq=False)
class _Need:
    """What the replay of a need's referrals needs to know and change."""

    id: uuid.UUID
    case_id: uuid.UUID
    subject_id: uuid.UUID
    category: str
    status: str
    identified_on: date
    ended_on: date | None = None
    events: list[dict[str, Any]] = field(default_factory=list)


def _ids(plan: CasePlan) -> tuple[uuid.UUID, uuid.UUID]:
    """The case and subject ids of a plan once its case row is written or attached."""
    if plan.case_id is None or plan.subject_id is None:
        raise RuntimeError("case rows are written before their children")
    return plan.case_id, plan.subject_id


def _details(batch_id: int, **extra: Any) -> str:
    return json.dumps({"source": "import", "batch": batch_id, **extra}, sort_keys=True)


class Writer:
    def __init__(self, report: Report, actor: User, batch: ImportBatch) -> None:
        self.report = report
        self.actor = actor
        self.actor_id = actor.id
        self.actor_role = actor.role
        self.batch = batch
        self.batch_id = batch.id
        self.now = utcnow()
        self.units = {u.id: u for u in db.session.scalars(select(OrgUnit))}
        self.providers = {p.id: (p.response_days, p.followup_days)
                          for p in db.session.scalars(select(ServiceProvider))}
        self.numbers: dict[tuple[int, int], list[str]] = {}
        self.rows: dict[type[Any], list[dict[str, Any]]] = {t: [] for t in TABLES}
        self.audits: list[dict[str, Any]] = []
        self.counts: dict[str, int] = defaultdict(int)

    # -- case numbers -------------------------------------------------------------------------

    def reserve_numbers(self, plans: list[CasePlan]) -> None:
        """Take blocks from the case-number counters (the same numbers the forms use)."""
        wanted: dict[tuple[int, int], int] = defaultdict(int)
        for plan in plans:
            wanted[(plan.unit.id, plan.values["intake_date"].year)] += 1
        table = table_of(CaseNumberCounter)
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
                    db.session.execute(insert(table).values(org_unit_id=unit_id, year=year,
                                                            last=0))
                    continue
                block = [f"{prefix}-{year}-{seq:04d}" for seq in range(last - need + 1, last + 1)]
                taken = set(db.session.scalars(select(Case.case_number).where(
                    Case.case_number.in_(block))))
                numbers.extend(n for n in block if n not in taken)
            numbers.reverse()  # pop() from the end gives them in ascending order
            self.numbers[(unit_id, year)] = numbers

    # -- rows ---------------------------------------------------------------------------------

    def encrypted(self, model: type[Any], row_id: uuid.UUID, subject_id: uuid.UUID,
                  values: dict[str, Any]) -> dict[str, bytes | None]:
        return bulk.encrypt_values(db.session(), model, row_id=row_id, subject_id=subject_id,
                                   values=values)

    def event(self, case_id: uuid.UUID, kind: str, on: date, **extra: Any) -> None:
        self.rows[CaseEvent].append({
            "case_id": case_id, "kind": kind, "effective_date": on, "recorded_at": self.now,
            "actor_id": self.actor_id, "backdate_reason": None,
            "details": _details(self.batch_id, **extra)})

    def custody(self, case_id: uuid.UUID, unit_id: int, start: date, end: date | None,
                reason: str) -> None:
        self.rows[CaseCustody].append({
            "case_id": case_id, "org_unit_id": unit_id, "from_date": start, "to_date": end,
            "reason": reason, "recorded_at": self.now, "recorded_by_id": self.actor_id})

    def write_case(self, plan: CasePlan) -> None:
        v = plan.values
        subject = bulk.subject_row()
        self.rows[Subject].append(subject)
        case_id, subject_id = uuid.uuid4(), subject["id"]
        intake: date = v["intake_date"]
        born: date | None = v.get("date_of_birth")
        year = born.year if born else v.get("birth_year")
        personal = {k: v.get(k) for k in PERSONAL_FIELDS}
        personal["given_name"] = v["full_name"].split()[-1]
        holder = plan.transfers[-1].to_unit.id if plan.transfers else plan.unit.id
        closure = plan.closure
        self.rows[Case].append({
            "id": case_id, "subject_id": subject_id,
            "case_number": self.numbers[(plan.unit.id, intake.year)].pop(),
            "group": v["group"], "org_unit_id": holder, "intake_date": intake,
            "birth_year_band": birth_year_band(year), "referral_source": v["referral_source"],
            "status": "closed" if closure is not None else "open", "merged_into_id": None,
            "external_ref": plan.external_ref, "created_by_id": self.actor_id,
            "created_at": self.now, "updated_at": self.now, "version": 1,
            **self.encrypted(Case, case_id, subject_id, personal)})
        self.rows[BlindIndexEntry].extend(bulk.index_rows(
            Case, row_id=case_id, subject_id=subject_id, values=personal))
        self.rows[CaseEpisode].append({
            "case_id": case_id, "opened_on": intake,
            "closed_on": closure.on if closure else None,
            "close_reason": closure.reason if closure else None,
            "opened_by_id": self.actor_id,
            "closed_by_id": self.actor_id if closure else None, "recorded_at": self.now})
        self.event(case_id, "opened", intake)
        self.audits.append({"action": "case.created", "target_type": "case",
                            "target_id": case_id,
                            "fields": [k for k in PERSONAL_FIELDS if v.get(k) is not None],
                            "details": {"group": v["group"], "unit": plan.unit.id,
                                        "via": "import", "batch": self.batch_id}})
        plan.case_id, plan.subject_id = case_id, subject_id
        self.counts["cases_created"] += 1

    def attach_existing(self, plan: CasePlan) -> None:
        """Rows for a case imported earlier: its ids (transfers and closures change it)."""
        if plan.existing is not None:
            plan.case_id = plan.existing.id
            plan.subject_id = plan.existing.subject_id

    def write_transfers_and_closure(self, plan: CasePlan) -> None:
        """Custody rows (intake, then one per transfer), the closure, and for a case imported
        earlier the updates of its current custody, episode and holder."""
        if plan.existing is not None and not plan.transfers and plan.closure is None:
            return
        case_id, _subject_id = _ids(plan)
        existing = plan.existing
        if existing is None:
            holder, start, reason = plan.unit.id, plan.values["intake_date"], "intake"
        else:
            holder, start, reason = existing.holder_id, existing.custody_from, ""
        for transfer in plan.transfers:
            if existing is not None and not reason:
                self.end_current_custody(case_id, transfer.on)
            else:
                self.custody(case_id, holder, start, transfer.on, reason)
            self.event(case_id, "transferred", transfer.on,
                       from_unit=holder, to_unit=transfer.to_unit.id)
            self.audits.append({"action": "case.transferred", "target_type": "case",
                                "target_id": case_id,
                                "details": {"from_unit": holder, "to_unit": transfer.to_unit.id,
                                            "via": "import"}})
            holder, start, reason = transfer.to_unit.id, transfer.on, "transfer"
            self.counts["transfers_created"] += 1
        if reason:
            self.custody(case_id, holder, start, None, reason)
        closed = False
        if plan.closure is not None:
            closed = existing is None or self.close_episode(case_id, plan.closure.on,
                                                             plan.closure.reason)
        if closed and plan.closure is not None:
            self.event(case_id, "closed", plan.closure.on, reason=plan.closure.reason)
            self.audits.append({"action": "case.closed", "target_type": "case",
                                "target_id": case_id,
                                "details": {"reason": plan.closure.reason, "via": "import"}})
            self.counts["closures_created"] += 1
        if existing is not None:
            status = "closed" if closed or existing.status == "closed" else "open"
            table = table_of(Case)
            # Still held where the dry run saw it (in the importer's scope), or nothing.
            done = db.session.execute(
                update(table).where(table.c.id == case_id,
                                    table.c.org_unit_id == existing.holder_id)
                .values(org_unit_id=holder, status=status, version=table.c.version + 1,
                        updated_at=self.now))
            if rows_affected(done) != 1:
                raise DomainError(_l("A case changed during the import; try again."))

    def end_current_custody(self, case_id: uuid.UUID, on: date) -> None:
        table = table_of(CaseCustody)
        done = db.session.execute(
            update(table).where(table.c.case_id == case_id, table.c.to_date.is_(None))
            .values(to_date=on))
        if rows_affected(done) != 1:
            raise DomainError(_l("A case changed during the import; try again."))

    def close_episode(self, case_id: uuid.UUID, on: date, reason: str) -> bool:
        table = table_of(CaseEpisode)
        done = db.session.execute(
            update(table).where(table.c.case_id == case_id, table.c.closed_on.is_(None))
            .values(closed_on=on, close_reason=reason, closed_by_id=self.actor_id))
        return bool(rows_affected(done))

    def write_consents(self, plan: CasePlan) -> None:
        for consent_plan in plan.consents:
            if consent_plan.skip:
                continue
            v = consent_plan.values
            share = v["purpose"] == "share"
            withdrawn = v.get("withdrawn_on")
            consent_id = uuid.uuid4()
            self.rows[Consent].append({
                "id": consent_id, "subject_id": plan.subject_id, "case_id": plan.case_id,
                "purpose": v["purpose"], "service_category": v.get("category"),
                "given_on": v["given_on"], "method": "paper_imported",
                "text_version": v.get("text_version") or PAPER_TEXT_VERSION,
                "expires_on": v.get("expires_on"), "withdrawn_on": withdrawn,
                "recorded_by_id": self.actor_id, "recorded_at": self.now,
                "withdrawn_by_id": self.actor_id if withdrawn is not None else None,
                "withdrawn_recorded_at": self.now if withdrawn is not None else None,
                "external_ref": consent_plan.external_ref,
                "shared_fields": DEFAULT_SHARED_FIELDS if share else "",
                "witness_name_enc": None})
            codes = {"purpose": v["purpose"], "category": v.get("category") or ""}
            self.event(plan.case_id, "consent_given", v["given_on"], **codes)  # type: ignore[arg-type]
            if withdrawn is not None:
                self.event(plan.case_id, "consent_withdrawn", withdrawn, **codes)  # type: ignore[arg-type]
            self.counts["consents_created"] += 1

    def write_need(self, plan: CasePlan, need_plan: NeedPlan) -> None:
        case_id, subject_id = _ids(plan)
        referrals = [r for r in need_plan.referrals if not r.skip]
        if need_plan.skip:
            found = need_plan.existing
            if found is None or not referrals:
                return
            need = _Need(found.id, case_id, subject_id, found.category, found.status,
                         found.identified_on, found.ended_on)
            self.write_referrals(need, referrals)
            self.need_events(need)
            table = table_of(Need)
            done = db.session.execute(
                update(table).where(table.c.id == need.id)
                .values(status=need.status, version=table.c.version + 1))
            if rows_affected(done) != 1:
                raise DomainError(_l("A case changed during the import; try again."))
            return
        v = need_plan.values
        need = _Need(uuid.uuid4(), case_id, subject_id, v["category"], "identified",
                     v["identified_on"])
        self.need_event(need, None, "identified", v["identified_on"], None)
        self.write_referrals(need, referrals, final=(v["status"], v.get("ended_on")))
        self.rows[Need].append({
            "id": need.id, "subject_id": need.subject_id, "case_id": need.case_id,
            "category": need.category, "status": need.status,
            "identified_on": need.identified_on, "ended_on": need.ended_on,
            "external_ref": need_plan.external_ref, "created_by_id": self.actor_id,
            "recorded_at": self.now, "version": 1,
            **self.encrypted(Need, need.id, need.subject_id, {"note": v.get("note")})})
        self.need_events(need)
        self.counts["needs_created"] += 1

    def need_event(self, need: _Need, from_status: str | None, to_status: str, on: date,
                   reason: str | None) -> None:
        need.events.append({"need_id": need.id, "from_status": from_status,
                            "to_status": to_status, "effective_date": on,
                            "recorded_at": self.now, "actor_id": self.actor_id,
                            "reason": reason})
        need.status = to_status

    def need_events(self, need: _Need) -> None:
        """Queue the need's events (after the need row, which they point at)."""
        self.rows[NeedEvent].extend(need.events)
        need.events = []

    def write_referrals(self, need: _Need, referrals: list[ReferralPlan],
                        final: tuple[str, date | None] | None = None) -> None:
        """Referrals of one need, replayed in date order so the need's history matches the
        referral services' (identified → referred → connected, back on decline)."""
        steps: list[tuple[date, int, str, dict[str, Any], ReferralPlan]] = []
        live: dict[uuid.UUID, str] = {}  # referral id -> status, for the need's release
        made: list[tuple[dict[str, Any], list[dict[str, Any]]]] = []
        for rplan in referrals:
            v = rplan.values
            referral: dict[str, Any] = {
                "id": uuid.uuid4(), "subject_id": need.subject_id, "case_id": need.case_id,
                "need_id": need.id, "provider_id": rplan.provider_id,
                "category": need.category, "status": "draft", "referred_on": None,
                "answered_on": None, "uptake_on": None, "ended_on": None,
                "response_due_on": None, "uptake_due_on": None, "sent_at": None,
                "uptake_confirmed_at": None, "uptake_confirmed_by_id": None,
                "uptake_provenance": None, "uptake_evidence": None,
                "uptake_verified_at": None, "uptake_verified_by_id": None,
                "created_by_id": self.actor_id, "created_at": self.now, "sent_by_id": None,
                "review_outcome": None, "reviewed_at": None, "reason_code": None,
                "outcome_code": None, "shared_fields": "", "external_ref": rplan.external_ref,
                "version": 1, "shared_data_enc": None}
            made.append((referral, []))
            self.counts["referrals_created"] += 1
            status = v["status"]
            steps.append((v["referred_on"], 0, "send", referral, rplan))
            answered: date | None = v.get("answered_on")
            if status == "declined" and answered is not None:  # the checks require the date
                steps.append((answered, 1, "decline", referral, rplan))
            elif answered is not None or status in ("in_service", "completed"):
                steps.append((answered or v["uptake_on"], 1, "accept", referral, rplan))
            if v.get("uptake_on") is not None:
                steps.append((v["uptake_on"], 2, "confirm_uptake", referral, rplan))
            if status in ("completed", "not_completed", "cancelled"):
                action = {"completed": "complete", "not_completed": "not_complete",
                          "cancelled": "cancel"}[status]
                steps.append((v["ended_on"], 3, action, referral, rplan))
        events = {id(r): e for r, e in made}
        steps.sort(key=lambda s: (s[0], s[1]))
        for on, _order, action, referral, rplan in steps:
            events[id(referral)].append(self.move(need, referral, action, on, rplan, live))
        if final is not None and final[0] in NEED_ENDED_STATUSES:
            self.need_event(need, need.status, final[0], final[1], None)  # type: ignore[arg-type]
            need.ended_on = final[1]
        for referral, referral_events in made:
            self.rows[Referral].append(referral)
            self.rows[ReferralEvent].extend(referral_events)

    def move(self, need: _Need, referral: dict[str, Any], action: str, on: date,
             rplan: ReferralPlan, live: dict[uuid.UUID, str]) -> dict[str, Any]:
        """One move of the table's executor on a referral row, its need's change (the
        same rule as the forms'), and the event row. Paper differs only as ``Step.paper``
        says: an uptake names no confirming user, and its event says it came from paper."""
        response_days, followup_days = self.providers[referral["provider_id"]]
        code = rplan.values.get("reason_code")
        step = flow.Step(on=on, code=code, actor_id=self.actor_id, now=self.now,
                         response_days=response_days, followup_days=followup_days, paper=True)
        from_status = referral["status"]
        referral.update(flow.effects(action, referral, step))
        live[referral["id"]] = referral["status"]
        change = flow.need_change(
            action, need.status, on=on, identified_on=need.identified_on,
            was_live=from_status in LIVE,
            other_live=any(s in LIVE for rid, s in live.items() if rid != referral["id"]))
        if change is not None:
            self.need_event(need, need.status, change.to_status, change.on, change.reason)
        extra = {"uptake_source": UPTAKE_SOURCE_IMPORT} if action == "confirm_uptake" else {}
        return {"id": uuid.uuid4(), "subject_id": need.subject_id,
                "referral_id": referral["id"], "action": action, "from_status": from_status,
                "to_status": referral["status"], "effective_date": on,
                "recorded_at": self.now, "actor_id": self.actor_id,
                "actor_role": self.actor_role, "reason_code": flow.event_code(action, code),
                "details": _details(self.batch_id, **extra), "note_enc": None}

    # -- the run ------------------------------------------------------------------------------

    def write_rows(self) -> None:
        """Insert the queued rows table by table (parents first) and the audit events."""
        for model in TABLES:
            rows = self.rows[model]
            if rows:
                db.session.execute(insert(table_of(model)), rows)
                self.rows[model] = []
        if self.audits:
            audit.record_many(self.audits, actor=self.actor)
            self.audits = []

    def run(self, progress: Progress | None = None) -> None:
        plans = self.report.cases
        self.reserve_numbers([p for p in plans if p.existing is None])
        for start in range(0, len(plans), CHUNK):
            chunk = plans[start:start + CHUNK]
            for plan in chunk:
                if plan.existing is None:
                    self.write_case(plan)
                else:
                    self.attach_existing(plan)
                for need_plan in plan.needs:
                    self.write_need(plan, need_plan)
                self.write_consents(plan)
                self.write_transfers_and_closure(plan)
            self.write_rows()
            if progress is not None:
                progress(len(chunk))
        for name, value in self.counts.items():
            setattr(self.batch, name, value)


def apply(report: Report, *, actor: User, scope_unit: OrgUnit, file_mac: str, mode: str,
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
                        status="completed", file_mac=file_mac,
                        rows_total=sum(c.total for c in counts),
                        rows_accepted=report.accepted_rows,
                        rows_rejected=sum(c.rejected for c in counts),
                        rows_existing=report.existing_rows,
                        cases_created=0, needs_created=0, referrals_created=0,
                        consents_created=0, transfers_created=0, closures_created=0)
    db.session.add(batch)
    db.session.flush()
    writer = Writer(report, actor, batch)
    writer.run(progress)
    _all_counted(report, writer.counts)
    review.queue_outside_matches(report, batch=batch, actor=actor, scope_unit=scope_unit)
    batch.finished_at = utcnow()
    audit.record("import.applied", target_type="import_batch", target_id=batch.id, actor=actor,
                 details={"mode": mode, "source": source, "unit": scope_unit.id,
                          "cases": batch.cases_created, "needs": batch.needs_created,
                          "referrals": batch.referrals_created,
                          "consents": batch.consents_created,
                          "rejected": batch.rows_rejected})
    db.session.flush()
    return batch


#: Which of the writer's counts holds each sheet's written rows.
CREATED = {"cases": "cases_created", "needs": "needs_created",
           "referrals": "referrals_created", "consents": "consents_created",
           "transfers": "transfers_created", "closures": "closures_created"}


class RowsNotWritten(RuntimeError):
    """A row the dry run accepted was not written (or one it did not was): a defect, never a
    silent drop; the import is rolled back. Carries sheet keys only."""


def _all_counted(report: Report, created: dict[str, int]) -> None:
    """Every row the dry run counted as ready was written, and nothing else."""
    wrong = [sheet for sheet, name in CREATED.items()
             if created.get(name, 0) != report.counts[sheet].accepted]
    if wrong:
        raise RowsNotWritten(", ".join(wrong))


def record_failure(*, actor: User, scope_unit: OrgUnit, file_mac: str, mode: str,
                   source: str, report: Report | None, error: BaseException) -> ImportBatch:
    """After a rollback: note the failed attempt (no rows were written). The caller commits."""
    counts = report.counts.values() if report else []
    batch = ImportBatch(user_id=actor.id, org_unit_id=scope_unit.id, source=source, mode=mode,
                        status="failed", file_mac=file_mac,
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
