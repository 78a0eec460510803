"""Time the province's annual all-targets report (issue 16) on the demo province.

    PYTHONPATH=$PWD .venv/bin/python bench/bench_plan_report.py \
        --database-url sqlite:////tmp/plan/bench.sqlite3 --instance /tmp/plan/inst

Migrates the database, loads the demo (idempotent), then times, for the province and 2025:
the figures of the eight targets (``casework.activity.targets.all_targets``: the activity
statements plus target 5 from ``casework.indicators``) and the same plus the XLSX workbook.
"cold" is the first call after the app starts; "warm" the median of ``--runs`` further calls.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.generate import make_app


def _time(fn: Callable[[], Any], runs: int) -> tuple[float, float]:
    started = time.perf_counter()
    fn()
    cold = time.perf_counter() - started
    warm = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        warm.append(time.perf_counter() - started)
    return cold * 1000, statistics.median(warm) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--instance", default="instance/bench-plan")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--period", default="2025")
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import select

    from casework import demo
    from casework.activity import targets, workbook
    from casework.extensions import db
    from casework.indicators import parse_period
    from casework.models.org import OrgUnit
    from casework.services.effective_dates import today

    app = make_app(args.database_url, Path(args.instance))
    with app.app_context():
        upgrade()
        demo.load_all()
        db.session.commit()
        province = db.session.scalar(select(OrgUnit).where(OrgUnit.code == "ND"))
        period = parse_period(args.period, today())
        with app.test_request_context():
            figures = _time(lambda: targets.all_targets(province, period), args.runs)
            full = _time(lambda: workbook.workbook(
                province.name, args.period, workbook.shown(
                    targets.all_targets(province, period), 5), 5, ""), args.runs)
    results = {"figures of the 8 targets": figures, "figures + XLSX workbook": full}
    for name, (cold, warm) in results.items():
        print(f"{name:42s} cold {cold:8.1f} ms   warm {warm:8.1f} ms")


if __name__ == "__main__":
    main()
