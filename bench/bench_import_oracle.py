"""Does a dry run's time tell whether women are on file outside the importer's scope? (issue 18)

    .venv/bin/python bench/bench_import_oracle.py --database-url sqlite:////tmp/bench-oracle.sqlite3
    .venv/bin/python bench/bench_import_oracle.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_oracle

A fresh database with the demo units and accounts; ``--women`` women (with a need each) are
imported into a commune outside a demo caseworker's scope. The caseworker then dry-runs, in
turns, ``--rows``-row workbooks that name exactly those women (CCCD, phone, name and year of
birth) or women on file nowhere, and referral workbooks naming the other unit's needs or
needs that do not exist. The medians should be equal within noise; the answers are equal by
construction (tests/imports/test_oracle.py). The tester's figures before the fix: 0.25 s for a
referral naming another unit's need against 0.08-0.17 s for a missing one.

Measured on the 2-core machine (other test runs going on), 2,000 women, 500-row files, median
of 5: SQLite 0.256 s elsewhere / 0.257 s nowhere, referrals 0.111 / 0.115 s; PostgreSQL
0.325 / 0.324 s, referrals 0.118 / 0.115 s.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def workbook(sheets: dict[str, list[dict[str, object]]]) -> bytes:
    from openpyxl import Workbook

    from casework.services.imports import spec

    wb = Workbook(write_only=True)
    for key, rows in sheets.items():
        sheet = spec.SHEETS_BY_KEY[key]
        ws = wb.create_sheet(sheet.title)
        ws.append([c.header for c in sheet.columns])
        for row in rows:
            ws.append([row.get(c.key) for c in sheet.columns])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def women(unit: str, first: int, n: int) -> list[dict[str, object]]:
    return [{"case_ref": f"W-{i:05d}", "unit": unit, "group": "left_sex_work",
             "intake_date": "15/03/2021", "full_name": f"Nguyễn Thị Thử {i}",
             "date_of_birth": date(1990, 1 + i % 12, 1 + i % 28),
             "national_id": f"091{i:09d}", "phone": f"08{i:08d}", "referral_source": "union"}
            for i in range(first, first + n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--instance", default=os.environ.get("BENCH_INSTANCE",
                                                             "/tmp/casework-bench-oracle"))  # noqa: S108 - a throwaway bench instance
    parser.add_argument("--women", type=int, default=2000)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from bench_import import drop_database, fresh_database
    from generate import make_app
    from sqlalchemy import select

    fresh_database(args.database_url)
    app = make_app(args.database_url, Path(args.instance))
    app.config.update(CASEWORK_IMPORT_MAX_ROWS=100_000,
                      CASEWORK_IMPORT_IDENTITY_CHECKS_PER_DAY=10**9)
    with app.app_context():
        from flask_migrate import upgrade

        from casework import demo
        from casework.extensions import db
        from casework.models.org import OrgUnit
        from casework.models.user import User
        from casework.services.imports import apply, reader, validate

        upgrade()
        demo.load_all()
        db.session.commit()
        province = db.session.scalar(select(OrgUnit).where(OrgUnit.depth == 0))
        boss = db.session.scalar(select(User).where(
            User.role == "supervisor", User.org_unit_id == province.id))
        officer = db.session.scalar(select(User).where(User.role == "caseworker")
                                    .order_by(User.id))
        elsewhere = next(u for u in db.session.scalars(
            select(OrgUnit).where(OrgUnit.depth == 2).order_by(OrgUnit.code))
            if not u.is_within(officer.org_unit) and u.active)
        mine = next(u for u in db.session.scalars(select(OrgUnit).order_by(OrgUnit.depth.desc()))
                    if u.is_within(officer.org_unit) and u.active)

        def check(data: bytes, user: User, unit: OrgUnit) -> validate.Report:
            book = reader.read_uploads([reader.Upload("b.xlsx", data)])
            return validate.check(db.session, book, unit, user)

        their_rows = women(elsewhere.code, 0, args.women)
        needs = [{"need_ref": f"NC-{i:05d}", "case_ref": f"W-{i:05d}",
                  "category": "vocational_training", "identified_on": "20/03/2021"}
                 for i in range(args.women)]
        report = check(workbook({"cases": their_rows, "needs": needs}), boss, province)
        apply.apply(report, actor=boss, scope_unit=province, file_mac="0" * 64, mode="all",
                    source="cli")
        db.session.commit()

        def referrals(prefix: str) -> bytes:
            return workbook({"referrals": [
                {"referral_ref": f"GT-{i:05d}", "need_ref": f"{prefix}-{i:05d}",
                 "provider": "X", "referred_on": "25/03/2021", "status": "sent"}
                for i in range(args.rows)]})

        files = {
            "cases on file elsewhere": workbook({"cases": women(mine.code, 0, args.rows)}),
            "cases on file nowhere": workbook({"cases": women(mine.code, 50_000, args.rows)}),
            "referrals, other unit's needs": referrals("NC"),
            "referrals, needs that do not exist": referrals("NX"),
        }
        for name in files:  # warm-up
            check(files[name], officer, officer.org_unit)
            db.session.rollback()
        times: dict[str, list[float]] = {name: [] for name in files}
        for _ in range(args.rounds):
            for name, data in files.items():
                start = time.perf_counter()
                check(data, officer, officer.org_unit)
                times[name].append(time.perf_counter() - start)
                db.session.rollback()
        print(f"{db.engine.dialect.name}: {args.women} women elsewhere, {args.rows}-row files, "
              f"{args.rounds} rounds (read + dry run, median / min / max)")
        for name, values in times.items():
            print(f"  {name:<36} {statistics.median(values):6.3f} s  "
                  f"{min(values):6.3f}  {max(values):6.3f}")
        db.session.remove()
        db.engine.dispose()
    drop_database(args.database_url)


if __name__ == "__main__":
    main()
