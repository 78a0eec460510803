"""Time, in one run, the supervision dashboard against the bare SQL it runs, and the case list
against a hello-world route (``/healthz``), and print the ratios.

    .venv/bin/python bench/bench_dashboard.py --database-url sqlite:////tmp/bench.sqlite3
    .venv/bin/python bench/bench_dashboard.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench

Fill the database first with ``bench/generate.py``. Requests go through the real app in process
(Flask test client: routing, login session, authorisation, templates, audit), logged in as the
demo provincial supervisor and a commune caseworker. Each figure is the median of ``--runs``.
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


def _median_ms(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm caches and compiled statements
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--instance",
                        default=os.environ.get("BENCH_INSTANCE", "instance/bench"))
    parser.add_argument("--period", default="2025H2")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    from generate import make_app

    from casework import indicators
    from casework.extensions import db
    from casework.models.org import OrgUnit
    from casework.services.effective_dates import today

    app = make_app(args.database_url, Path(args.instance))
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        province = db.session.scalar(db.select(OrgUnit).where(OrgUnit.code == "ND"))
        _check(province is not None, "run bench/generate.py first")
        period = indicators.parse_period(args.period, min(today(), date(2025, 12, 31)))

        def bare_sql() -> None:
            # Exactly the statements indicators.compute() sends for the dashboard.
            db.session.execute(indicators.unit_counts_statement(period, province)).all()
            indicators.category_breakdown(province, period)
            indicators.partner_breakdown(province, period)
            db.session.execute(indicators.median_statement(province, period)).one()
            db.session.rollback()

        bare = _median_ms(bare_sql, args.runs)
        result = indicators.compute(province, period)
        db.session.remove()

    supervisor = app.test_client()
    _login(supervisor, "giamsat", totp=True)
    url = f"/supervision/?period={args.period}&as_of=2025-12-31"
    _check(supervisor.get(url).status_code == 200, "unexpected answer")
    dashboard = _median_ms(lambda: supervisor.get(url), args.runs)

    caseworker = app.test_client()
    _login(caseworker, "canbo.thinhlong", totp=False)
    _check(caseworker.get("/cases").status_code == 200, "unexpected answer")
    case_list = _median_ms(lambda: caseworker.get("/cases"), args.runs)
    hello = _median_ms(lambda: caseworker.get("/healthz"), args.runs)

    backend = args.database_url.split(":", 1)[0]
    print(f"backend {backend}; period {period.key}; province: eligible "
          f"{result.total.eligible}, connected {result.total.connected}")
    print(f"dashboard request      {dashboard:8.1f} ms")
    print(f"bare SQL aggregate     {bare:8.1f} ms   "
          f"ratio dashboard/SQL   {dashboard / bare:5.2f}")
    print(f"case list (/cases)     {case_list:8.1f} ms")
    print(f"hello world (/healthz) {hello:8.1f} ms   "
          f"ratio list/hello      {case_list / hello:5.2f}")


if __name__ == "__main__":
    main()
