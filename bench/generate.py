"""Fill a database with a province-sized synthetic load for the supervision benchmarks.

    .venv/bin/python bench/generate.py --database-url sqlite:////tmp/bench.sqlite3
    .venv/bin/python bench/generate.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench

Creates (on a freshly migrated database) Nam Định's demo units and accounts, 20 partners,
``--cases`` cases (default 100,000) over 2021–2025 in every grassroots unit, 1–3 needs each and
``--referrals`` referrals (default 300,000) with a realistic mix of statuses, transfers and
closures. Rows go in with bulk Core inserts; a subject row (her wrapped data key, through the
real key ring) is made for every woman, and ``--encrypt`` of them (default 2,000) also get their
name encrypted through the real ORM field layer, to measure what full encryption would cost.
Synthetic data only: no real person is described.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select, text

STATUS_MIX = [  # (status, weight) of a referral's current state
    ("draft", 3), ("sent", 9), ("accepted", 9), ("on_hold", 2), ("declined", 10),
    ("in_service", 24), ("completed", 30), ("not_completed", 5), ("cancelled", 8),
]
GROUP_MIX = [("left_sex_work", 70), ("trafficking_returnee", 15), ("high_risk", 15)]
CATEGORIES = ["vocational_training", "loans", "jobs", "startup", "legal_aid", "health_hiv",
              "gbv_support", "social_protection", "peer_groups"]
START, END = date(2021, 1, 1), date(2025, 12, 31)


def bench_env(database_url: str, instance: Path) -> dict[str, str]:
    return {
        "CASEWORK_ENV": "development", "CASEWORK_DATABASE_URL": database_url,
        "CASEWORK_INSTANCE_PATH": str(instance),
        "CASEWORK_KEY_FILE": str(instance / "casework-keys.json"),
        "CASEWORK_SECRET_KEY": "bench-" + "x" * 40,
    }


def make_app(database_url: str, instance: Path):  # type: ignore[no-untyped-def]
    from casework import create_app

    instance.mkdir(parents=True, exist_ok=True)
    key_file = instance / "casework-keys.json"
    if not key_file.exists():
        from casework.crypto.keyring import create_key_file

        create_key_file(key_file)
    return create_app(bench_env(database_url, instance))


def _pick(rng: random.Random, mix: list[tuple[str, int]]) -> str:
    return rng.choices([m[0] for m in mix], weights=[m[1] for m in mix])[0]


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max((end - start).days, 0)))


def generate(n_cases: int, n_referrals: int, n_encrypt: int, seed: int = 5) -> dict[str, float]:
    from casework import crypto, demo
    from casework.extensions import db
    from casework.models.case import Case, CaseCustody, CaseEpisode
    from casework.models.need import Need
    from casework.models.org import OrgUnit
    from casework.models.provider import ServiceProvider
    from casework.models.referral import Referral
    from casework.models.subject import Subject

    rng = random.Random(seed)
    timings: dict[str, float] = {}
    demo.load_all()
    for i in range(20):
        db.session.add(ServiceProvider(code=f"BENCH-{i:02d}", name=f"Đối tác thử nghiệm {i:02d}",
                                       kind="other"))
    db.session.commit()
    units = list(db.session.scalars(select(OrgUnit.id).where(OrgUnit.depth == 2)))
    providers = list(db.session.scalars(select(ServiceProvider.id)))

    t0 = time.perf_counter()
    subjects = []
    for _ in range(n_cases):
        subject = crypto.new_subject()
        subjects.append({"id": subject.id, "wrapped_key": subject.wrapped_key,
                         "kek_version": subject.kek_version, "key_version": subject.key_version,
                         "erased": False})
    for chunk in range(0, n_cases, 5000):
        db.session.execute(insert(Subject), subjects[chunk:chunk + 5000])
    db.session.commit()
    timings["subjects (real key wrap)"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    cases, episodes, custody, needs = [], [], [], []
    for n, subject in enumerate(subjects):
        case_id = uuid.uuid4()
        unit = rng.choice(units)
        intake = _day(rng, START, END)
        group = _pick(rng, GROUP_MIX)
        cases.append({"id": case_id, "subject_id": subject["id"], "case_number": f"B{n:07d}",
                      "group": group, "org_unit_id": unit, "intake_date": intake,
                      "referral_source": "union", "status": "open", "version": 1})
        closed = _day(rng, intake + timedelta(days=30), END) if rng.random() < 0.3 else None
        if closed:
            cases[-1]["status"] = "closed"
        episodes.append({"case_id": case_id, "opened_on": intake, "closed_on": closed})
        if rng.random() < 0.05:  # transferred once
            moved = _day(rng, intake + timedelta(days=1), closed or END)
            other = rng.choice(units)
            custody.append({"case_id": case_id, "org_unit_id": unit, "from_date": intake,
                            "to_date": moved, "reason": "intake"})
            custody.append({"case_id": case_id, "org_unit_id": other, "from_date": moved,
                            "to_date": None, "reason": "transfer"})
            cases[-1]["org_unit_id"] = other
        else:
            custody.append({"case_id": case_id, "org_unit_id": unit, "from_date": intake,
                            "to_date": None, "reason": "intake"})
        for _ in range(rng.choice((1, 2, 2, 3))):
            identified = _day(rng, intake, min(intake + timedelta(days=60), END))
            ended = (_day(rng, identified, END) if rng.random() < 0.2 else None)
            needs.append({"id": uuid.uuid4(), "case_id": case_id, "subject_id": subject["id"],
                          "category": rng.choice(CATEGORIES), "identified_on": identified,
                          "ended_on": ended, "status": "no_longer_needed" if ended else
                          "identified", "version": 1})
    referrals = []
    for _ in range(n_referrals):
        need = rng.choice(needs)
        status = _pick(rng, STATUS_MIX)
        referred = _day(rng, need["identified_on"],
                        min(need["identified_on"] + timedelta(days=30), END))
        row = {"id": uuid.uuid4(), "case_id": need["case_id"], "need_id": need["id"],
               "subject_id": need["subject_id"], "provider_id": rng.choice(providers),
               "category": need["category"], "status": status,
               "referred_on": None if status == "draft" else referred,
               "response_due_on": referred + timedelta(days=7), "version": 1,
               "shared_fields": ""}
        if status not in ("draft", "sent", "cancelled"):
            row["answered_on"] = referred + timedelta(days=rng.randint(0, 14))
        if status in ("accepted", "on_hold", "in_service", "completed", "not_completed"):
            row["uptake_due_on"] = row["answered_on"] + timedelta(days=30)
        if status in ("in_service", "completed", "not_completed"):
            row["uptake_on"] = row["answered_on"] + timedelta(days=rng.randint(0, 45))
        referrals.append(row)
    timings["build rows in Python"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    for table, rows in ((Case, cases), (CaseEpisode, episodes), (CaseCustody, custody),
                        (Need, needs), (Referral, referrals)):
        for chunk in range(0, len(rows), 5000):
            db.session.execute(insert(table), rows[chunk:chunk + 5000])
        db.session.commit()
    timings["bulk inserts"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    names = ["Lan", "Hoa", "Mai", "Hương", "Thảo", "Ngọc", "Linh", "Trang"]
    for chunk in range(0, n_encrypt, 500):
        ids = [c["id"] for c in cases[chunk:min(chunk + 500, n_encrypt)]]
        for case in db.session.scalars(select(Case).where(Case.id.in_(ids))):
            given = rng.choice(names)
            case.full_name = f"Nguyễn Thị {given} {rng.randint(1, 99)}"
            case.given_name = given
        db.session.commit()
    timings[f"encrypt names of {n_encrypt} cases (ORM)"] = time.perf_counter() - t0

    # Planner statistics: without them PostgreSQL estimates one row per table after a bulk
    # load and picks nested loops that take minutes (autovacuum would catch up later).
    t0 = time.perf_counter()
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    timings["ANALYZE"] = time.perf_counter() - t0
    timings["counts"] = float(len(cases)), float(len(needs)), float(len(referrals))  # type: ignore[assignment]
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--instance",
                        default=os.environ.get("BENCH_INSTANCE", "instance/bench"))
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--referrals", type=int, default=300_000)
    parser.add_argument("--encrypt", type=int, default=2_000)
    args = parser.parse_args()

    from flask_migrate import upgrade

    app = make_app(args.database_url, Path(args.instance))
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        timings = generate(args.cases, args.referrals, args.encrypt)
        for name, seconds in timings.items():
            print(f"{name:45s} {seconds}")
        print(f"{'total':45s} {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
