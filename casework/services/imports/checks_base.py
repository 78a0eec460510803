"""The dry run's shared state and helpers: problems, dates, reference data, earlier imports.

:class:`CheckerBase` holds what every sheet's checks use: the report being built, the units
and partners by code, the plans made so far (by the workbook's own references), and the
lookups of rows imported earlier. The sheets' checks are mixins over it (``checks_*.py``);
``validate.py`` puts them together in the order the sheets depend on each other.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from casework.authz import case_accepts_entries, case_in_scope, visible_cases
from casework.models.case import Case, CaseCustody, CaseEpisode
from casework.models.org import OrgUnit
from casework.models.provider import ServiceProvider
from casework.models.user import User
from casework.services import effective_dates
from casework.services.effective_dates import today
from casework.services.errors import DomainError
from casework.services.imports import spec
from casework.services.imports.plan import (
    CasePlan,
    ExistingCase,
    NeedPlan,
    Problem,
    Report,
    UnitInfo,
)
from casework.services.imports.reader import Row, WorkbookData
from casework.services.imports.refs import case_external_ref
from casework.services.org_units import subtree_ids

OUT_OF_ORDER = _l("The dates are out of order.")  # a row's dates that must follow each other
EARLIEST_BIRTH = date(1930, 1, 1)
MIN_AGE_AT_INTAKE = 10
CHUNK = 500


class CheckerBase:
    """One dry run by ``actor`` (the importing caseworker or supervisor). ``scope_unit`` bounds
    the new cases' units and, with the actor's own scope (``authz``), the existing cases rows
    may touch. ``session`` is only read, but for the actor's daily count of identity checks
    (``quota.py``)."""

    def __init__(self, session: Session, book: WorkbookData, scope_unit: OrgUnit,
                 actor: User, *, count_identity_checks: bool = True) -> None:
        self.session = session
        self.book = book
        self.scope = scope_unit
        self.actor = actor
        self.count_identity_checks = count_identity_checks
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
        """The forms' date rule (:func:`effective_dates.check_date`), its refusal reported as
        this row's problem. Paper differs explicitly: no backdating reason (every row is late)
        and nothing before 2000. An empty cell passes (``row_ok`` reports required ones)."""
        if on is None:
            return True
        try:
            effective_dates.check_date(on, field=column, not_before=not_before,
                                       not_before_message=before_message,
                                       require_reason=False, from_2000=True)
        except DomainError as refused:
            self.problem(sheet, row, column, refused.message)
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

    def changeable_cases(self) -> Any:
        """THE scoped case query (``authz.visible_cases``: held now, by current custody, in
        the importer's units), narrowed to this import's unit (the command line may name a
        unit below the account's). Every lookup of an existing case goes through it."""
        return visible_cases(self.actor).where(Case.org_unit_id.in_(subtree_ids(self.scope)))

    def _load_existing(self, ids: Iterable[uuid.UUID]) -> list[ExistingCase]:
        """The cases ``ids`` that the importer may change now, as the case pages decide
        (``authz.case_in_scope`` on the current holder, ``authz.case_accepts_entries``), with
        their custody and last closure. The others are left out without a word."""
        wanted = list(dict.fromkeys(ids))
        by_id: dict[uuid.UUID, ExistingCase] = {}
        for start in range(0, len(wanted), CHUNK):
            part = wanted[start:start + CHUNK]
            for case in self.session.scalars(
                    self.changeable_cases().where(Case.id.in_(part))
                    .options(selectinload(Case.org_unit), selectinload(Case.subject))):
                if not (case_in_scope(self.actor, case) and case_accepts_entries(case)):
                    continue
                parts = (case.external_ref or "").split(":", 3)
                if len(parts) == 4 and parts[0] == "imp" and parts[2] == "hs":
                    unit_code, ref = parts[1], parts[3]
                else:  # not imported itself: holds imported needs after a merge
                    unit_code, ref = case.org_unit.code, ""
                by_id[case.id] = ExistingCase(ref, case.id, case.subject_id, unit_code,
                                              case.intake_date, case.status, case.org_unit_id,
                                              case.intake_date)
            ids_part = [i for i in part if i in by_id]
            if not ids_part:
                continue
            for cid, unit_id, from_date, to_date in self.session.execute(
                    select(CaseCustody.case_id, CaseCustody.org_unit_id,
                           CaseCustody.from_date, CaseCustody.to_date)
                    .where(CaseCustody.case_id.in_(ids_part))):
                found = by_id[cid]
                found.custody.add((unit_id, from_date))
                if to_date is None:
                    found.custody_from = from_date
            for cid, closed_on in self.session.execute(
                    select(CaseEpisode.case_id, CaseEpisode.closed_on)
                    .where(CaseEpisode.case_id.in_(ids_part),
                           CaseEpisode.closed_on.is_not(None))):
                found = by_id[cid]
                if closed_on is not None and (found.closed_on is None
                                              or closed_on > found.closed_on):
                    found.closed_on = closed_on
        return list(by_id.values())

    def _existing_cases(self, refs: Iterable[str | None]) -> dict[str, list[ExistingCase]]:
        """Cases imported earlier, with a reference in ``refs``, that the importer may change
        now (any intake unit), by reference.

        Only cases of :meth:`changeable_cases` are read: a case held outside the importer's
        scope is never loaded, so a row naming it gets the answer (and the queries) of a
        reference that does not exist.
        """
        wanted = {r for r in refs if r}
        if not wanted:
            return {}
        ids: list[uuid.UUID] = [
            cast(uuid.UUID, cid) for cid, ext in self.session.execute(
                self.changeable_cases().with_only_columns(Case.id, Case.external_ref)
                .where(Case.external_ref.like("imp:%:hs:%")))
            if str(ext).split(":", 3)[3] in wanted]
        found: dict[str, list[ExistingCase]] = defaultdict(list)
        for case in self._load_existing(ids):
            found[case.ref].append(case)
        return found

    # -- links between sheets -----------------------------------------------------------------

    def _resolve_case(self, sheet: str, row: Row, existing: dict[str, list[ExistingCase]]
                      ) -> CasePlan | None:
        ref: str = row.values.get("case_ref") or ""  # none: answered as an unknown reference
        if ref in self._bad_case_refs:
            self.problem(sheet, row, "case_ref", _l(
                "Its case (row %(row)s of the sheet “%(sheet)s”) has errors.",
                row=self._bad_case_refs[ref], sheet=spec.CASES.title))
            return None
        plan = self.case_plans.get(ref)
        if plan is not None:
            return plan
        matches = [c for c in existing.get(ref, []) if c.unit_code.upper() in self.units]
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
        self.report.cases.append(plan)  # written (and counted) with whatever attaches to it
        return plan

    def _mark_existing(self, sheet: str, model: Any, plans: list[Any], parent: Any,
                       parent_of: Callable[[Any], uuid.UUID | None]) -> list[Any]:
        """Count each plan as imported earlier (then skipped) or ready; return, reported and
        counted as rejected, those whose reference an earlier import used for another case or
        need (``parent`` column; ``parent_of(plan)`` the id it should have, None for a new
        one): the caller detaches them. References are namespaced by the intake unit of a
        case the importer may change, so the lookup needs no further scope."""
        refs = [p.external_ref for p in plans]
        found: dict[str, uuid.UUID] = {}
        for start in range(0, len(refs), CHUNK):
            part = refs[start:start + CHUNK]
            for ext, owner in self.session.execute(
                    select(model.external_ref, parent).where(model.external_ref.in_(part))):
                found[str(ext)] = cast(uuid.UUID, owner)
        clashes = []
        for plan in plans:
            if plan.skip:
                continue  # reached through a later sheet; counted where it was read
            if plan.external_ref not in found:
                self.report.counts[sheet].accepted += 1
            elif found[plan.external_ref] == parent_of(plan):
                self.report.counts[sheet].existing += 1
                plan.skip = True
            else:
                self.problem(sheet, plan.row, None, _l(
                    "This reference was used by an earlier import of this unit for another "
                    "record: give this row a reference of its own."))
                self.mark_rejected(sheet, plan.row)
                clashes.append(plan)
        return clashes

    def _reject_case(self, plan: CasePlan) -> None:
        if plan.rejected:
            return
        plan.rejected = True
        self._bad_case_refs.setdefault(plan.ref, plan.row.number)
        self.case_plans.pop(plan.ref, None)
        self.report.cases.remove(plan)
        self.report.counts[spec.CASES.key].accepted -= 1
        self.mark_rejected(spec.CASES.key, plan.row)

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


