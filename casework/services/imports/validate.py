"""The dry run: every row of the workbook checked against the rules and the database.

:func:`check` reads nothing but the workbook and reference data (units, partners, earlier
imports, blind indexes of existing cases) and writes nothing. It returns a :class:`Report`:
each problem by sheet, row and column with a message in the reader's language (never the
cell's value, so the report itself holds no personal data), counts per sheet, and the plan of
accepted rows that ``apply.py`` writes.

Rows are linked by the references people already use on paper: ``Mã hồ sơ gốc`` (the case),
``Mã nhu cầu gốc`` (the need). Each imported row gets a stable external reference namespaced by
the case's intake unit (``imp:<unit>:hs:<ref>``..., ``refs.py``), so importing the same
workbook twice adds nothing the second time. A row whose case (or need) is rejected is
rejected with it.

The checks live by sheet: ``checks_base.py`` (shared state, dates, reference data, earlier
imports), ``checks_cases.py``, ``checks_duplicates.py`` (the same woman already on file; what
the importer may learn about cases outside their scope), ``checks_needs.py`` (needs and
referrals), ``checks_history.py`` (consents, transfers, closures).

Every row that touches a case imported earlier (a case row, need, referral, consent,
transfer or closure) reaches it only through THE scoped case query of ``authz``, against the
case's current holder (``CheckerBase.changeable_cases``): a case held outside the importer's
scope, merged or erased answers like a reference that does not exist. Every row ends up
counted once, as ready, with errors or imported earlier (``SheetCount``).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from casework.models.org import OrgUnit
from casework.models.user import User
from casework.services.imports import spec
from casework.services.imports.checks_cases import CaseChecks
from casework.services.imports.checks_duplicates import DuplicateChecks
from casework.services.imports.checks_history import CaseHistoryChecks
from casework.services.imports.checks_needs import NeedChecks
from casework.services.imports.plan import Report, SheetCount
from casework.services.imports.quota import IdentityChecksExhausted
from casework.services.imports.reader import WorkbookData

__all__ = ["Checker", "IdentityChecksExhausted", "Report", "check", "spec"]


class Checker(CaseChecks, DuplicateChecks, NeedChecks, CaseHistoryChecks):
    """One dry run: the sheets' checks in the order they depend on each other."""

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



def check(session: Session, book: WorkbookData, scope_unit: OrgUnit, actor: User, *,
          count_identity_checks: bool = True) -> Report:
    """The dry run by ``actor`` for ``scope_unit``: a report of every problem and the plan of
    accepted rows; writes nothing but the actor's count of identity checks (unless
    ``count_identity_checks`` is false: the re-check of a file already checked).

    Raises :class:`IdentityChecksExhausted` (a ``reader.FileRefused``) when the file would pass
    the actor's daily cap of identity checks (``quota.py``).
    """
    return Checker(session, book, scope_unit, actor,
                   count_identity_checks=count_identity_checks).run()
