"""Each target-6 rule of DOMAIN.md on its own (pure functions: no database)."""

from __future__ import annotations

from datetime import date

import pytest

from casework.tipoffs.deadlines import Rules, add_working_days, deadline
from casework.tipoffs.indicator import Target6Figures, classify_item

RULES = Rules(holidays=frozenset({date(2025, 9, 1), date(2025, 9, 2)}))
H2 = {"start": date(2025, 7, 1), "end": date(2025, 12, 31)}


def test_working_days_skip_weekends_and_holidays():
    assert add_working_days(date(2025, 8, 26), 1, RULES.holidays) == date(2025, 8, 27)  # Tue->Wed
    assert add_working_days(date(2025, 8, 22), 1, RULES.holidays) == date(2025, 8, 25)  # Fri->Mon
    assert add_working_days(date(2025, 8, 29), 1, RULES.holidays) == date(2025, 9, 3)  # holidays
    assert add_working_days(date(2025, 8, 30), 1, RULES.holidays) == date(2025, 9, 3)  # a Saturday
    assert add_working_days(date(2025, 8, 29), 2, RULES.holidays) == date(2025, 9, 4)


def test_crime_tipoff_deadline_is_in_working_days():
    assert deadline(date(2025, 8, 29), "crime", date(2025, 8, 29), RULES) == date(2025, 9, 3)


def test_complaint_deadline_is_in_calendar_days():
    assert deadline(date(2025, 8, 29), "union_complaint", date(2025, 9, 1), RULES) == date(
        2025, 9, 28)
    assert deadline(date(2025, 8, 29), "other_authority", date(2025, 9, 1), RULES) == date(
        2025, 9, 28)


@pytest.mark.parametrize("cls", ["no_content", "outside_subject", "duplicate"])
def test_filed_items_are_due_within_the_classification_deadline(cls):
    assert deadline(date(2025, 8, 29), cls, date(2025, 8, 30), RULES) == date(2025, 9, 8)


def test_an_item_not_classified_or_classified_late_has_the_classification_deadline():
    assert deadline(date(2025, 8, 1), None, None, RULES) == date(2025, 8, 11)
    assert deadline(date(2025, 8, 1), "union_complaint", date(2025, 8, 12), RULES) == date(
        2025, 8, 11)


def test_province_settings_change_the_deadlines():
    rules = Rules(crime_working_days=3, classify_days=5, settle_days=15)
    assert deadline(date(2025, 8, 1), "crime", date(2025, 8, 1), rules) == date(2025, 8, 6)
    assert deadline(date(2025, 8, 1), "no_content", date(2025, 8, 1), rules) == date(2025, 8, 6)
    assert deadline(date(2025, 8, 1), "union_complaint", date(2025, 8, 1), rules) == date(
        2025, 8, 16)


def _state(received, cls, cls_on, handled, known=date(2026, 3, 1), **period):
    return classify_item(received, cls, cls_on, handled, known=known, rule_set=RULES,
                         **(period or H2))


def test_decision_day_is_the_handling_day_when_in_time():
    assert _state(date(2025, 8, 1), "union_complaint", date(2025, 8, 2),
                  date(2025, 8, 20))[:2] == ("in_time", date(2025, 8, 20))


def test_a_deadline_day_handling_is_in_time():
    assert _state(date(2025, 8, 1), "union_complaint", date(2025, 8, 2),
                  date(2025, 8, 31))[0] == "in_time"


def test_decision_day_is_the_deadline_when_handled_late():
    assert _state(date(2025, 8, 1), "union_complaint", date(2025, 8, 2),
                  date(2025, 9, 15))[:2] == ("late", date(2025, 8, 31))


def test_late_items_fall_due_in_the_half_year_of_their_deadline():
    # received in June, deadline 30/06, handled in July: due (late) in H1, not in H2
    args = (date(2025, 6, 27), "crime", date(2025, 6, 27), date(2025, 7, 1))
    assert _state(*args) is None
    first = _state(*args, start=date(2025, 1, 1), end=date(2025, 6, 30))
    assert first[:2] == ("late", date(2025, 6, 30))


def test_overdue_is_due_and_not_handled():
    assert _state(date(2025, 10, 1), "crime", date(2025, 10, 1), None)[0] == "overdue"


def test_in_progress_at_the_periods_end_is_not_counted():
    # deadline after the period's end, handled after it: in progress for this period
    state = _state(date(2025, 12, 20), "union_complaint", date(2025, 12, 21), date(2026, 1, 5))
    assert state[0] == "in_progress"
    # still inside its deadline on the last day of the period (deadline == the last day)
    state = _state(date(2025, 12, 30), "crime", date(2025, 12, 30), None, known=date(2025, 12, 31))
    assert state[0] == "in_progress"


def test_what_happened_after_the_as_of_date_is_not_known():
    # classified and handled after the as-of date: still unclassified then, so overdue by then
    state = _state(date(2025, 8, 1), "union_complaint", date(2025, 8, 25), date(2025, 8, 26),
                   known=date(2025, 8, 20), start=date(2025, 7, 1), end=date(2025, 8, 20))
    assert state[:2] == ("overdue", date(2025, 8, 11))


def test_an_item_received_after_the_period_is_not_in_it():
    assert _state(date(2026, 1, 2), None, None, None) is None


def test_rate_is_in_time_over_due():
    assert Target6Figures(due=4, in_time=3).rate == 0.75
    assert Target6Figures().rate is None
    assert Target6Figures(due=4, in_time=3).late == 1
