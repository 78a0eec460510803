"""Duplicate checks of new cases: the same woman twice in the workbook, or already on file.

A dry run must not tell the uploader whether a woman is on file outside her scope (a
trafficker with a union account could otherwise probe thousands of names, phones and CCCD
numbers per file). So:

* the dry run looks only among the cases the importer may change (``changeable_cases``, THE
  scoped case query): a match there names the case and the kind of match (she can open it
  anyway); a CCCD match rejects the row, a phone or name-and-year match only warns;
* a woman on file only outside the scope is not looked for at all in the dry run: the row is
  answered exactly like a woman who is not on file (same message, same counts), with the same
  queries (the scope is a condition of the index lookup itself, ``find_many(within=...)``);
* after the import, :mod:`casework.services.imports.review` looks the imported cases up
  across the province and queues the matches outside the scope for a supervisor who holds the
  matched case; nothing of it goes back to the uploader;
* the identifying values one user may have checked per day are capped
  (:mod:`casework.services.imports.quota`, ``CASEWORK_IMPORT_IDENTITY_CHECKS_PER_DAY``).

What remains measurable by the uploader: the index lookup finds and then discards entries of
cases outside her scope inside one SQL statement (microseconds per entry, far below the noise
of reading a workbook); a blind-index value of her own scope that collides (truncated index)
costs a decryption either way. The import step's time includes the province-wide lookup and
the queueing, a few queries per match against the write of thousands of rows.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from casework.crypto.blind_index import find_many, get_index
from casework.models.case import Case
from casework.services.imports import quota, spec
from casework.services.imports.checks_base import CheckerBase
from casework.services.imports.plan import CasePlan

DUPLICATE_INDEXES = ("national_id", "phone", "name_birth_year")
KIND = {"national_id": _l("CCCD number"), "phone": _l("phone number"),
        "name_birth_year": _l("name and year of birth")}


def terms(values: dict[str, Any]) -> dict[str, str]:
    """Blind-index terms of a case row (the normalisation the index itself applies)."""
    found = {}
    for name in DUPLICATE_INDEXES:
        index = get_index(Case, name)
        term = index.term_for([values.get(f) for f in index.fields])
        if term is not None:
            found[name] = term
    return found


class DuplicateChecks(CheckerBase):

    def check_duplicates(self) -> None:
        """Same woman twice: in the workbook, or already in the importer's scope."""
        sheet = spec.CASES.key
        new = [p for p in self.report.cases if p.existing is None]
        seen: dict[tuple[str, str], int] = {}
        looked_up = 0
        for plan in new:
            for name, term in terms(plan.values).items():
                looked_up += 1
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
        if self.count_identity_checks:
            quota.consume(self.session, self.actor, looked_up)
        searches = {plan: plan.values for plan in new}
        within = self.changeable_cases()
        found = {name: find_many(self.session, Case, name, searches, within=within)
                 for name in DUPLICATE_INDEXES}
        for plan in new:
            for name in DUPLICATE_INDEXES:
                for case in found[name].get(plan, ()):
                    self.report.matched_cases[case.id] = False
                    self._inside_match(plan, name, case)

    def _inside_match(self, plan: CasePlan, name: str, case: Case) -> None:
        """A case the importer may open: name it, and the kind of match."""
        severity = "error" if name == "national_id" else "warning"
        column = {"name_birth_year": "full_name"}.get(name, name)
        self.problem(spec.CASES.key, plan.row, column, _l(
            "An existing case (%(number)s) has the same %(what)s: is this the same woman?",
            number=case.case_number, what=KIND[name]), severity)
        if severity == "error":
            self._reject_case(plan)
