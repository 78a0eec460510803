"""Cold reads of the target-5 figures on a generated database, printed as one JSON line.

    PYTHONPATH=<code tree> .venv/bin/python bench/cold_reads.py --database-url URL --instance DIR

Imports ``casework`` from PYTHONPATH (not from this checkout), so ``bench/run_all.py`` can time
an older tree (the baseline) and this one against the same database, side by side. Starts from
nothing stored, then times (ms): the first read of a period (it builds the period), a warm
read, the same figures counted straight from the case tables, a read after ``--writes``
referrals were written, and the trend (every half-year) on an empty store.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import date
from pathlib import Path


def _ms(fn) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--instance", required=True)
    parser.add_argument("--period", default="2025H2")
    parser.add_argument("--writes", type=int, default=500)
    args = parser.parse_args()

    from sqlalchemy import delete, select, text

    from casework import create_app, indicators
    from casework.extensions import db
    from casework.models.indicator import IndicatorPeriod
    from casework.models.org import OrgUnit

    instance = Path(args.instance)
    app = create_app({
        "CASEWORK_ENV": "development", "CASEWORK_DATABASE_URL": args.database_url,
        "CASEWORK_INSTANCE_PATH": str(instance),
        "CASEWORK_KEY_FILE": str(instance / "casework-keys.json"),
        "CASEWORK_SECRET_KEY": "bench-" + "x" * 40,
    })
    as_of = date(2025, 12, 31)
    out: dict[str, float] = {}
    with app.app_context():
        scope = db.session.scalar(select(OrgUnit).where(OrgUnit.code == "ND"))
        period = indicators.parse_period(args.period, as_of)

        def empty() -> None:
            db.session.execute(delete(IndicatorPeriod))
            db.session.commit()

        empty()
        out["first_read_ms"] = _ms(lambda: indicators.compute(scope, period))
        db.session.rollback()
        out["warm_read_ms"] = statistics.median(
            _ms(lambda: (indicators.compute(scope, period), db.session.rollback()))
            for _ in range(5))
        out["direct_count_ms"] = _ms(lambda: indicators.compute(scope, period, stored=False))
        db.session.rollback()
        ids = list(db.session.scalars(text("SELECT id FROM referrals ORDER BY id LIMIT :n"),
                                      {"n": args.writes}))
        for referral_id in ids:
            db.session.execute(text("UPDATE referrals SET status = status WHERE id = :id"),
                               {"id": referral_id})
        db.session.commit()
        out["read_after_writes_ms"] = _ms(lambda: indicators.compute(scope, period))
        db.session.rollback()
        empty()
        out["trend_empty_store_ms"] = _ms(lambda: indicators.trend(scope, as_of))
        db.session.rollback()
        out["trend_warm_ms"] = _ms(lambda: indicators.trend(scope, as_of))
        db.session.rollback()
        result = indicators.compute(scope, period)
        out["eligible"], out["connected"] = result.total.eligible, result.total.connected
        db.session.rollback()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
