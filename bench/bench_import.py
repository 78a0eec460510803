"""Import 10,000 cases with their needs, referrals and consents; time each phase.

    .venv/bin/python bench/bench_import.py --database-url sqlite:////tmp/bench-import.sqlite3
    .venv/bin/python bench/bench_import.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_import

The database is created afresh (the SQLite file removed; the PostgreSQL database dropped and
created) and removed at the end unless ``--keep``; it is migrated and loaded with the demo
units, partners and accounts. The workbook is synthetic (no real person), built in memory:
``--cases`` cases spread over the demo communes, each with one need, one referral with its
outcome and one consent; a tenth are transferred and a fifth closed. The import runs as the
provincial supervisor (admins cannot import), like ``flask import-records --as-user``; the
audit chain is verified afterwards.
Target (issue 7): under 60 s for 10,000 cases on SQLite and on PostgreSQL.

Measured on the 2-core machine (other test runs going on), three runs each:
SQLite 19.9 / 15.5 / 16.1 s, PostgreSQL 31.6 / 21.5 / 20.9 s (write + commit 8-11 s and
12.7-20.5 s; before the bulk write path: SQLite about 100 s, write + commit 87 s).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

GIVEN = ["Lan", "Hoa", "Mai", "Hương", "Thủy", "Hằng", "Nga", "Thảo", "Linh", "Trang"]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô"]


def fresh_database(url: str) -> None:
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(str(parsed.database) + suffix).unlink(missing_ok=True)
        return
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()


def drop_database(url: str) -> None:
    """Remove the bench database (the SQLite files, or the PostgreSQL database)."""
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(str(parsed.database) + suffix).unlink(missing_ok=True)
        return
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


def build_workbook(units: list[str], providers: list[str], n: int, seed: int = 7) -> bytes:
    from openpyxl import Workbook

    from casework.services.imports import spec

    rng = random.Random(seed)
    wb = Workbook(write_only=True)
    sheets = {s.key: wb.create_sheet(s.title) for s in spec.SHEETS}
    for s in spec.SHEETS:
        sheets[s.key].append([c.header for c in s.columns])

    def put(key: str, values: dict) -> None:  # type: ignore[type-arg]
        sheets[key].append([values.get(c.key) for c in spec.SHEETS_BY_KEY[key].columns])

    for i in range(n):
        unit = units[i % len(units)]
        intake = date(2021, 1, 1) + timedelta(days=rng.randint(0, 900))
        born = date(rng.randint(1970, 2003), rng.randint(1, 12), rng.randint(1, 28))
        ref = f"HS-{i:05d}"
        put("cases", {"case_ref": ref, "unit": unit, "group": "left_sex_work",
                      "intake_date": intake.strftime("%d/%m/%Y"),
                      "full_name": f"{rng.choice(FAMILY)} Thị {rng.choice(GIVEN)} {i}",
                      "date_of_birth": born, "national_id": f"091{i:09d}",
                      "phone": f"08{i:08d}", "address": f"Xóm {i % 20}",
                      "referral_source": "union"})
        identified = intake + timedelta(days=3)
        put("needs", {"need_ref": f"NC-{i:05d}", "case_ref": ref,
                      "category": "vocational_training",
                      "identified_on": identified.strftime("%d/%m/%Y")})
        put("referrals", {"referral_ref": f"GT-{i:05d}", "need_ref": f"NC-{i:05d}",
                          "provider": providers[i % len(providers)],
                          "referred_on": identified + timedelta(days=2),
                          "status": "completed", "answered_on": identified + timedelta(days=5),
                          "uptake_on": identified + timedelta(days=10),
                          "ended_on": identified + timedelta(days=90),
                          "reason_code": "certificate_obtained"})
        put("consents", {"case_ref": ref, "purpose": "share",
                         "category": "vocational_training", "given_on": intake})
        if i % 10 == 0:
            other = units[(i + 1) % len(units)]
            put("transfers", {"case_ref": ref, "to_unit": other,
                              "transferred_on": intake + timedelta(days=100)})
        if i % 5 == 0:
            put("closures", {"case_ref": ref, "closed_on": intake + timedelta(days=200),
                             "reason": "reintegrated"})
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--instance", default=os.environ.get("BENCH_INSTANCE",
                                                             "/tmp/casework-bench-import"))  # noqa: S108 - a throwaway bench instance
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    from generate import make_app
    from sqlalchemy import func, select

    fresh_database(args.database_url)
    app = make_app(args.database_url, Path(args.instance))
    app.config.update(CASEWORK_IMPORT_MAX_ROWS=100_000, CASEWORK_IMPORT_MAX_BYTES=200 * 2**20)
    with app.app_context():
        from flask_migrate import upgrade

        from casework import demo
        from casework.extensions import db
        from casework.models.case import Case
        from casework.models.org import OrgUnit
        from casework.models.provider import ServiceProvider
        from casework.models.referral import Referral
        from casework.models.user import User
        from casework.services.imports import apply, reader, validate

        upgrade()
        demo.load_all()
        db.session.commit()
        units = list(db.session.scalars(select(OrgUnit.code).where(OrgUnit.depth == 2)))
        providers = list(db.session.scalars(select(ServiceProvider.code)))
        province = db.session.scalar(select(OrgUnit).where(OrgUnit.depth == 0))
        importer = db.session.scalar(select(User).where(  # the province's supervisor
            User.role == "supervisor", User.org_unit_id == province.id))
        data = build_workbook(units, providers, args.cases)
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        book = reader.read_uploads([reader.Upload("bench.xlsx", data)])
        timings["read"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        # The daily cap of identity checks is a per-user guard, not part of what is timed.
        report = validate.check(db.session, book, province, importer,
                                count_identity_checks=False)
        timings["dry run"] = time.perf_counter() - t1
        if not report.clean:
            for problem in report.errors[:10]:
                print("problem:", problem.sheet, problem.row, problem.column, problem.message)
            raise SystemExit("the synthetic workbook should be clean")
        t2 = time.perf_counter()
        batch = apply.apply(report, actor=importer, scope_unit=province, file_mac="0" * 64,
                            mode="all", source="cli")
        db.session.commit()
        timings["write + commit"] = time.perf_counter() - t2
        total = time.perf_counter() - t0
        cases = db.session.scalar(select(func.count()).select_from(Case))
        referrals = db.session.scalar(select(func.count()).select_from(Referral))
        backend = db.engine.dialect.name
        print(f"{backend}: {args.cases} cases, workbook {len(data) / 2**20:.1f} MB, "
              f"{book.total_rows} rows")
        for name, seconds in timings.items():
            print(f"  {name:<16} {seconds:7.1f} s")
        print(f"  {'total':<16} {total:7.1f} s  (target < 60 s)  "
              f"cases={cases} referrals={referrals} batch={batch.id}")
        t3 = time.perf_counter()
        again = validate.check(db.session, reader.read_uploads([reader.Upload("b.xlsx", data)]),
                               province, importer, count_identity_checks=False)
        print(f"  re-import dry run {time.perf_counter() - t3:5.1f} s: "
              f"{again.existing_rows} rows already imported, {again.accepted_rows} new")
        from casework import audit

        checked = audit.verify(db.session)
        print(f"  audit chain: {'OK' if checked.ok else 'BROKEN at ' + str(checked.first_bad_seq)}"
              f" ({checked.count} events)")
        db.session.remove()
        db.engine.dispose()
    if not args.keep:
        drop_database(args.database_url)


if __name__ == "__main__":
    main()
