"""The hand-counted activity world: P; D1 (C1, C2); D2 (C3), over 2025's two half-years.

Records (officers reached / members and women reached):

=====  ==========================================  ==========================================
unit   2025H1                                      2025H2
=====  ==========================================  ==========================================
P      plan 2021; comm 10/50; training 4;          comm 10/60; posts Q3, Q4
       posts Q1, Q2
D1     plan 2022; programme from 2023; comm 12/600; post Q3
       training 3; posts Q1, Q2
C1     plan 2022; programme Jan-May; comms 8/300,  comm 3/50; training 2; posts Q3, Q4;
       4/200; posts Q1, Q2                         after approval an amendment: comm 0/20
C2     -                                           plan Aug 2025; comm 0/280
D2     plan 2021                                   comm 15/500; programme from Jul
C3     comm 2/100; training 1; post Q1             -
=====  ==========================================  ==========================================

Counts for 2025 (officers / concerned / members): P 10/4/100, D1 20/5/1000, C1 8/2/500,
C2 6/2/400, D2 15/3/800, C3 5/1/300.

Submissions: C1 H1 and H2 approved (H2 then amended); C2 H2 approved; C3 H1 returned; D1 H1
approved, D1 H2 submitted (waiting); D2 H2 approved. The province's own records always count
in its own report.
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest

from casework.extensions import db

D = date


def _rec(unit: Any, kind: str, day: date, **fields: Any) -> None:
    from casework.activity import records
    from casework.services.effective_dates import today

    records.save_record(unit, kind, records.RecordInput(held_on=day, **fields), today(),
                        actor=None)


@pytest.fixture
def activity_world(app: Any, org: Any, make_user: Any) -> SimpleNamespace:
    from casework.activity import records
    from casework.services.effective_dates import today

    now = today()
    p, d1, c1, c2, d2, c3 = org.province, org.d1, org.c1, org.c2, org.d2, org.c3
    for unit, counts in ((p, (10, 4, 100)), (d1, (20, 5, 1000)), (c1, (8, 2, 500)),
                         (c2, (6, 2, 400)), (d2, (15, 3, 800)), (c3, (5, 1, 300))):
        records.save_counts(unit, 2025, *counts, now, actor=None)
    plan = {"title": "Kế hoạch phòng, chống mại dâm"}
    comm = {"form": "meeting", "partners": "Công an xã"}
    link = {"form": "fanpage", "link": "https://facebook.com/hoiphunu/posts/1"}
    _rec(p, "plan", D(2021, 3, 1), **plan)
    _rec(d1, "plan", D(2022, 1, 10), **plan)
    _rec(c1, "plan", D(2022, 2, 1), **plan)
    _rec(c2, "plan", D(2025, 8, 1), **plan)
    _rec(d2, "plan", D(2021, 5, 1), **plan)
    # First half-year
    _rec(p, "communication", D(2025, 3, 10), officers=10, members=50, **comm)
    _rec(d1, "communication", D(2025, 4, 2), officers=12, members=600, **comm)
    _rec(c1, "communication", D(2025, 5, 5), officers=8, members=300, **comm)
    _rec(c1, "communication", D(2025, 6, 1), officers=4, members=200,
         form="drama", partners="")
    _rec(c3, "communication", D(2025, 2, 2), officers=2, members=100, **comm)
    _rec(d1, "programme", D(2023, 1, 1), title="Phụ nữ tham gia bảo đảm an ninh trật tự")
    _rec(c1, "programme", D(2025, 1, 15), ended_on=D(2025, 5, 31), title="Đề án 938")
    _rec(p, "training", D(2025, 4, 20), officers=4, title="Tập huấn kỹ năng")
    _rec(d1, "training", D(2025, 5, 20), officers=3, title="Tập huấn kỹ năng")
    _rec(c3, "training", D(2025, 3, 3), officers=1, title="Tập huấn kỹ năng")
    for unit, days in ((p, (D(2025, 2, 1), D(2025, 5, 1), D(2025, 8, 1), D(2025, 11, 1))),
                       (d1, (D(2025, 1, 20), D(2025, 4, 20), D(2025, 9, 1))),
                       (c1, (D(2025, 3, 1), D(2025, 6, 1), D(2025, 7, 1), D(2025, 12, 1))),
                       (c3, (D(2025, 1, 5),))):
        for day in days:
            _rec(unit, "post", day, **link)
    # Second half-year
    _rec(p, "communication", D(2025, 8, 15), officers=10, members=60, **comm)
    _rec(d2, "communication", D(2025, 9, 9), officers=15, members=500, **comm)
    _rec(c2, "communication", D(2025, 10, 10), officers=0, members=280,
         form="social_media", partners="")
    _rec(c1, "communication", D(2025, 11, 11), officers=3, members=50, **comm)
    _rec(d2, "programme", D(2025, 7, 1), title="Xây dựng gia đình 5 không 3 sạch")
    _rec(c1, "training", D(2025, 8, 8), officers=2, title="Tập huấn")
    db.session.commit()
    sup = {u: make_user("supervisor", unit=u) for u in (p, d1, d2)}
    officer = {u: make_user("caseworker", unit=u) for u in (p, d1, c1, c2, d2, c3)}

    def submit(unit: Any, key: str, decision: str | None, comment: str = "") -> None:
        found = records.submit(unit, key, now, actor=officer[unit])
        if decision:
            reviewer = sup[unit.parent] if unit.parent in sup else sup[p]
            records.review(found, decision, comment, now, actor=reviewer)
        db.session.commit()

    submit(c1, "2025H1", "approved")
    submit(c1, "2025H2", "approved")
    submit(c2, "2025H2", "approved")
    submit(c3, "2025H1", "returned", "Thiếu số liệu quý 2")
    submit(d1, "2025H1", "approved")
    submit(d1, "2025H2", None)
    submit(d2, "2025H2", "approved")
    # A correction after approval: an amendment, counted, and listed.
    _rec(c1, "communication", D(2025, 12, 1), officers=0, members=20,
         amendment_note="Bổ sung buổi nói chuyện bị sót", **comm)
    db.session.commit()
    return SimpleNamespace(org=org, sup=sup, officer=officer, today=now)
