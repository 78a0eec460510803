"""Demo data: Nam Định's units and one account per role, loaded idempotently."""

from __future__ import annotations

from sqlalchemy import func, select

from casework import demo
from casework.extensions import db
from casework.models.org import OrgUnit
from casework.models.provider import ServiceProvider
from casework.models.user import User


def _counts() -> dict[str, int]:
    from casework.extensions import db as _db

    return {
        table.name: _db.session.scalar(select(func.count()).select_from(table))
        for table in _db.metadata.sorted_tables
        if table.name not in ("audit_events", "login_sessions")
    }


def test_demo_load_twice_adds_nothing_the_second_time(app):
    demo.load_all()
    db.session.commit()
    first = _counts()
    demo.load_all()
    db.session.commit()
    assert _counts() == first
    assert first["org_units"] == 1 + 10 + sum(len(c) for *_, c in demo.DISTRICTS)


def test_demo_has_the_plan_units(app):
    demo.load_all()
    db.session.commit()
    names = set(db.session.scalars(select(OrgUnit.name)))
    for expected in (
        "Tỉnh Nam Định",
        "Thành phố Nam Định",
        "Huyện Hải Hậu",
        "Thị trấn Thịnh Long",
        "Thị trấn Quất Lâm",
        "Xã Nghĩa Sơn",
        "Huyện Ý Yên",
    ):
        assert expected in names
    assert db.session.scalar(select(func.count()).select_from(ServiceProvider)) >= 3


def test_every_demo_login_works(app, login):
    demo.load_all()
    db.session.commit()
    for spec in demo.DEMO_ACCOUNTS:
        user = db.session.scalar(select(User).where(User.username == spec.username))
        client = app.test_client()
        response = login(client, user, password=demo.DEMO_PASSWORD)
        assert response.status_code == 302, spec.username
