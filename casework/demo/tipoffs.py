"""Demo tip-offs and complaints (target 6): one item in each state, at Thịnh Long (Hải Hậu)
and Nghĩa Sơn (Nghĩa Hưng). Loaded once (skipped when any item exists); the caller commits."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from casework.extensions import db
from casework.models.org import OrgUnit
from casework.models.tipoff import TipOff
from casework.models.user import User
from casework.services.effective_dates import LOCAL_ZONE, today
from casework.tipoffs import service

NOTE = "Ghi từ sổ tiếp nhận"


def _receive(unit: OrgUnit, on: date, actor: User | None, *, channel: str = "phone",
             anonymous: bool = False, summary: str) -> TipOff:
    return service.receive(service.Received(
        channel=channel, received_at=datetime.combine(on, time(9, 0), tzinfo=LOCAL_ZONE),
        summary=summary, anonymous=anonymous,
        reporter_name=None if anonymous else "Người báo tin (demo)",
        reporter_contact=None if anonymous else "0915000111", note=NOTE), unit=unit, actor=actor)


def _weekday_before(day: date, days: int) -> date:
    out = day - timedelta(days=days)
    while out.weekday() >= 5:
        out -= timedelta(days=1)
    return out


def load_tipoffs() -> None:
    if db.session.scalar(select(func.count()).select_from(TipOff)):
        return
    units = {u.code: u for u in db.session.scalars(select(OrgUnit))}
    users = {u.username: u for u in db.session.scalars(select(User))}
    tl, ns = units.get("ND-HH-THINHLONG"), units.get("ND-NH-NGHIASON")
    if tl is None or ns is None:
        return
    officer, other = users.get("canbo.thinhlong"), users.get("canbo.nghiason")
    now = today()
    _receive(tl, now, officer, summary="Tin báo mới: nghi có người môi giới ở bến xe")
    classified = _receive(tl, now - timedelta(days=2), officer, channel="letter",
                          summary="Đơn phản ánh cơ sở karaoke có dấu hiệu vi phạm")
    service.classify(classified, classification="union_complaint", on=now - timedelta(days=1),
                     note=NOTE, actor=officer)
    day = _weekday_before(now, 14)
    in_time = _receive(tl, day, officer, summary="Tố giác đường dây môi giới qua mạng")
    service.classify(in_time, classification="crime", on=day, note=NOTE, actor=officer)
    service.handle(in_time, "forwarded_police", service.Handling(
        on=day + timedelta(days=1 if day.weekday() < 4 else 3), note=NOTE,
        police_office="Công an huyện Hải Hậu", acknowledged_on=day + timedelta(days=4)),
        actor=officer)
    day = _weekday_before(now, 21)
    late = _receive(ns, day, other, summary="Tố giác nhà nghỉ chứa mại dâm")
    service.classify(late, classification="crime", on=day, note=NOTE, actor=other)
    service.handle(late, "forwarded_police", service.Handling(
        on=day + timedelta(days=6), note=NOTE, police_office="Công an huyện Nghĩa Hưng"),
        actor=other)
    overdue = _receive(ns, now - timedelta(days=25), other, channel="in_person",
                       summary="Đơn đề nghị xem xét việc cho thuê nhà trọ")
    service.classify(overdue, classification="crime", on=now - timedelta(days=24), note=NOTE,
                     actor=other)
    anonymous = _receive(tl, now - timedelta(days=5), None, channel="online", anonymous=True,
                         summary="Tin nặc danh qua biểu mẫu trực tuyến")
    service.classify(anonymous, classification="outside_subject", on=now - timedelta(days=4),
                     note=NOTE, actor=officer)
    service.handle(anonymous, "filed", service.Handling(on=now - timedelta(days=4), note=NOTE),
                   actor=officer)
    duplicate = _receive(tl, now - timedelta(days=13), officer,
                         summary="Gọi lại về cùng đường dây môi giới qua mạng")
    service.verify(duplicate, on=now - timedelta(days=12), has_content=True,
                   duplicate_of=in_time, note=NOTE, actor=officer)
    service.handle(duplicate, "filed", service.Handling(on=now - timedelta(days=12), note=NOTE),
                   actor=officer)
    moved = _receive(ns, now - timedelta(days=3), other, channel="passed_on",
                     summary="Đơn chuyển đến, thuộc địa bàn Thịnh Long")
    service.transfer(moved, tl, on=now - timedelta(days=2), note=NOTE, actor=other)
