"""Time, in one run, the supervision dashboard against the bare SQL it runs, and the case list
against a hello-world route (``/healthz``), on every database given, and print the ratios.

    .venv/bin/python bench/bench_dashboard.py \
        --database-url sqlite:////tmp/sup/bench.sqlite3 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/casework_bench_sup \
        --instance /tmp/sup/binst
    .venv/bin/python bench/bench_dashboard.py --quick --database-url ...   # smoke run

Fill the databases first with ``bench/generate.py`` (same ``--instance``: the key file).
Requests go through the real app in process (Flask test client: routing, login session,
authorisation, templates, audit), logged in as the demo provincial supervisor and a commune
caseworker. "cold" is the first request after the app starts (statement compilation, buffer
cache as left); "warm" is the median of ``--runs`` further ones.

The figures are stored per period (``casework/indicators/store.py``), so the run starts with
nothing stored and times: the first read (which builds the period), the dashboard request,
the bare SQL it sends (the org units of the scope, the stored period's change check and the
one figures statement), the same figures counted straight from the case tables, the dashboard
after ``--writes`` referrals were written (each woman is recomputed), and the trend chart.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _check(condition: bool, message: object) -> None:
    if not condition:
        raise SystemExit(f"bench: {message}")


def _login(client, username: str, totp: bool) -> None:  # type: ignore[no-untyped-def]
    from casework.crypto import totp as totp_mod
    from casework.demo import DEMO_PASSWORD, DEMO_TOTP_SEED

    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD})
    _check(response.status_code == 302, response.status_code)
    if totp:
        step = int(time.time() // totp_mod.STEP_SECONDS) + 1
        code = totp_mod.code_at(DEMO_TOTP_SEED, step * totp_mod.STEP_SECONDS)
        response = client.post("/login/verify", data={"code": code})
        _check(response.status_code == 302, "second factor refused")


def _cold_warm(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    started = time.perf_counter()
    fn()
    cold = (time.perf_counter() - started) * 1000
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return cold, statistics.median(samples) if samples else cold


def bench_one(database_url: str, instance: Path, period_key: str, runs: int,
              quick: bool, writes: int) -> list[str]:
    from generate import make_app
    from sqlalchemy import delete, select, text

    from casework import indicators
    from casework.extensions import db
    from casework.models.indicator import IndicatorPeriod
    from casework.models.org import OrgUnit

    app = make_app(database_url, instance)
    app.config["WTF_CSRF_ENABLED"] = False
    as_of = date(2025, 12, 31)
    with app.app_context():
        province = db.session.scalar(select(OrgUnit).where(OrgUnit.code == "ND"))
        _check(province is not None, "run bench/generate.py first")
        scope = province
        if quick:  # a district: the same statements over a tenth of the province
            scope = db.session.scalar(select(OrgUnit).where(OrgUnit.parent_id == province.id)
                                      .order_by(OrgUnit.code))
        scope_id, scope_code = scope.id, scope.code
        period = indicators.parse_period(period_key, as_of)
        # Start from nothing stored: the first read builds the period.
        db.session.execute(delete(IndicatorPeriod))
        db.session.commit()

        def units() -> None:
            list(db.session.scalars(select(OrgUnit).where(
                OrgUnit.path.startswith(scope.path, autoescape=True))))

        def stored_sql() -> None:  # exactly what compute() sends
            units()
            indicators.figure_rows(scope, period)
            db.session.rollback()

        def direct_sql() -> None:  # the same figures counted from the case tables
            units()
            indicators.figure_rows(scope, period, stored=False)
            db.session.rollback()

        started = time.perf_counter()
        result = indicators.compute(scope, period)
        build = (time.perf_counter() - started) * 1000
        stored = _cold_warm(stored_sql, runs)
        direct = _cold_warm(direct_sql, 1 if quick else 2)
        _check(result.snapshot() == indicators.compute(scope, period, stored=False).snapshot(),
               "stored and direct figures differ")
        db.session.remove()

    supervisor = app.test_client()
    _login(supervisor, "giamsat", totp=True)
    url = f"/supervision/?unit={scope_id}&period={period_key}&as_of={as_of.isoformat()}"

    def dashboard_request() -> None:
        _check(supervisor.get(url).status_code == 200, "dashboard: unexpected answer")

    dashboard = _cold_warm(dashboard_request, runs)

    # A working day's writes: `writes` referrals touched (status written again, so every
    # trigger fires and every woman is recomputed, figures unchanged), then the dashboard.
    with app.app_context():
        ids = list(db.session.scalars(text(
            "SELECT id FROM referrals ORDER BY id LIMIT :n"), {"n": writes}))
        for referral_id in ids:
            db.session.execute(text("UPDATE referrals SET status = status WHERE id = :id"),
                               {"id": referral_id})
        db.session.commit()
        db.session.remove()
    started = time.perf_counter()
    dashboard_request()
    after_writes = (time.perf_counter() - started) * 1000

    chart_url = f"/supervision/chart.svg?unit={scope_id}&as_of={as_of.isoformat()}"
    chart = _cold_warm(lambda: supervisor.get(chart_url), runs)

    caseworker = app.test_client()
    _login(caseworker, "canbo.thinhlong", totp=False)

    def case_list_request() -> None:
        _check(caseworker.get("/cases").status_code == 200, "case list: unexpected answer")

    case_list = _cold_warm(case_list_request, runs)
    hello = _cold_warm(lambda: caseworker.get("/healthz"), runs)

    backend = database_url.split(":", 1)[0]
    return [
        f"backend {backend}; scope {scope_code}; period {period.key}; eligible "
        f"{result.total.eligible}, connected {result.total.connected}, "
        f"median days {result.median_days}",
        f"                              cold ms   warm ms (median of {runs})",
        f"first read: build the period {build:8.1f}",
        f"dashboard request           {dashboard[0]:8.1f}  {dashboard[1]:8.1f}",
        f"bare SQL (same stmts)       {stored[0]:8.1f}  {stored[1]:8.1f}   "
        f"ratio dashboard/SQL warm {dashboard[1] / stored[1]:5.2f}",
        f"direct count (case tables)  {direct[0]:8.1f}  {direct[1]:8.1f}",
        f"dashboard after {writes} writes {after_writes:8.1f}",
        f"trend chart (10 half-years) {chart[0]:8.1f}  {chart[1]:8.1f}",
        f"case list (/cases)          {case_list[0]:8.1f}  {case_list[1]:8.1f}",
        f"hello world (/healthz)      {hello[0]:8.1f}  {hello[1]:8.1f}   "
        f"ratio list/hello warm {case_list[1] / hello[1]:5.2f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", action="append", required=True,
                        help="repeat for each database (SQLite and PostgreSQL)")
    parser.add_argument("--instance",
                        default=os.environ.get("BENCH_INSTANCE", "instance/bench"))
    parser.add_argument("--period", default="2025H2")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--writes", type=int, default=500,
                        help="referrals written between two dashboard requests")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: one district, two warm runs")
    args = parser.parse_args()
    runs = 2 if args.quick else args.runs
    print(f"host load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    for url in args.database_url:
        for line in bench_one(url, Path(args.instance), args.period, runs, args.quick,
                               args.writes):
            print(line, flush=True)


if __name__ == "__main__":
    main()
