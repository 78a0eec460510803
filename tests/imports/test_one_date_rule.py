"""The import judges a date with the forms' rule (``effective_dates.check_date``).

Same refusals, same words: a row's date problem is exactly what the form would say for that
date with the same earlier date. What paper does differently is explicit: no backdating reason
(every paper row is late) and nothing before 2000 (a typo in a paper date).
"""

from __future__ import annotations

from datetime import date

import pytest
from flask_babel import force_locale

from casework.services import effective_dates
from casework.services.errors import DomainError
from tests.imports.conftest import case_row, need_row, workbook_bytes

INTAKE = date(2021, 3, 15)


def _problems(report):
    with force_locale("en"):
        return {(p.sheet, p.column): str(p.message) for p in report.errors}


def _forms_say(on, **rule):
    with pytest.raises(DomainError) as refused, force_locale("en"):
        effective_dates.check_date(on, field="x", **rule)
    with force_locale("en"):
        return str(refused.value.message)


def test_a_consent_before_intake_is_refused_as_the_consent_form_refuses_it(dry_run, provider):
    report = dry_run(workbook_bytes({"cases": [case_row()], "consents": [
        {"case_ref": "HS-1", "purpose": "keep_record", "given_on": "01/03/2021"}]}))
    assert _problems(report)[("consents", "given_on")] == _forms_say(
        date(2021, 3, 1), not_before=INTAKE, not_before_message=effective_dates.BEFORE_INTAKE)


def test_a_withdrawal_before_the_consent_has_the_forms_words(dry_run, provider):
    report = dry_run(workbook_bytes({"cases": [case_row()], "consents": [
        {"case_ref": "HS-1", "purpose": "keep_record", "given_on": "20/03/2021",
         "withdrawn_on": "18/03/2021"}]}))
    assert _problems(report)[("consents", "withdrawn_on")] == _forms_say(
        date(2021, 3, 18), not_before=date(2021, 3, 20),
        not_before_message=effective_dates.WITHDRAWN_BEFORE_GIVEN)


def test_a_need_before_intake_has_the_forms_words(dry_run, provider):
    report = dry_run(workbook_bytes({"cases": [case_row()],
                                     "needs": [need_row(identified_on="01/01/2021")]}))
    assert _problems(report)[("needs", "identified_on")] == _forms_say(
        date(2021, 1, 1), not_before=INTAKE, not_before_message=effective_dates.BEFORE_INTAKE)


def test_before_2000_is_an_explicit_paper_rule_of_the_one_check(dry_run, provider):
    report = dry_run(workbook_bytes({"cases": [case_row(intake_date="15/03/1999")]}))
    assert _problems(report)[("cases", "intake_date")] == _forms_say(
        date(1999, 3, 15), require_reason=False, from_2000=True)
    # The forms do not ask for it: a 1999 date with a reason passes there.
    assert effective_dates.check_date(date(1999, 3, 15), field="x",
                                      backdate_reason="Hồ sơ giấy cũ") == "Hồ sơ giấy cũ"


def test_paper_rows_need_no_backdating_reason_where_a_form_would(dry_run, provider):
    assert _forms_say(INTAKE).startswith("This date is more than")
    assert dry_run(workbook_bytes({"cases": [case_row()], "needs": [need_row()]})).clean
