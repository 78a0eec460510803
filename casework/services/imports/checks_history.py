"""Checks of the sheets "Sự đồng ý" (consents), "Chuyển hồ sơ" (transfers) and "Đóng hồ sơ"
(closures): each attached to its case, dates in order with the case's history."""

from __future__ import annotations

from collections import defaultdict

from flask_babel import lazy_gettext as _l

from casework.models.consent import Consent
from casework.services.effective_dates import BEFORE_INTAKE, BEFORE_OPENED, WITHDRAWN_BEFORE_GIVEN
from casework.services.imports import spec
from casework.services.imports.checks_base import CheckerBase
from casework.services.imports.plan import (
    CasePlan,
    ClosurePlan,
    ConsentPlan,
    TransferPlan,
    UnitInfo,
)
from casework.services.imports.reader import Row
from casework.services.imports.refs import consent_external_ref


class CaseHistoryChecks(CheckerBase):
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
            ok = self.check_date(sheet.key, row, "given_on", given,
                                 not_before=case.intake_date if case else None,
                                 before_message=BEFORE_INTAKE) and ok
            if v.get("expires_on") is not None and given is not None and v["expires_on"] < given:
                self.problem(sheet.key, row, "expires_on", _l(
                    "This date cannot be before the consent was given."))
                ok = False
            ok = self.check_date(sheet.key, row, "withdrawn_on", v.get("withdrawn_on"),
                                 not_before=given, before_message=WITHDRAWN_BEFORE_GIVEN) and ok
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
        for clash in self._mark_existing(
                sheet.key, Consent, [p for c in self.report.cases for p in c.consents],
                Consent.case_id, lambda plan: plan.case.existing.id if plan.case.existing
                else None):
            clash.case.consents.remove(clash)

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
                                         not_before=case.intake_date,
                                         before_message=BEFORE_OPENED)
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

