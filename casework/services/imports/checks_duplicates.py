"""Duplicate checks of new cases: the same woman twice in the workbook, or already on file.

Existing cases are found through the blind indexes (``crypto.blind_index.find_many``) across
the whole province: a woman already followed by another unit must not get a second case. A
dry run would otherwise answer "is this woman on file anywhere?" for every row of an upload,
so what the importer learns about cases outside their scope is bounded:

* a match inside the importer's scope names the case (they can open it anyway) and the kind
  of match; a CCCD match rejects the row, a phone or name-and-year match only warns;
* a match outside the scope says only that the row needs a supervisor's review before import:
  not the kind of match, not the unit, not the case, not even the column. Such a row is
  never imported;
* more than :func:`max_outside_matches` such rows refuse the whole file
  (:class:`TooManyOutsideMatches`), so one upload cannot probe thousands of women (the check
  page is also rate-limited per user);
* every matched case's id is kept in ``report.matched_cases`` for the audit trail
  (``services/imports/auditing.py``): supervisors can see whose existence a check revealed.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

from casework.crypto.blind_index import find_many, get_index
from casework.models.case import Case
from casework.services.imports import spec
from casework.services.imports.checks_base import CheckerBase
from casework.services.imports.plan import CasePlan
from casework.services.imports.reader import FileRefused

DUPLICATE_INDEXES = ("national_id", "phone", "name_birth_year")
DEFAULT_MAX_OUTSIDE_MATCHES = 50
KIND = {"national_id": _l("CCCD number"), "phone": _l("phone number"),
        "name_birth_year": _l("name and year of birth")}


def max_outside_matches() -> int:
    """Rows matching cases outside the importer's scope that one upload may have
    (``CASEWORK_IMPORT_MAX_OUTSIDE_MATCHES``, default 50); more refuse the file."""
    if has_app_context():
        return int(current_app.config.get("CASEWORK_IMPORT_MAX_OUTSIDE_MATCHES",
                                          DEFAULT_MAX_OUTSIDE_MATCHES))
    return DEFAULT_MAX_OUTSIDE_MATCHES


class TooManyOutsideMatches(FileRefused):
    """Too many rows match cases outside the scope: the file is refused. ``matched_cases``
    (case id → outside the scope) is still audited."""

    def __init__(self, limit: int, matched_cases: dict[uuid.UUID, bool]) -> None:
        super().__init__(_l(
            "Too many rows of this file (more than %(n)s) need a supervisor's review before "
            "import. Split the file into smaller files, or ask your supervisor to import it.",
            n=limit))
        self.matched_cases = matched_cases


def _terms(values: dict[str, Any]) -> dict[str, str]:
    """Blind-index terms of a case row (the normalisation the index itself applies)."""
    terms = {}
    for name in DUPLICATE_INDEXES:
        index = get_index(Case, name)
        term = index.term_for([values.get(f) for f in index.fields])
        if term is not None:
            terms[name] = term
    return terms


class DuplicateChecks(CheckerBase):

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
        searches = {plan: plan.values for plan in new}
        found = {name: find_many(self.session, Case, name, searches)
                 for name in DUPLICATE_INDEXES}
        units_by_id = {u.id: u for u in self.units.values()}
        outside_rows: list[CasePlan] = []
        for plan in new:
            outside = False
            for name in DUPLICATE_INDEXES:
                for case in found[name].get(plan, ()):
                    if case.merged_into_id is not None:
                        continue
                    unit = units_by_id.get(case.org_unit_id)
                    visible = unit is not None and self.in_scope(unit)
                    self.report.matched_cases[case.id] = not visible
                    if not visible:
                        outside = True
                        continue
                    self._inside_match(plan, name, case)
            if outside:
                outside_rows.append(plan)
                self.problem(sheet, plan.row, None, _l(
                    "This row needs a supervisor's review before import; it will not be "
                    "imported from this file."))
                self._reject_case(plan)
        limit = max_outside_matches()
        if len(outside_rows) > limit:
            raise TooManyOutsideMatches(limit, dict(self.report.matched_cases))

    def _inside_match(self, plan: CasePlan, name: str, case: Case) -> None:
        """A case the importer may open: name it, and the kind of match."""
        severity = "error" if name == "national_id" else "warning"
        column = {"name_birth_year": "full_name"}.get(name, name)
        self.problem(spec.CASES.key, plan.row, column, _l(
            "An existing case (%(number)s) has the same %(what)s: is this the same woman?",
            number=case.case_number, what=KIND[name]), severity)
        if severity == "error":
            self._reject_case(plan)
