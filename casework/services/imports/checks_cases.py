"""Checks of the sheet "Hồ sơ" (cases): references, units in scope, dates, the case form's
own rules, and cases imported earlier."""

from __future__ import annotations

import uuid
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from casework.models.case import Case
from casework.services.cases import CaseInput
from casework.services.errors import DomainError
from casework.services.imports import spec
from casework.services.imports.checks_base import (
    CHUNK,
    EARLIEST_BIRTH,
    MIN_AGE_AT_INTAKE,
    CheckerBase,
)
from casework.services.imports.plan import CasePlan, ExistingCase
from casework.services.imports.reader import Row
from casework.services.imports.refs import case_external_ref


class CaseChecks(CheckerBase):
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
            if not ok or ref is None or unit is None:
                if ref is not None:
                    self._bad_case_refs.setdefault(ref, row.number)
                self.mark_rejected(sheet.key, row)
                continue
            plan = CasePlan(row=row, ref=ref, unit=unit,
                            external_ref=case_external_ref(unit.code, ref), values=dict(v))
            self.case_plans[ref] = plan
        # Cases imported earlier are skipped (and their rows below attach to them), if the
        # importer may still change them: held in her scope now, neither merged nor erased.
        imported, changeable = self._existing_case_refs()
        for ref, plan in list(self.case_plans.items()):
            if plan.external_ref in changeable:
                plan.existing = changeable[plan.external_ref]
                self.report.counts[sheet.key].existing += 1
            elif plan.external_ref in imported:
                # Her own unit's earlier import (the reference is namespaced by the unit she
                # names), so saying so reveals no woman; the case is not touched.
                self.problem(sheet.key, plan.row, "case_ref", _l(
                    "A case with this reference was imported earlier into this unit, but you "
                    "can no longer change it (it is held by a unit outside yours, merged or "
                    "erased). Remove its rows from this file."))
                self._bad_case_refs.setdefault(ref, plan.row.number)
                del self.case_plans[ref]
                self.mark_rejected(sheet.key, plan.row)
                continue
            else:
                self.report.counts[sheet.key].accepted += 1
            self.report.cases.append(plan)

    def _form_rules(self, row: Row) -> bool:
        """The case form's own rules (names, phone, CCCD, limits), via its input class."""
        v = row.values
        optional: dict[str, Any] = {k: v.get(k) for k in (
            "other_names", "date_of_birth", "national_id", "phone", "address",
            "family_situation", "history")}
        data = CaseInput(full_name=v.get("full_name"), group=v["group"],
                         referral_source=v["referral_source"], intake_date=v["intake_date"],
                         **optional)
        try:
            cleaned = data.clean()
        except DomainError as refused:
            columns = {c.key for c in spec.CASES.columns}
            for error in refused.errors:  # every bad value of the row at once
                column = error.field if error.field in columns else None
                self.problem(spec.CASES.key, row, column, error.message)
            return False
        v.update(cleaned)
        return True

    def _existing_case_refs(self) -> tuple[set[str], dict[str, ExistingCase]]:
        """The external references of this sheet's cases already imported (in any holder's
        hands), and those of them the importer may change now (:meth:`_load_existing`).

        The first lookup is not scoped (a reference is unique): it is namespaced by the unit
        the row names, which lies in the importer's scope, so it tells her at most about her
        own unit's earlier imports, never whether a woman is on file.
        """
        refs = [p.external_ref for p in self.case_plans.values()]
        ids: dict[uuid.UUID, str] = {}
        for start in range(0, len(refs), CHUNK):
            for cid, ext in self.session.execute(
                    select(Case.id, Case.external_ref)
                    .where(Case.external_ref.in_(refs[start:start + CHUNK]))):
                if ext is not None:
                    ids[cid] = ext
        changeable = {ids[c.id]: c for c in self._load_existing(ids)}
        return set(ids.values()), changeable
