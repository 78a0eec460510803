"""How long each of her rights takes for a woman with a two-year history (issue 19).

    .venv/bin/python bench/bench_rights.py --database-url sqlite:////tmp/bench-rights.sqlite3
    .venv/bin/python bench/bench_rights.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_rights

A fresh database with the demo units, accounts and partners. One woman gets two years of
history through the services (consents for every purpose, four needs, four referrals sent to a
partner, a note and a phone call every month); her file is then "opened" about every other day
for two years (``viewed`` events on her case and referral rows, partner reads of her referrals),
and ``--noise`` audit events about ``--others`` other women fill the trail around her. Each right
is timed (median of ``--rounds``) next to a baseline measured in the same run: loading her case
and decrypting her name (what opening any case page costs at least).

Measured on the 2-core machine with other test runs going on (so absolute times are high and
noisy), 538-line access list, 100,000 other audit events, median of 5. SQLite: access list
40 ms (its page rendered 162 ms), breach answer for her partner over two years 27 ms,
retention list 16 ms, printable pack 143 ms, XLSX pack 353 ms, dossier 151 ms (baseline 1.0 ms).
PostgreSQL: access list 151 ms (page 262 ms), breach answer 60 ms, retention list 14 ms,
printable pack 231 ms, XLSX pack 453 ms, dossier 154 ms (baseline 4.5 ms).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))


def timed(rounds: int, work: Callable[[], Any], after: Callable[[], Any]) -> float:
    values = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        values.append(time.perf_counter() - start)
        after()
    return statistics.median(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--instance", default=os.environ.get("BENCH_INSTANCE",
                                                             "/tmp/casework-bench-rights"))  # noqa: S108 - a throwaway bench instance
    parser.add_argument("--others", type=int, default=2000)
    parser.add_argument("--noise", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    from bench_import import drop_database, fresh_database
    from generate import make_app
    from sqlalchemy import select

    fresh_database(args.database_url)
    app = make_app(args.database_url, Path(args.instance))
    with app.test_request_context():
        from flask import render_template
        from flask_migrate import upgrade

        from casework import audit, demo
        from casework.extensions import db
        from casework.models.audit import AuditEvent
        from casework.models.org import OrgUnit
        from casework.models.provider import ServiceProvider
        from casework.models.referral import Referral
        from casework.models.user import User
        from casework.services import (
            access_history,
            cases,
            consents,
            her_pack,
            impact_assessment,
            needs,
            providers,
            referrals,
            retention,
            timeline,
        )
        from casework.services.effective_dates import LOCAL_ZONE, today

        upgrade()
        demo.load_all()
        db.session.commit()
        officer = db.session.scalar(select(User).where(User.role == "caseworker")
                                    .order_by(User.id))
        partner = db.session.scalar(select(User).where(User.role == "partner").order_by(User.id))
        provider = db.session.get(ServiceProvider, partner.provider_id)
        province = db.session.scalar(select(OrgUnit).where(OrgUnit.depth == 0))
        categories = ["vocational_training", "loans", "jobs", "legal_aid"]
        providers.set_categories(provider, categories)
        providers.set_areas(provider, [province.id])
        start = today() - timedelta(days=730)
        reason = "Nhập lại từ sổ giấy"
        case = cases.open_case(cases.CaseInput(
            full_name="Nguyễn Thị Đo Thời Gian", group="left_sex_work", referral_source="union",
            intake_date=start, phone="0912000111", national_id="036190000111",
            backdate_reason=reason), unit=officer.org_unit, actor=officer)
        for purpose in ("keep_record", "contact_phone", "contact_visit", "statistics"):
            consents.record_consent(case, consents.ConsentInput(
                purpose=purpose, given_on=start, method="signed_form", backdate_reason=reason),
                actor=officer)
        for n, category in enumerate(categories):
            on = start + timedelta(days=30 * n)
            consents.record_consent(case, consents.ConsentInput(
                purpose="share", service_category=category, given_on=on,
                method="signed_form", backdate_reason=reason), actor=officer)
            need = needs.add_need(case, needs.NeedInput(category, on, "Nhu cầu", reason),
                                  actor=officer)
            db.session.flush()
            referral = referrals.create_draft(need, provider, actor=officer)
            db.session.flush()
            referrals.send(referral, actor=officer, version=referral.version,
                           fields=["given_name", "phone"], referred_on=today(),
                           partner_note="")
        for month in range(24):
            on = start + timedelta(days=30 * month + 3)
            timeline.add_note(case, kind="note", on=on, body="Ghi chú hằng tháng", actor=officer,
                              backdate_reason=reason)
            timeline.add_note(case, kind="phone_call", on=on + timedelta(days=1),
                              body="Gọi điện hỏi thăm", actor=officer, backdate_reason=reason)
        db.session.commit()
        her_referrals = list(db.session.scalars(select(Referral.id)
                                                .where(Referral.case_id == case.id)))
        # Two years of opening her file, and the noise of everyone else's.
        rng = random.Random(19)
        hers = [{"action": "viewed", "target_type": "cases", "target_id": str(case.id),
                 "fields": ["full_name", "phone"]} for _ in range(365)]
        hers += [{"action": "referral.partner_viewed", "target_type": "referral",
                  "target_id": str(rng.choice(her_referrals)), "fields": ["given_name", "phone"]}
                 for _ in range(100)]
        audit.record_many(hers, actor=officer)
        others = [uuid.uuid4() for _ in range(args.others)]
        audit.record_many(({"action": "viewed", "target_type": "cases",
                            "target_id": str(rng.choice(others)), "fields": ["full_name"]}
                           for _ in range(args.noise)), actor=officer)
        db.session.commit()
        print(f"{db.engine.dialect.name}: her history {len(hers)} audit events over two years, "
              f"{args.noise} other events; median of {args.rounds}")

        def baseline() -> None:
            db.session.get(type(case), case.id).full_name  # noqa: B018 - the decryption is the work

        window_start = datetime.combine(start, datetime.min.time(), tzinfo=LOCAL_ZONE)
        window_end = datetime.now(LOCAL_ZONE) + timedelta(days=1)
        everything = select(AuditEvent)
        rights: dict[str, Callable[[], Any]] = {
            "baseline: open her case (load + decrypt name)": baseline,
            "1. who saw her file (access list)": lambda: access_history.case_access(case),
            "1. ... and its page rendered": lambda: render_template(
                "rights/access.html", case=case, rows=access_history.case_access(case),
                **her_pack.words()),
            "2. breach answer, her partner over 2 years": lambda: access_history.women_touched(
                everything, access_history.accounts_of_provider(provider), window_start,
                window_end),
            "4. retention: records due (whole province)": lambda: retention.proposals(
                select(type(case))),
            "5. her data pack, printable (data + access)": lambda: her_pack.pack(
                case, actor=officer, fmt="print"),
            "5. her data pack, XLSX": lambda: her_pack.workbook(case, actor=officer),
            "6. impact-assessment dossier": impact_assessment.dossier,
        }
        results = {}
        for name, work in rights.items():
            work()  # warm-up
            db.session.rollback()
            results[name] = timed(args.rounds, work, db.session.rollback)
        base = results["baseline: open her case (load + decrypt name)"]
        rows = len(access_history.case_access(case))
        for name, value in results.items():
            print(f"  {name:<48} {value * 1000:8.1f} ms  x{value / base:7.1f}")
        print(f"  (her access list has {rows} rows)")
    if not args.keep:
        with app.app_context():
            from casework.extensions import db

            db.engine.dispose()
        drop_database(args.database_url)


if __name__ == "__main__":
    main()
