"""Fixtures for the referral loop: a case with a need and a share consent, a partner, people."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from casework.extensions import db
from casework.services.effective_dates import today

# Canary values: unique strings that must never show where they are not shared.
CANARY_NAME = "Canaryhoa Thị Zưởng"
CANARY_GIVEN = "Zưởng"
CANARY_PHONE = "0987000111"
CANARY_ID = "036199001122"
CANARY_ADDRESS = "Xóm Canary 77"
CANARY_HISTORY = "CANARY-HISTORY-STORY"


@dataclass
class Loop:
    case: Any
    need: Any
    consent: Any
    provider: Any
    other_provider: Any
    caseworker: Any
    other_caseworker: Any
    supervisor: Any
    partner: Any
    other_partner: Any
    admin: Any


@pytest.fixture
def loop(org, make_user, make_provider, make_case, make_need, make_consent) -> Loop:
    from casework.services import providers

    start = today() - timedelta(days=20)
    case = make_case(org.c1, full_name=CANARY_NAME, phone=CANARY_PHONE, national_id=CANARY_ID,
                     intake_date=start, date_of_birth=date(1996, 3, 4), address=CANARY_ADDRESS,
                     history=CANARY_HISTORY)
    case.given_name = CANARY_GIVEN
    need = make_need(case, "vocational_training", identified_on=start)
    consent = make_consent(case, "share", "vocational_training", given_on=start)
    consent.shared_fields = "full_name,phone,national_id"
    provider = make_provider(kind="vocational_training_centre", response_days=5,
                             followup_days=10)
    providers.set_categories(provider, ["vocational_training", "jobs"])
    providers.set_areas(provider, [org.d1.id])
    other = make_provider(kind="ngo")
    providers.set_categories(other, ["vocational_training"])
    providers.set_areas(other, [org.province.id])
    db.session.commit()
    return Loop(
        case=case, need=need, consent=consent, provider=provider, other_provider=other,
        caseworker=make_user("caseworker", unit=org.c1),
        other_caseworker=make_user("caseworker", unit=org.c3),
        supervisor=make_user("supervisor", unit=org.d1),
        partner=make_user("partner", provider=provider),
        other_partner=make_user("partner", provider=other),
        admin=make_user("admin"),
    )


@pytest.fixture
def draft(loop):
    from casework.services import referrals

    referral = referrals.create_draft(loop.need, loop.provider, actor=loop.caseworker)
    db.session.commit()
    return referral


@pytest.fixture
def sent(loop, draft):
    from casework.services import referrals

    referrals.send(draft, actor=loop.caseworker, version=draft.version,
                   fields=["given_name", "phone", "age_band"], referred_on=today() - timedelta(
                       days=2), partner_note="Muốn học may")
    db.session.commit()
    return draft


def bring_to(referral: Any, status: str, loop: Loop) -> Any:
    """Move a sent referral along the table to ``status`` through the service."""
    from casework.services import referrals

    paths = {
        "sent": [], "accepted": ["accept"], "on_hold": ["hold"], "declined": ["decline"],
        "in_service": ["accept", "confirm_uptake"],
        "completed": ["accept", "confirm_uptake", "complete"],
        "not_completed": ["accept", "not_complete"], "cancelled": ["cancel"],
    }
    inputs = {
        "accept": referrals.ActionInput(effective_date=today() - timedelta(days=1)),
        "hold": referrals.ActionInput(effective_date=today(), reason_code="waiting_list"),
        "decline": referrals.ActionInput(effective_date=today(), reason_code="no_capacity",
                                         note="Hết chỗ"),
        "confirm_uptake": referrals.ActionInput(effective_date=today()),
        "complete": referrals.ActionInput(effective_date=today(),
                                          outcome_code="certificate_obtained"),
        "not_complete": referrals.ActionInput(effective_date=today(),
                                              reason_code="did_not_attend"),
        "cancel": referrals.ActionInput(effective_date=today(), reason_code="other"),
    }
    for action in paths[status]:
        actor = loop.caseworker if action == "cancel" else loop.partner
        referrals.act(referral, action, inputs[action], actor=actor, version=referral.version)
        db.session.commit()
    return referral


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
VERSION_RE = re.compile(r'id="(?:[a-z_]+-)?version"[^>]*value="(\d+)"')


def form_values(html: str) -> dict[str, str]:
    token = CSRF_RE.search(html)
    version = VERSION_RE.search(html)
    return {"csrf_token": token.group(1) if token else "",
            "version": version.group(1) if version else ""}


@pytest.fixture
def english(app):
    """Service messages in English (the source language) for matching in service tests."""
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("en"):
        yield
