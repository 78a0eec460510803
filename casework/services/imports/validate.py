"""The dry run: every row of the workbook checked against the rules and the database.

:func:`check` reads nothing but the workbook and reference data (units, partners, earlier
imports, blind indexes of existing cases) and writes nothing. It returns a :class:`Report`:
each problem by sheet, row and column with a message in the reader's language (never the
cell's value, so the report itself holds no personal data), counts per sheet, and the plan of
accepted rows that ``apply.py`` writes.

Rows are linked by the references people already use on paper: ``Mã hồ sơ gốc`` (the case),
``Mã nhu cầu gốc`` (the need). Each imported row gets a stable external reference namespaced by
the case's intake unit (``imp:<unit>:hs:<ref>``...), so importing the same workbook twice adds
nothing the second time. A row whose case (or need) is rejected is rejected with it.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from casework.crypto import CryptoError, get_keyring
from casework.crypto.blind_index import full_name, get_index, index_value
from casework.crypto.fields import read_plain
from casework.crypto.models import BlindIndexEntry
from casework.domain import NEED_ENDED_STATUSES
from casework.models.case import Case, CaseCustody, CaseEpisode
from casework.models.consent import Consent
from casework.models.need import Need
from casework.models.org import OrgUnit
from casework.models.provider import ServiceProvider
from casework.models.referral import Referral
from casework.services.errors import DomainError
from casework.services.imports import spec
from casework.services.imports.plan import (
    CasePlan,
    ClosurePlan,
    ConsentPlan,
    ExistingCase,
    ExistingNeed,
    NeedPlan,
    Problem,
    ReferralPlan,
    Report,
    SheetCount,
    TransferPlan,
    UnitInfo,
)
from casework.services.imports.reader import Row, WorkbookData

LOCAL_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
EARLIEST = date(2000, 1, 1)  # no union record in the system predates this
EARLIEST_BIRTH = date(1930, 1, 1)
MIN_AGE_AT_INTAKE = 10
CHUNK = 500
DUPLICATE_INDEXES = ("national_id", "phone", "name_birth_year")


def today() -> date:
    """Today in Vietnam: effective dates are local calendar days."""
    return datetime.now(LOCAL_ZONE).date()


class Checker:
    """One dry run. ``scope_unit`` bounds the cases' units; ``session`` is only read."""

    def __init__(self, session: Session, book: WorkbookData, scope_unit: OrgUnit) -> None:
        self.session = session
        self.book = book
        self.scope = scope_unit
        self.report = Report()
        self.today = today()
        self.units: dict[str, UnitInfo] = {}
        self.providers: dict[str, tuple[int, bool, set[str]]] = {}
        self.case_plans: dict[str, CasePlan] = {}  # by ref (unique in a workbook)
        self.need_plans: dict[str, NeedPlan] = {}
        self._bad_case_refs: dict[str, int] = {}
        self._bad_need_refs: dict[str, int] = {}

    # -- helpers ------------------------------------------------------------------------------

    def problem(self, sheet: str, row: Row | int, column: str | None, message: Any,
                severity: str = "error") -> None:
        number = row.number if isinstance(row, Row) else row
        self.report.problems.append(Problem(sheet, number, column, message, severity))

    def in_scope(self, unit: UnitInfo) -> bool:
        return unit.path.startswith(self.scope.path)

    def row_ok(self, sheet: spec.Sheet, row: Row) -> bool:
        """Cell-level problems and required cells; True when the row can be checked further."""
        ok = True
        for cell in row.problems:
            self.problem(sheet.key, row, cell.column, cell.message, cell.severity)
            ok = ok and cell.severity != "error"
        for col in sheet.columns:
            if col.required and row.values.get(col.key) is None and not any(
                    p.column == col.key for p in row.problems):
                self.problem(sheet.key, row, col.key, _l("This cell is required."))
                ok = False
            elif col.codes and col.codes in spec.CODE_LISTS and row.values.get(col.key) \
                    is not None and row.values[col.key] not in spec.CODE_LISTS[col.codes]:
                self.problem(sheet.key, row, col.key, _l(
                    "Unknown code: use one of the codes on the sheet “%(sheet)s”.",
                    sheet=spec.CODES_SHEET_TITLE))
                ok = False
        return ok

    def check_date(self, sheet: str, row: Row, column: str, on: date | None, *,
                   not_before: date | None = None, before_message: Any = None) -> bool:
        if on is None:
            return True
        if on > self.today:
            self.problem(sheet, row, column, _l("The date cannot be in the future."))
            return False
        if on < EARLIEST:
            self.problem(sheet, row, column, _l("The date is impossible (before 2000)."))
            return False
        if not_before is not None and on < not_before:
            self.problem(sheet, row, column, before_message or _l("The dates are out of order."))
            return False
        return True

    def mark_rejected(self, sheet: str, row: Row) -> None:
        self.report.rejected_rows.setdefault(sheet, []).append(row)
        self.report.counts[sheet].rejected += 1

    # -- reference data -----------------------------------------------------------------------

    def load_reference(self) -> None:
        for uid, code, path, active in self.session.execute(
                select(OrgUnit.id, OrgUnit.code, OrgUnit.path, OrgUnit.active)):
            self.units[code.upper()] = UnitInfo(uid, code, path, active)
        categories: dict[int, set[str]] = defaultdict(set)
        try:
            from casework.models.provider import ProviderCategory  # the referrals area's

            for pid, category in self.session.execute(
                    select(ProviderCategory.provider_id, ProviderCategory.category)):
                categories[pid].add(category)
        except ImportError:  # pragma: no cover - before the provider directory exists
            pass
        for pid, code, active in self.session.execute(
                select(ServiceProvider.id, ServiceProvider.code, ServiceProvider.active)):
            self.providers[code.upper()] = (pid, active, categories[pid])

    def _existing_cases(self, refs: Iterable[str]) -> dict[str, list[ExistingCase]]:
        """Cases imported earlier whose reference is in ``refs`` (any unit), by reference."""
        wanted = {r for r in refs if r}
        if not wanted:
            return {}
        found: dict[str, list[ExistingCase]] = defaultdict(list)
        rows = self.session.execute(
            select(Case.id, Case.subject_id, Case.external_ref, Case.intake_date, Case.status,
                   Case.org_unit_id).where(Case.external_ref.like("imp:%:hs:%")))
        by_id: dict[uuid.UUID, ExistingCase] = {}
        for cid, sid, ext, intake, status, holder in rows:
            _imp, unit_code, _kind, ref = ext.split(":", 3)
            if ref not in wanted:
                continue
            case = ExistingCase(ref, cid, sid, unit_code, intake, status, holder, intake)
            found[ref].append(case)
            by_id[cid] = case
        if by_id:
            ids = list(by_id)
            for start in range(0, len(ids), CHUNK):
                part = ids[start:start + CHUNK]
                for cid, unit_id, from_date, to_date in self.session.execute(
                        select(CaseCustody.case_id, CaseCustody.org_unit_id,
                               CaseCustody.from_date, CaseCustody.to_date)
                        .where(CaseCustody.case_id.in_(part))):
                    case = by_id[cid]
                    case.custody.add((unit_id, from_date))
                    if to_date is None:
                        case.custody_from = from_date
                for cid, closed_on in self.session.execute(
                        select(CaseEpisode.case_id, CaseEpisode.closed_on)
                        .where(CaseEpisode.case_id.in_(part), CaseEpisode.closed_on.is_not(None))):
                    case = by_id[cid]
                    if case.closed_on is None or closed_on > case.closed_on:
                        case.closed_on = closed_on
        return found

    # -- sheets -------------------------------------------------------------------------------

    def run(self) -> Report:
        for sheet in spec.SHEETS:
            self.report.counts[sheet.key] = SheetCount(total=len(self.book.rows(sheet.key)))
            data = self.book.sheets.get(sheet.key)
            if data is None:
                continue
            for header in data.missing_columns:
                self.problem(sheet.key, 1, None, _l(
                    "The column “%(column)s” is missing from this sheet.", column=header))
            for header in data.unknown_headers:
                self.problem(sheet.key, 1, None, _l(
                    "The column “%(column)s” is not part of the template and was ignored.",
                    column=header), "warning")
            if data.missing_columns:
                for row in data.rows:
                    self.mark_rejected(sheet.key, row)
                data.rows = []
        self.load_reference()
        self.check_cases()
        self.check_duplicates()
        self.check_needs()
        self.check_referrals()
        self.check_consents()
        self.check_transfers_and_closures()
        self.finish()
        self.check_referral_consents()
        return self.report

    def _resolve_case(self, sheet: str, row: Row, existing: dict[str, list[ExistingCase]]
                      ) -> CasePlan | None:
        ref = row.values.get("case_ref")
        if ref in self._bad_case_refs:
            self.problem(sheet, row, "case_ref", _l(
                "Its case (row %(row)s of the sheet “%(sheet)s”) has errors.",
                row=self._bad_case_refs[ref], sheet=spec.CASES.title))
            return None
        plan = self.case_plans.get(ref)
        if plan is not None:
            return plan
        matches = [c for c in existing.get(ref, []) if c.unit_code.upper() in self.units
                   and self.in_scope(self.units[c.unit_code.upper()])]
        if len(matches) > 1:
            self.problem(sheet, row, "case_ref", _l(
                "Several cases imported earlier carry this case reference: import through the "
                "account of the unit that holds it."))
            return None
        if not matches:
            self.problem(sheet, row, "case_ref", _l(
                "No case with this reference in the sheet “%(sheet)s” or among earlier imports "
                "in your units.", sheet=spec.CASES.title))
            return None
        found = matches[0]
        unit = self.units[found.unit_code.upper()]
        plan = CasePlan(row=row, ref=ref, unit=unit,
                        external_ref=case_external_ref(unit.code, ref), values={},
                        existing=found)
        self.case_plans[ref] = plan  # later rows of other sheets share it
        return plan

    def check_cases(self) -> None:
        sheet = spec.CASES
        rows = self.book.rows(sheet.key)
        refs_seen: dict[str, int] = {}
        for row in rows:
            ok = self.row_ok(sheet, row)
            v = row.values
            ref = v.get("case_ref")
            if ref is not None:
                if ref in refs_seen:
                    self.problem(sheet.key, row, "case_ref", _l(
                        "This case reference is already used in row %(row)s.",
                        row=refs_seen[ref]))
                    ok = False
                else:
                    refs_seen[ref] = row.number
            unit = self.units.get(v.get("unit") or "")
            if v.get("unit") is not None and (unit is None or not unit.active):
                self.problem(sheet.key, row, "unit", _l(
                    "Unknown unit code: use a code from the sheet “%(sheet)s”.",
                    sheet=spec.CODES_SHEET_TITLE))
                ok = False
            elif unit is not None and not self.in_scope(unit):
                self.problem(sheet.key, row, "unit", _l(
                    "This unit is outside your scope: you may import only cases of your units."))
                ok = False
            intake = v.get("intake_date")
            ok = self.check_date(sheet.key, row, "intake_date", intake) and ok
            born = v.get("date_of_birth")
            if born is not None:
                if born < EARLIEST_BIRTH or born > self.today:
                    self.problem(sheet.key, row, "date_of_birth", _l(
                        "The date of birth is impossible."))
                    ok = False
                elif intake is not None and (intake.year - born.year) < MIN_AGE_AT_INTAKE:
                    self.problem(sheet.key, row, "date_of_birth", _l(
                        "The date of birth is impossible: she would be under %(n)s at intake.",
                        n=MIN_AGE_AT_INTAKE))
                    ok = False
                elif v.get("birth_year") is not None and v["birth_year"] != born.year:
                    self.problem(sheet.key, row, "birth_year", _l(
                        "The year of birth does not match the date of birth."))
                    ok = False
            elif v.get("birth_year") is not None and not (
                    EARLIEST_BIRTH.year <= v["birth_year"] <= self.today.year - MIN_AGE_AT_INTAKE):
                self.problem(sheet.key, row, "birth_year", _l("The year of birth is impossible."))
                ok = False
            if ref is None or unit is None:
                ok = False
            if ok:
                ok = self._form_rules(row)
            if not ok:
                if ref is not None:
                    self._bad_case_refs.setdefault(ref, row.number)
                self.mark_rejected(sheet.key, row)
                continue
            plan = CasePlan(row=row, ref=ref, unit=unit,
                            external_ref=case_external_ref(unit.code, ref), values=dict(v))
            self.case_plans[ref] = plan
        # Cases imported earlier are skipped (and their rows below attach to them).
        existing = self._existing_case_refs()
        for ref, plan in list(self.case_plans.items()):
            if plan.external_ref in existing:
                plan.existing = existing[plan.external_ref]
                self.report.counts[sheet.key].existing += 1
            else:
                self.report.counts[sheet.key].accepted += 1
            self.report.cases.append(plan)
            del ref

    def _form_rules(self, row: Row) -> bool:
        """The case form's own rules (names, phone, CCCD, limits), via its input class."""
        from casework.services.cases import CaseInput

        v = row.values
        data = CaseInput(full_name=v.get("full_name"), group=v["group"],
                         referral_source=v["referral_source"], intake_date=v["intake_date"],
                         **{k: v.get(k) for k in ("other_names", "date_of_birth", "national_id",
                                                  "phone", "address", "family_situation",
                                                  "history")})
        try:
            cleaned = data.clean()
        except DomainError as error:
            column = error.field if error.field in {c.key for c in spec.CASES.columns} else None
            self.problem(spec.CASES.key, row, column, error.message)
            return False
        v.update(cleaned)
        return True

    def _existing_case_refs(self) -> dict[str, ExistingCase]:
        found = self._existing_cases(self.case_plans)
        return {case_external_ref(c.unit_code, ref): c
                for ref, cases in found.items() for c in cases}

    def check_duplicates(self) -> None:
        """Same woman twice: in the workbook, or already in the database (blind indexes)."""
        sheet = spec.CASES.key
        new = [p for p in self.report.cases if p.existing is None]
        seen: dict[tuple[str, str], int] = {}
        for plan in new:
            for name, term in _terms(plan.values).items():
                if name == "name_birth_year":
                    continue
                if (name, term) in seen:
                    self.problem(sheet, plan.row, name, _l(
                        "The same number appears in row %(row)s: is this the same woman?",
                        row=seen[(name, term)]))
                    self._reject_case(plan)
                else:
                    seen[(name, term)] = plan.row.number
        if not new:
            return
        key = get_keyring().active("blind_index")
        index_names = {n: full_name(Case.__tablename__, get_index(Case, n))
                       for n in DUPLICATE_INDEXES}
        wanted: dict[tuple[str, int], list[tuple[CasePlan, str]]] = defaultdict(list)
        for plan in new:
            for name, term in _terms(plan.values).items():
                value = index_value(key, index_names[name], term)
                wanted[(index_names[name], value)].append((plan, name))
        pairs = list(wanted)
        hits: dict[tuple[str, int], set[uuid.UUID]] = defaultdict(set)
        for start in range(0, len(pairs), CHUNK):
            part = pairs[start:start + CHUNK]
            for name, value, row_id in self.session.execute(
                    select(BlindIndexEntry.index_name, BlindIndexEntry.value,
                           BlindIndexEntry.row_id)
                    .where(BlindIndexEntry.key_version == key.version,
                           tuple_(BlindIndexEntry.index_name, BlindIndexEntry.value).in_(part))):
                hits[(name, value)].add(row_id)
        if not hits:
            return
        candidates = {cid for ids in hits.values() for cid in ids}
        cases = {c.id: c for c in self.session.scalars(
            select(Case).where(Case.id.in_(list(candidates))))}
        unit_paths = {u.id: u for u in self.units.values()}
        for pair, ids in hits.items():
            for plan, name in wanted[pair]:
                index = get_index(Case, name)
                term = _terms(plan.values)[name]
                for cid in ids:
                    case = cases.get(cid)
                    if case is None or case.merged_into_id is not None:
                        continue
                    try:
                        stored = index.term_for([read_plain(case, f, notify=False)
                                                 for f in index.fields])
                    except CryptoError:  # an erased woman is no duplicate
                        continue
                    if stored != term:
                        continue  # a truncated-HMAC coincidence, not the same value
                    unit = unit_paths.get(case.org_unit_id)
                    visible = unit is not None and self.in_scope(unit)
                    severity = "error" if name == "national_id" else "warning"
                    what = {"national_id": _l("CCCD number"), "phone": _l("phone number"),
                            "name_birth_year": _l("name and year of birth")}[name]
                    if visible:
                        message = _l("An existing case (%(number)s) has the same %(what)s: "
                                     "is this the same woman?", number=case.case_number,
                                     what=what)
                    else:
                        message = _l("A case held by another unit has the same %(what)s. Ask "
                                     "your supervisor before importing this row.", what=what)
                    column = {"name_birth_year": "full_name"}.get(name, name)
                    self.problem(sheet, plan.row, column, message, severity)
                    if severity == "error":
                        self._reject_case(plan)

    def _reject_case(self, plan: CasePlan) -> None:
        if plan.rejected:
            return
        plan.rejected = True
        self._bad_case_refs.setdefault(plan.ref, plan.row.number)
        self.case_plans.pop(plan.ref, None)
        self.report.cases.remove(plan)
        self.report.counts[spec.CASES.key].accepted -= 1
        self.mark_rejected(spec.CASES.key, plan.row)

    def check_needs(self) -> None:
        sheet = spec.NEEDS
        rows = self.book.rows(sheet.key)
        existing_cases = self._existing_cases(
            r.values.get("case_ref") for r in rows if r.values.get("case_ref")
            not in self.case_plans)
        seen: dict[str, int] = {}
        for row in rows:
            ok = self.row_ok(sheet, row)
            v = row.values
            ref = v.get("need_ref")
            if ref is not None:
                if ref in seen:
                    self.problem(sheet.key, row, "need_ref", _l(
                        "This need reference is already used in row %(row)s.", row=seen[ref]))
                    ok = False
                else:
                    seen[ref] = row.number
            case = self._resolve_case(sheet.key, row, existing_cases) if v.get("case_ref") \
                else None
            ok = ok and case is not None
            if case is not None:
                ok = self.check_date(sheet.key, row, "identified_on", v.get("identified_on"),
                                     not_before=case.intake_date, before_message=_l(
                                         "The need cannot be identified before the case opened.")
                                     ) and ok
                status = v.get("status") or "identified"
                ended = v.get("ended_on")
                if status in NEED_ENDED_STATUSES and ended is None:
                    self.problem(sheet.key, row, "ended_on", _l(
                        "Give the date the need ended."))
                    ok = False
                elif status not in NEED_ENDED_STATUSES and ended is not None:
                    self.problem(sheet.key, row, "ended_on", _l(
                        "An end date goes only with the status “declined by her” or “no longer "
                        "needed”."))
                    ok = False
                elif ended is not None and v.get("identified_on") is not None:
                    ok = self.check_date(sheet.key, row, "ended_on", ended,
                                         not_before=v["identified_on"]) and ok
            if not ok:
                if ref is not None:
                    self._bad_need_refs.setdefault(ref, row.number)
                self.mark_rejected(sheet.key, row)
                continue
            plan = NeedPlan(row=row, case=case,  # type: ignore[arg-type]
                            external_ref=child_external_ref(case.unit.code, "nc", ref),
                            values={**v, "status": v.get("status") or "identified"})
            self.need_plans[ref] = plan
            case.needs.append(plan)  # type: ignore[union-attr]
        self._mark_existing(sheet.key, Need, [p for c in self.report.cases for p in c.needs])

    def _mark_existing(self, sheet: str, model: Any, plans: list[Any]) -> None:
        refs = [p.external_ref for p in plans]
        found: set[str] = set()
        for start in range(0, len(refs), CHUNK):
            part = refs[start:start + CHUNK]
            found.update(self.session.scalars(
                select(model.external_ref).where(model.external_ref.in_(part))))
        for plan in plans:
            if plan.skip:
                continue  # reached through a later sheet; counted where it was read
            if plan.external_ref in found:
                self.report.counts[sheet].existing += 1
                plan.skip = True
            else:
                self.report.counts[sheet].accepted += 1

    def _existing_needs(self, refs: Iterable[str]) -> dict[str, ExistingNeed]:
        wanted = {r for r in refs if r}
        if not wanted:
            return {}
        found: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        for row in self.session.execute(
                select(Need.id, Need.external_ref, Need.category, Need.identified_on,
                       Need.ended_on, Need.status, Case.external_ref)
                .join(Case, Case.id == Need.case_id).where(Need.external_ref.like("imp:%:nc:%"))):
            ref = row[1].split(":", 3)[3]
            if ref in wanted:
                found[ref].append(row)
        case_refs = {r[6].split(":", 3)[3] for rows in found.values() for r in rows}
        cases = {case_external_ref(c.unit_code, c.ref): c
                 for lst in self._existing_cases(case_refs).values() for c in lst}
        result: dict[str, ExistingNeed] = {}
        for ref, rows in found.items():
            usable = []
            for nid, _ext, category, identified, ended, status, case_ext in rows:
                case = cases.get(case_ext)
                if case is None or case.unit_code.upper() not in self.units \
                        or not self.in_scope(self.units[case.unit_code.upper()]):
                    continue
                usable.append(ExistingNeed(nid, case, category, identified, ended, status))
            if len(usable) == 1:
                result[ref] = usable[0]
        return result

    def check_referrals(self) -> None:
        sheet = spec.REFERRALS
        rows = self.book.rows(sheet.key)
        existing_needs = self._existing_needs(
            r.values.get("need_ref") for r in rows if r.values.get("need_ref")
            not in self.need_plans)
        seen: dict[str, int] = {}
        for row in rows:
            ok = self.row_ok(sheet, row)
            v = row.values
            ref = v.get("referral_ref")
            if ref is not None:
                if ref in seen:
                    self.problem(sheet.key, row, "referral_ref", _l(
                        "This referral reference is already used in row %(row)s.",
                        row=seen[ref]))
                    ok = False
                else:
                    seen[ref] = row.number
            need = self._resolve_need(row, existing_needs)
            ok = ok and need is not None
            provider = self.providers.get(v.get("provider") or "")
            if v.get("provider") is not None and (provider is None or not provider[1]):
                self.problem(sheet.key, row, "provider", _l(
                    "Unknown partner code: use a code from the sheet “%(sheet)s”.",
                    sheet=spec.CODES_SHEET_TITLE))
                ok = False
            if need is not None and ok:
                ok = self._check_referral_dates(row, need)
                category = need.values.get("category")
                if ok and provider is not None and provider[2] and category not in provider[2]:
                    self.problem(sheet.key, row, "provider", _l(
                        "This partner does not list the need's service category."), "warning")
            if not ok:
                self.mark_rejected(sheet.key, row)
                continue
            plan = ReferralPlan(row=row, need=need,  # type: ignore[arg-type]
                                external_ref=child_external_ref(need.case.unit.code, "gt", ref),
                                provider_id=provider[0], values=dict(v))  # type: ignore[index]
            need.referrals.append(plan)  # type: ignore[union-attr]
        self._mark_existing(sheet.key, Referral, [
            r for c in self.report.cases for n in c.needs for r in n.referrals])

    def _resolve_need(self, row: Row, existing: dict[str, ExistingNeed]) -> NeedPlan | None:
        ref = row.values.get("need_ref")
        if ref is None:
            return None
        if ref in self._bad_need_refs:
            self.problem(spec.REFERRALS.key, row, "need_ref", _l(
                "Its need (row %(row)s of the sheet “%(sheet)s”) has errors.",
                row=self._bad_need_refs[ref], sheet=spec.NEEDS.title))
            return None
        plan = self.need_plans.get(ref)
        if plan is not None:
            return plan
        found = existing.get(ref)
        if found is None:
            self.problem(spec.REFERRALS.key, row, "need_ref", _l(
                "This referral is for a need that does not exist: add the need to the sheet "
                "“%(sheet)s” first.", sheet=spec.NEEDS.title))
            return None
        case = self.case_plans.get(ref_of(found.case))
        if case is None:
            unit = self.units[found.case.unit_code.upper()]
            case = CasePlan(row=row, ref=ref_of(found.case), unit=unit,
                            external_ref="", values={}, existing=found.case)
        plan = NeedPlan(row=row, case=case, external_ref="", values={
            "category": found.category, "identified_on": found.identified_on,
            "ended_on": found.ended_on, "status": found.status}, existing=found)
        plan.skip = True
        self.need_plans[ref] = plan
        case.needs.append(plan)
        if case not in self.report.cases:
            self.report.cases.append(case)
        return plan

    def _check_referral_dates(self, row: Row, need: NeedPlan) -> bool:
        sheet = spec.REFERRALS.key
        v = row.values
        status = v["status"]
        rules = {
            "sent": ((), ("answered_on", "uptake_on", "ended_on")),
            "accepted": (("answered_on",), ("uptake_on", "ended_on")),
            "declined": (("answered_on",), ("uptake_on", "ended_on")),
            "in_service": (("uptake_on",), ("ended_on",)),
            "completed": (("uptake_on", "ended_on"), ()),
            "not_completed": (("ended_on",), ()),
            "cancelled": (("ended_on",), ("uptake_on",)),
        }
        needed, forbidden = rules[status]
        ok = True
        code = v.get("reason_code")
        codes = spec.CODE_LISTS.get(spec.REASON_LIST_BY_STATUS.get(status, ""), {})
        if code is not None and code not in codes:
            self.problem(sheet, row, "reason_code", _l(
                "Unknown reason or outcome code for this status: see the sheet “%(sheet)s”.",
                sheet=spec.CODES_SHEET_TITLE))
            ok = False
        for column in needed:
            if v.get(column) is None:
                self.problem(sheet, row, column, _l("This status needs this date."))
                ok = False
        for column in forbidden:
            if v.get(column) is not None:
                self.problem(sheet, row, column, _l("This date does not go with this status."))
                ok = False
        if not ok:
            return False
        ok = self.check_date(sheet, row, "referred_on", v["referred_on"],
                             not_before=need.values.get("identified_on"), before_message=_l(
                                 "The referral cannot be made before the need was identified."))
        ended = need.values.get("ended_on")
        if ok and ended is not None and v["referred_on"] > ended:
            self.problem(sheet, row, "referred_on", _l(
                "The referral cannot be made after the need ended."))
            ok = False
        closure = need.case.closure
        closed_on = closure.on if closure else (need.case.existing.closed_on
                                                 if need.case.existing else None)
        if ok and closed_on is not None and v["referred_on"] > closed_on:
            self.problem(sheet, row, "referred_on", _l(
                "The referral cannot be made after the case was closed."))
            ok = False
        previous = v["referred_on"]
        for column in ("answered_on", "uptake_on", "ended_on"):
            if v.get(column) is None:
                continue
            if not self.check_date(sheet, row, column, v[column], not_before=previous):
                return False
            previous = v[column]
        return ok

    def check_consents(self) -> None:
        sheet = spec.CONSENTS
        rows = self.book.rows(sheet.key)
        existing_cases = self._existing_cases(
            r.values.get("case_ref") for r in rows if r.values.get("case_ref")
            not in self.case_plans)
        seen: dict[str, int] = {}
        for row in rows:
            ok = self.row_ok(sheet, row)
            v = row.values
            case = self._resolve_case(sheet.key, row, existing_cases) if v.get("case_ref") \
                else None
            ok = ok and case is not None
            if v.get("purpose") == "share" and v.get("category") is None:
                self.problem(sheet.key, row, "category", _l(
                    "Sharing with partners needs the service category."))
                ok = False
            elif v.get("purpose") not in (None, "share") and v.get("category") is not None:
                self.problem(sheet.key, row, "category", _l(
                    "A service category goes only with the purpose “share”."))
                ok = False
            given = v.get("given_on")
            ok = self.check_date(sheet.key, row, "given_on", given) and ok
            for column in ("expires_on", "withdrawn_on"):
                if v.get(column) is not None and given is not None and v[column] < given:
                    self.problem(sheet.key, row, column, _l(
                        "This date cannot be before the consent was given."))
                    ok = False
            if v.get("withdrawn_on") is not None:
                ok = self.check_date(sheet.key, row, "withdrawn_on", v["withdrawn_on"]) and ok
            if not ok or case is None:
                self.mark_rejected(sheet.key, row)
                continue
            ext = consent_external_ref(case.unit.code, case.ref, v)
            if ext in seen:
                self.problem(sheet.key, row, None, _l(
                    "The same consent is already in row %(row)s.", row=seen[ext]))
                self.mark_rejected(sheet.key, row)
                continue
            seen[ext] = row.number
            case.consents.append(ConsentPlan(row=row, case=case, external_ref=ext, values=dict(v)))
            if case not in self.report.cases:
                self.report.cases.append(case)
        self._mark_existing(sheet.key, Consent,
                            [p for c in self.report.cases for p in c.consents])

    def check_transfers_and_closures(self) -> None:
        t_rows = self.book.rows(spec.TRANSFERS.key)
        c_rows = self.book.rows(spec.CLOSURES.key)
        existing_cases = self._existing_cases(
            r.values.get("case_ref") for r in [*t_rows, *c_rows]
            if r.values.get("case_ref") not in self.case_plans)
        counts = self.report.counts
        for row in c_rows:
            ok = self.row_ok(spec.CLOSURES, row)
            v = row.values
            case = self._resolve_case(spec.CLOSURES.key, row, existing_cases) \
                if v.get("case_ref") else None
            if ok and case is not None:
                if case.closure is not None:
                    self.problem(spec.CLOSURES.key, row, "case_ref", _l(
                        "This case is already closed in row %(row)s.",
                        row=case.closure.row.number))
                    ok = False
                else:
                    ok = self.check_date(spec.CLOSURES.key, row, "closed_on", v["closed_on"],
                                         not_before=case.intake_date, before_message=_l(
                                             "A case cannot be closed before it opened."))
            if not ok or case is None:
                self.mark_rejected(spec.CLOSURES.key, row)
                continue
            existing = case.existing
            if existing is not None and existing.status == "closed":
                if existing.closed_on == v["closed_on"]:
                    counts[spec.CLOSURES.key].existing += 1
                else:
                    self.problem(spec.CLOSURES.key, row, "closed_on", _l(
                        "This case is already closed on another date."))
                    self.mark_rejected(spec.CLOSURES.key, row)
                continue
            case.closure = ClosurePlan(row=row, case=case, on=v["closed_on"], reason=v["reason"])
            counts[spec.CLOSURES.key].accepted += 1
            if case not in self.report.cases:
                self.report.cases.append(case)
        by_case: dict[str, list[Row]] = defaultdict(list)
        for row in t_rows:
            by_case[str(row.values.get("case_ref"))].append(row)
        for row in t_rows:
            ok = self.row_ok(spec.TRANSFERS, row)
            v = row.values
            case = self._resolve_case(spec.TRANSFERS.key, row, existing_cases) \
                if v.get("case_ref") else None
            unit = self.units.get(v.get("to_unit") or "")
            if v.get("to_unit") is not None and (unit is None or not unit.active):
                self.problem(spec.TRANSFERS.key, row, "to_unit", _l(
                    "Unknown unit code: use a code from the sheet “%(sheet)s”.",
                    sheet=spec.CODES_SHEET_TITLE))
                ok = False
            if ok and case is not None and unit is not None:
                ok = self._check_transfer(row, case, unit)
            if not ok or case is None or unit is None:
                self.mark_rejected(spec.TRANSFERS.key, row)
                continue
            if case.existing is not None and (unit.id, v["transferred_on"]) in \
                    case.existing.custody:
                counts[spec.TRANSFERS.key].existing += 1
                continue
            case.transfers.append(TransferPlan(row=row, case=case, to_unit=unit,
                                               on=v["transferred_on"]))
            case.transfers.sort(key=lambda t: t.on)
            counts[spec.TRANSFERS.key].accepted += 1
            if case not in self.report.cases:
                self.report.cases.append(case)

    def _check_transfer(self, row: Row, case: CasePlan, unit: UnitInfo) -> bool:
        sheet = spec.TRANSFERS.key
        on = row.values["transferred_on"]
        start = case.existing.custody_from if case.existing else case.intake_date
        if case.existing is not None and (unit.id, on) in case.existing.custody:
            return True
        if not self.check_date(sheet, row, "transferred_on", on, not_before=start,
                               before_message=_l("The transfer cannot be before the case opened "
                                                 "or before its last transfer.")):
            return False
        if any(t.on == on for t in case.transfers):
            self.problem(sheet, row, "transferred_on", _l(
                "Two transfers of this case on the same day."))
            return False
        closed_on = case.closure.on if case.closure else (
            case.existing.closed_on if case.existing and case.existing.status == "closed"
            else None)
        if closed_on is not None and on >= closed_on:
            self.problem(sheet, row, "transferred_on", _l(
                "The transfer must be before the case was closed."))
            return False
        return True

    def finish(self) -> None:
        """Needs identified after a closure are out of order; drop empty plans."""
        for case in list(self.report.cases):
            if case.closure is not None:
                for need in list(case.needs):
                    identified = need.values.get("identified_on")
                    if not need.skip and identified and \
                            identified > case.closure.on:
                        self.problem(spec.NEEDS.key, need.row, "identified_on", _l(
                            "The need cannot be identified after the case was closed."))
                        self._reject_need(need)

    def check_referral_consents(self) -> None:
        """Warn (never block) when no "share" consent for the referral's service category was
        valid on the day it was made: neither in the workbook nor recorded earlier. Paper
        files often lack the form; the caseworker should find it or note why."""
        existing_ids = [c.existing.id for c in self.report.cases if c.existing is not None]
        recorded: dict[uuid.UUID, list[tuple[str | None, date, date | None, date | None]]] = \
            defaultdict(list)
        for start in range(0, len(existing_ids), CHUNK):
            for cid, category, given, expires, withdrawn in self.session.execute(
                    select(Consent.case_id, Consent.service_category, Consent.given_on,
                           Consent.expires_on, Consent.withdrawn_on)
                    .where(Consent.case_id.in_(existing_ids[start:start + CHUNK]),
                           Consent.purpose == "share")):
                recorded[cid].append((category, given, expires, withdrawn))
        for case in self.report.cases:
            consents = list(recorded.get(case.existing.id, [])) if case.existing else []
            consents.extend((p.values.get("category"), p.values["given_on"],
                             p.values.get("expires_on"), p.values.get("withdrawn_on"))
                            for p in case.consents if p.values.get("purpose") == "share")
            for need in case.needs:
                category = need.values.get("category")
                for referral in need.referrals:
                    if referral.skip:
                        continue
                    on = referral.values["referred_on"]
                    if not any(c == category and given <= on
                               and (expires is None or expires >= on)
                               and (withdrawn is None or withdrawn > on)
                               for c, given, expires, withdrawn in consents):
                        self.problem(spec.REFERRALS.key, referral.row, "referred_on", _l(
                            "No consent to share her details for this service was valid on "
                            "the referral date (sheet “%(sheet)s”). The referral will be "
                            "imported; check the paper consent form.",
                            sheet=spec.CONSENTS.title), "warning")

    def _reject_need(self, need: NeedPlan) -> None:
        need.case.needs.remove(need)
        self.report.counts[spec.NEEDS.key].accepted -= 1
        self.mark_rejected(spec.NEEDS.key, need.row)
        for referral in need.referrals:
            self.problem(spec.REFERRALS.key, referral.row, "need_ref", _l(
                "Its need (row %(row)s of the sheet “%(sheet)s”) has errors.",
                row=need.row.number, sheet=spec.NEEDS.title))
            if not referral.skip:
                self.report.counts[spec.REFERRALS.key].accepted -= 1
            self.mark_rejected(spec.REFERRALS.key, referral.row)


def ref_of(case: ExistingCase) -> str:
    return case.ref


def case_external_ref(unit_code: str, ref: str) -> str:
    return f"imp:{unit_code.upper()}:hs:{ref}"


def child_external_ref(unit_code: str, kind: str, ref: str) -> str:
    return f"imp:{unit_code.upper()}:{kind}:{ref}"


def consent_external_ref(unit_code: str, case_ref: str, v: dict[str, Any]) -> str:
    given = v.get("given_on")
    key = "|".join([case_ref, v.get("purpose") or "", v.get("category") or "",
                    given.isoformat() if given else ""])
    return f"imp:{unit_code.upper()}:dy:{hashlib.sha256(key.encode()).hexdigest()[:32]}"


def _terms(values: dict[str, Any]) -> dict[str, str]:
    """Blind-index terms of a case row (the normalisation the index itself applies)."""
    terms = {}
    for name in DUPLICATE_INDEXES:
        index = get_index(Case, name)
        term = index.term_for([values.get(f) for f in index.fields])
        if term is not None:
            terms[name] = term
    return terms


def check(session: Session, book: WorkbookData, scope_unit: OrgUnit) -> Report:
    """The dry run: a report of every problem and the plan of accepted rows; writes nothing."""
    return Checker(session, book, scope_unit).run()
