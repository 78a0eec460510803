"""Demo cases: a dozen fictional women across Nam Định's communes, with consents, needs, notes
and follow-ups. Every name carries "Mẫu" (sample) and phones use the unassigned 0900 000 xxx
range, so nobody mistakes them for real people. Idempotent: each case has an external_ref.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from casework.extensions import db
from casework.models.case import Case
from casework.models.org import OrgUnit
from casework.models.user import User
from casework.services import cases, consents, needs, timeline
from casework.services.effective_dates import today

# (ref, unit code, full name, birth date, group, source, days ago, needs, follow-up in days)
DEMO_CASES: list[tuple[str, str, str, date, str, str, int, tuple[str, ...], int | None]] = [
    ("demo-01", "ND-HH-THINHLONG", "Nguyễn Thị Mẫu Hoa", date(1994, 3, 12), "left_sex_work",
     "union", 200, ("vocational_training", "loans"), 3),
    ("demo-02", "ND-HH-THINHLONG", "Trần Thị Mẫu Lan", date(1998, 7, 2), "left_sex_work",
     "self", 90, ("jobs",), -2),
    ("demo-03", "ND-HH-THINHLONG", "Phạm Thị Mẫu Huệ", date(1989, 11, 20), "high_risk",
     "health", 40, ("health_hiv", "peer_groups"), 10),
    ("demo-04", "ND-HH-YENDINH", "Lê Thị Mẫu Thu", date(2000, 1, 5), "trafficking_returnee",
     "border_guard", 300, ("legal_aid", "social_protection"), None),
    ("demo-05", "ND-NH-NGHIASON", "Vũ Thị Mẫu Hằng", date(1992, 5, 17), "left_sex_work",
     "union", 150, ("startup", "loans"), 1),
    ("demo-06", "ND-NH-NGHIASON", "Đỗ Thị Mẫu Nga", date(1996, 9, 9), "trafficking_returnee",
     "police", 60, ("gbv_support",), 5),
    ("demo-07", "ND-NH-LIEUDE", "Hoàng Thị Mẫu Yến", date(1999, 2, 28), "left_sex_work",
     "other", 20, ("vocational_training",), 7),
    ("demo-08", "ND-GT-QUATLAM", "Bùi Thị Mẫu Liên", date(1987, 12, 1), "left_sex_work",
     "union", 400, ("jobs", "social_protection"), None),
    ("demo-09", "ND-GT-GIAOLAC", "Đặng Thị Mẫu Duyên", date(2001, 6, 14), "high_risk",
     "self", 15, ("peer_groups",), 14),
    ("demo-10", "ND-TP-VIXUYEN", "Ngô Thị Mẫu Thảo", date(1995, 4, 30), "left_sex_work",
     "health", 120, ("health_hiv", "vocational_training"), 2),
    ("demo-11", "ND-YY-LAM", "Dương Thị Mẫu Xuân", date(1993, 8, 8), "trafficking_returnee",
     "border_guard", 250, ("legal_aid",), None),
    ("demo-12", "ND-XT-XUANNGOC", "Lý Thị Mẫu Trang", date(1997, 10, 10), "left_sex_work",
     "union", 35, ("loans",), 4),
]


def _unit(code: str) -> OrgUnit | None:
    return db.session.scalar(select(OrgUnit).where(OrgUnit.code == code))


def _actor(unit: OrgUnit) -> Any:
    return db.session.scalar(select(User).where(User.org_unit_id == unit.id,
                                                User.role == "caseworker"))


def load_cases() -> int:
    """Create the demo cases that are missing; returns how many were added. Caller commits."""
    added = 0
    now = today()
    for n, (ref, unit_code, name, born, group, source, ago, need_codes, due) in enumerate(
            DEMO_CASES, start=1):
        unit = _unit(unit_code)
        if unit is None or db.session.scalar(select(Case).where(Case.external_ref == ref)):
            continue
        actor = _actor(unit)
        intake = now - timedelta(days=ago)
        case = cases.open_case(cases.CaseInput(
            full_name=name, group=group, referral_source=source, intake_date=intake,
            date_of_birth=born, phone=f"0900000{n:03d}", national_id=f"036{n:09d}",
            address=f"Xóm {n}, {unit.name}", other_names="DỮ LIỆU MẪU",
            family_situation="Sống cùng mẹ và một con nhỏ (dữ liệu mẫu).",
            backdate_reason="Dữ liệu mẫu"), unit=unit, actor=actor)
        case.external_ref = ref
        for purpose in ("keep_record", "contact_visit", "contact_phone", "statistics"):
            consents.record_consent(case, consents.ConsentInput(
                purpose=purpose, given_on=intake, method="signed_form",
                backdate_reason="Dữ liệu mẫu"), actor=actor)
        for code in need_codes:
            consents.record_consent(case, consents.ConsentInput(
                purpose="share", service_category=code, given_on=intake, method="signed_form",
                expires_on=now + timedelta(days=20 if n % 4 == 0 else 365),
                backdate_reason="Dữ liệu mẫu"), actor=actor)
            needs.add_need(case, needs.NeedInput(code, intake, "Nhu cầu mẫu",
                                                 "Dữ liệu mẫu"), actor=actor)
        timeline.add_note(case, kind="home_visit", on=intake, actor=actor,
                          body="Thăm nhà lần đầu; chị đồng ý tham gia (dữ liệu mẫu).",
                          backdate_reason="Dữ liệu mẫu")
        if due is not None:
            task = timeline.add_follow_up(case, due_on=now + timedelta(days=max(due, 0)),
                                          title="Gọi điện hỏi thăm (dữ liệu mẫu)", actor=actor)
            if due < 0:
                task.due_on = now + timedelta(days=due)  # an overdue task for the worklist
        added += 1
    db.session.flush()
    return added
