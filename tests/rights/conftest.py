"""Fixtures for her rights: the supervision scenario, and a woman with a partner and an import."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest

from casework.extensions import db
from casework.services.effective_dates import today
from tests.supervision.conftest import make_referral, scenario, transfer  # noqa: F401


@pytest.fixture
def in_request(app):
    with app.test_request_context():
        yield


@pytest.fixture
def shared(app, org, make_user, make_case, make_need, make_consent, make_provider):
    """Two women in C1 referred (details shared) to partner P; a third referred to partner Q."""
    from casework.services import providers, referrals

    p, q = make_provider(name="Trung tâm Dạy nghề Thử"), make_provider(name="Ngân hàng Thử")
    for provider in (p, q):
        providers.set_categories(provider, ["vocational_training"])
        providers.set_areas(provider, [org.d1.id])
    db.session.commit()
    caseworker = make_user("caseworker", username="canbo1")
    start = today() - timedelta(days=20)
    women, refs = [], []
    for n, provider in enumerate((p, p, q)):
        case = make_case(org.c1, intake_date=start, full_name=f"Trần Thị Mẫu {n}")
        need = make_need(case, "vocational_training", identified_on=start)
        consent = make_consent(case, "share", "vocational_training", given_on=start)
        consent.shared_fields = "full_name,phone"
        db.session.commit()
        with app.test_request_context():
            referral = referrals.create_draft(need, provider, actor=caseworker)
            db.session.commit()
            referrals.send(referral, actor=caseworker, version=referral.version,
                           fields=["given_name", "phone"], referred_on=today() - timedelta(days=2),
                           partner_note="")
            db.session.commit()
        women.append(case)
        refs.append(referral)
    return SimpleNamespace(p=p, q=q, women=women, referrals=refs, caseworker=caseworker,
                           partner_p=make_user("partner", provider=p, username="doitac_p"),
                           partner_q=make_user("partner", provider=q, username="doitac_q"))
