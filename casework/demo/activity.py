"""A complete, plausible 2025 of the union's own activity for every demo unit (targets 1-4, 7, 8).

Deterministic (a random generator seeded by each unit's code) and idempotent (nothing is added
when demo activity exists). Every unit has its counts; most hold communication activities each
half-year, train their concerned officers and post every quarter; a few grassroots unions miss
something, so the report shows targets met and not met. Both half-years are submitted: the
first all approved, the second approved except one returned and two waiting for the district.
"""

from __future__ import annotations

import json
import random
from datetime import date

from sqlalchemy import select

from casework.activity import records
from casework.db import utcnow
from casework.extensions import db
from casework.models.activity import ActivityRecord, ActivitySubmission, UnitYearCounts
from casework.models.org import UNIT_LEVEL, OrgUnit
from casework.models.user import User
from casework.services.effective_dates import today

YEAR = 2025
FORMS = ("meeting", "loudspeaker", "drama", "social_media", "leaflet", "contest")
PARTNERS = ("Công an xã", "Trạm y tế", "Đoàn Thanh niên", "Phòng Lao động - TB&XH",
            "Hội Nông dân", "")
TOPICS = ("Phòng ngừa mại dâm và mua bán người", "Luật Phòng, chống mua bán người 2024",
          "Kỹ năng nhận diện dụ dỗ đi làm ăn xa", "Hỗ trợ phụ nữ hoàn lương hòa nhập cộng đồng")
# Grassroots unions that fall short somewhere (by code suffix), for a plausible report.
NO_COMMUNICATION_H2 = ("MYTHANG", "GIAOTHIEN")
NO_PROGRAMME = ("NANGTINH", "MYHUNG", "NAMDIEN", "GIAOTHIEN", "HAIMINH")
MISSED_POST_QUARTER = {"LOCHA": 3, "NAMTHANG": 2, "QUATLAM": 4}
RETURNED_H2 = ("ND-ML-MYTHANG",)
WAITING_H2 = ("ND-GT-GIAOTHIEN", "ND-NT-NAMTHANG")
RETURN_COMMENT = "Đề nghị bổ sung hoạt động tuyên truyền 6 tháng cuối năm."


def _add(unit: OrgUnit, kind: str, day: date, **fields: object) -> None:
    db.session.add(ActivityRecord(org_unit_id=unit.id, kind=kind, held_on=day, source="demo",
                                  **fields))


def _unit_year(unit: OrgUnit, rng: random.Random) -> None:
    level = UNIT_LEVEL.get(unit.kind, 2)
    suffix = unit.code.rsplit("-", 1)[-1]
    officers = {0: 32, 1: rng.randint(14, 22)}.get(level, rng.randint(7, 13))
    concerned = {0: 9, 1: rng.randint(3, 5)}.get(level, rng.randint(1, 3))
    members = 0 if level < 2 else rng.randint(900, 3200)
    db.session.add(UnitYearCounts(org_unit_id=unit.id, year=YEAR, officers=officers,
                                  concerned_officers=concerned, members=members))
    _add(unit, "plan", date(2021, rng.randint(2, 6), rng.randint(1, 28)),
         title=f"Kế hoạch thực hiện Chương trình phòng, chống mại dâm giai đoạn 2021-2025 "
               f"({unit.name})")
    if level < 2 or suffix not in NO_PROGRAMME:
        _add(unit, "programme", date(2022, rng.randint(1, 12), 1),
             title=rng.choice(("Đề án 938 hỗ trợ phụ nữ tham gia giải quyết vấn đề xã hội",
                               "Cuộc vận động xây dựng gia đình 5 không 3 sạch",
                               "Chương trình phòng, chống mua bán người")))
    for half in (1, 2):
        months = range(1, 7) if half == 1 else range(7, 13)
        if not (half == 2 and suffix in NO_COMMUNICATION_H2):
            sessions = rng.randint(1, 3)
            for n in range(sessions):
                reach = members * rng.uniform(0.6, 0.85) / sessions if members else 0
                _add(unit, "communication",
                     date(YEAR, rng.choice(list(months)), rng.randint(1, 28)),
                     form=rng.choice(FORMS), officers=officers if n == 0 else 0,
                     members=int(reach) if level == 2 else rng.randint(40, 150),
                     partners=rng.choice(PARTNERS), title=rng.choice(TOPICS))
        if rng.random() < 0.8 or half == 2:
            _add(unit, "training", date(YEAR, rng.choice(list(months)), rng.randint(1, 28)),
                 officers=concerned if half == 2 else max(1, concerned - 1),
                 title="Tập huấn kỹ năng tuyên truyền phòng, chống mại dâm")
    for quarter in (1, 2, 3, 4):
        if MISSED_POST_QUARTER.get(suffix) == quarter:
            continue
        day = date(YEAR, 3 * quarter - rng.randint(0, 2), rng.randint(1, 28))
        channel = "website" if level == 0 else "fanpage"
        _add(unit, "post", day, form=channel,
             link=f"https://www.facebook.com/hoilhpn.{unit.code.lower()}/posts/{YEAR}{quarter}")


def _submissions(units: list[OrgUnit]) -> None:
    province_sup = db.session.scalar(select(User).where(User.username == "giamsat"))
    district_sup = db.session.scalar(select(User).where(User.username == "giamsat.haihau"))
    now, moment = today(), utcnow()
    for unit in units:
        if unit.parent_id is None:
            continue
        for key in (f"{YEAR}H1", f"{YEAR}H2"):
            status, comment = "approved", ""
            if key.endswith("H2") and unit.code in RETURNED_H2:
                status, comment = "returned", RETURN_COMMENT
            elif key.endswith("H2") and unit.code in WAITING_H2:
                status = "submitted"
            reviewer = district_sup if unit.code.startswith("ND-HH-") else province_sup
            db.session.add(ActivitySubmission(
                org_unit_id=unit.id, period_key=key, status=status, comment=comment,
                snapshot=json.dumps(records.own_snapshot(unit, key, now), sort_keys=True),
                submitted_at=moment,
                reviewed_by_id=None if status == "submitted" or reviewer is None
                else reviewer.id,
                reviewed_at=None if status == "submitted" else moment))


def load_activity() -> None:
    """Add the demo year of activity once; the caller commits."""
    if db.session.scalar(select(ActivityRecord.id).where(ActivityRecord.source == "demo")
                         .limit(1)) is not None:
        return
    units = list(db.session.scalars(select(OrgUnit).where(OrgUnit.code.startswith("ND"))
                                    .order_by(OrgUnit.path)))
    for unit in units:
        _unit_year(unit, random.Random(f"casework-demo-{unit.code}"))  # noqa: S311 - demo data
    db.session.flush()
    _submissions(units)
    db.session.flush()
