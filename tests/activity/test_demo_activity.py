"""The demo province has a complete 2025: every target has a figure or says why not."""

from __future__ import annotations

from sqlalchemy import select

from casework import demo
from casework.activity import targets
from casework.extensions import db
from casework.indicators import parse_period
from casework.models.activity import ActivitySubmission
from casework.models.org import OrgUnit
from casework.services.effective_dates import today


def test_the_demo_2025_report_has_every_target(app):
    demo.load_all()
    db.session.commit()
    province = db.session.scalar(select(OrgUnit).where(OrgUnit.code == "ND"))
    figures = targets.all_targets(province, parse_period("2025", today()))
    assert [t.number for t in figures] == [1, 2, 3, 4, 5, 6, 7, 8]
    for t in figures:
        if t.number in (5, 6):
            continue
        assert all(m.denominator > 0 for m in t.measures), t.number
    met = {t.number: t.met for t in figures}
    assert met[3] is True
    assert met[8] is False  # three grassroots unions missed a quarter
    statuses = set(db.session.scalars(select(ActivitySubmission.status)))
    assert statuses == {"approved", "returned", "submitted"}
