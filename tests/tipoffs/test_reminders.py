"""Overdue tip-offs and complaints are reminded through the schedule (``flask schedule run``):
once per item and deadline, to the holding unit's caseworkers and the supervisors above it,
naming the item's reference only."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from casework.extensions import db
from casework.models.notification import Notification
from casework.services import reminders


def _kinds(user):
    db.session.expire_all()
    return [(n.kind, n.reference, n.link) for n in db.session.scalars(
        select(Notification).where(Notification.user_id == user.id))]


def test_an_overdue_item_is_reminded_once_to_its_unit_and_the_supervisors_above(
        org, make_user, make_tipoff):
    officer, neighbour = make_user("caseworker", unit=org.c1), make_user("caseworker", unit=org.c2)
    district, other_district = make_user("supervisor", unit=org.d1), make_user("supervisor",
                                                                                unit=org.d2)
    # A crime tip-off received on Tuesday 04/03/2025 must be forwarded by Wednesday 05/03.
    item = make_tipoff(org.c1, date(2025, 3, 4), classify=("crime", date(2025, 3, 4)))
    assert reminders.summary(reminders.run(date(2025, 3, 5)))["tipoff_overdue"] == 0
    assert reminders.summary(reminders.run(date(2025, 3, 6)))["tipoff_overdue"] == 1
    assert reminders.summary(reminders.run(date(2025, 3, 7)))["tipoff_overdue"] == 0
    expected = [("tipoff_overdue", item.reference, f"/tipoffs/{item.id}")]
    assert _kinds(officer) == expected
    assert _kinds(district) == expected
    assert _kinds(neighbour) == []
    assert _kinds(other_district) == []


def test_a_handled_item_is_not_reminded(org, make_user, make_tipoff):
    officer = make_user("caseworker", unit=org.c1)
    make_tipoff(org.c1, date(2025, 3, 4), classify=("crime", date(2025, 3, 4)),
                handle=("forwarded_police", date(2025, 3, 5)))
    assert reminders.summary(reminders.run(date(2025, 3, 10)))["tipoff_overdue"] == 0
    assert _kinds(officer) == []
