"""Demo partner network for Nam Định (every service category) and a few demo referrals.

Providers are looked up by code (the three created by ``demo.load_providers`` are extended, not
duplicated); referrals by ``external_ref``. Loading twice adds nothing. Names are real kinds of
institutions in the province; phone numbers are samples, not the offices' real lines.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from casework.extensions import db
from casework.models.case import Case
from casework.models.need import Need
from casework.models.org import OrgUnit
from casework.models.provider import ServiceProvider
from casework.models.referral import Referral
from casework.models.user import User
from casework.services import accounts, partner_links, providers, referrals
from casework.services import referral_flow as flow
from casework.services.effective_dates import today

# (code, name, kind, categories, area unit codes, response days, follow-up days)
NETWORK: list[tuple[str, str, str, tuple[str, ...], tuple[str, ...], int, int]] = [
    ("DVVL-ND", "Trung tâm Dịch vụ việc làm tỉnh Nam Định", "employment_service",
     ("jobs", "vocational_training", "startup"), ("ND",), 7, 30),
    ("NHCSXH-ND", "Ngân hàng Chính sách xã hội chi nhánh tỉnh Nam Định", "social_policy_bank",
     ("loans", "startup"), ("ND",), 10, 30),
    ("NHCSXH-HH", "Ngân hàng Chính sách xã hội huyện Hải Hậu", "social_policy_bank",
     ("loans",), ("ND-HH",), 7, 30),
    ("NHCSXH-NH", "Phòng giao dịch NHCSXH huyện Nghĩa Hưng", "social_policy_bank",
     ("loans",), ("ND-NH",), 7, 30),
    ("NHCSXH-GT", "Phòng giao dịch NHCSXH huyện Giao Thủy", "social_policy_bank",
     ("loans",), ("ND-GT",), 7, 30),
    ("TGPL-ND", "Trung tâm Trợ giúp pháp lý nhà nước tỉnh Nam Định", "legal_aid_centre",
     ("legal_aid",), ("ND",), 5, 30),
    ("CDC-ND", "Trung tâm Kiểm soát bệnh tật (CDC) tỉnh Nam Định", "health_hiv",
     ("health_hiv",), ("ND",), 3, 14),
    ("CDCN-ND", "Trường Cao đẳng Công nghiệp Nam Định", "vocational_training_centre",
     ("vocational_training",), ("ND",), 10, 45),
    ("GDNN-HH", "Trung tâm GDNN - GDTX huyện Hải Hậu", "vocational_training_centre",
     ("vocational_training",), ("ND-HH",), 7, 30),
    ("GDNN-NH", "Trung tâm GDNN - GDTX huyện Nghĩa Hưng", "vocational_training_centre",
     ("vocational_training",), ("ND-NH",), 7, 30),
    ("CTXH-ND", "Trung tâm Công tác xã hội tỉnh Nam Định", "shelter",
     ("gbv_support", "social_protection", "other"), ("ND",), 3, 14),
    ("LDTBXH-HH", "Phòng Lao động - Thương binh và Xã hội huyện Hải Hậu", "other",
     ("social_protection",), ("ND-HH",), 10, 30),
    ("DDANG-ND", "Nhóm đồng đẳng phụ nữ tỉnh Nam Định", "ngo",
     ("peer_groups", "health_hiv"), ("ND",), 5, 14),
]

# Partner accounts the demo referrals need (besides demo.py's doitac.vieclam).
PARTNER_ACCOUNTS = [
    ("doitac.nghe.haihau", "Đối tác GDNN Hải Hậu", "GDNN-HH"),
    ("doitac.cdc", "Đối tác CDC Nam Định", "CDC-ND"),
]

# (ref, case ref, need category, provider, caseworker, sent days ago, steps: (action, days ago))
REFERRALS: list[tuple[str, str, str, str, str, int, tuple[tuple[str, int], ...]]] = [
    ("demo-ref-1", "demo-01", "vocational_training", "GDNN-HH", "canbo.thinhlong", 60,
     (("accept", 55), ("confirm_uptake", 40))),
    # The Bank for Social Policies has no account: it answers through a one-time link and
    # the code on her slip (issue 12); demo-ref-5 still waits for its answer that way.
    ("demo-ref-2", "demo-01", "loans", "NHCSXH-HH", "canbo.thinhlong", 20,
     (("accept", 15), ("confirm_uptake", 8))),
    # She told the caseworker she started: reported, waiting for a supervisor to verify it.
    ("demo-ref-3", "demo-02", "jobs", "DVVL-ND", "canbo.thinhlong", 10,
     (("accept", 8), ("report_uptake", 2))),
    ("demo-ref-4", "demo-05", "startup", "DVVL-ND", "canbo.nghiason", 30, (("decline", 25),)),
    ("demo-ref-5", "demo-05", "loans", "NHCSXH-ND", "canbo.nghiason", 3, ()),
    ("demo-ref-6", "demo-03", "health_hiv", "CDC-ND", "canbo.thinhlong", 30,
     (("accept", 29), ("confirm_uptake", 27), ("complete", 5))),
]
_INPUTS: dict[str, dict[str, Any]] = {
    "decline": {"reason_code": "no_capacity", "note": "Hết chỉ tiêu khởi nghiệp quý này "
                                                      "(dữ liệu mẫu)."},
    "complete": {"outcome_code": "treatment_ongoing"},
    "report_uptake": {"reason_code": "showed_paper"},
}
# Providers without an account and how their links go (the rest keep SMS).
LINK_CHANNELS = {"NHCSXH-HH": "zalo", "NHCSXH-ND": "zalo"}
DEMO_NOTE = "Dữ liệu mẫu"


def load_network() -> None:
    """Create or extend the demo providers with their categories, areas and terms."""
    for code, name, kind, categories, areas, response, followup in NETWORK:
        unit_ids = [u.id for u in db.session.scalars(
            select(OrgUnit).where(OrgUnit.code.in_(areas)))]
        item = providers.get_by_code(code)
        if item is None:
            item = ServiceProvider(code=code, name=name, kind=kind)
            db.session.add(item)
        item.kind = kind  # fixes demo.py's early "legal_aid" kind code for TGPL-ND
        if not item.categories:
            providers.set_categories(item, categories)
            providers.set_areas(item, unit_ids)
            item.response_days, item.followup_days = response, followup
            item.contact_phone = f"0228 3{len(code):02d} {sum(map(ord, code)) % 1000:03d}"
            item.address = "Tỉnh Nam Định"
            item.link_channel = LINK_CHANNELS.get(code, "sms")
    db.session.flush()
    for username, display, code in PARTNER_ACCOUNTS:
        if accounts.get_by_username(username) is None:
            from casework.demo import DEMO_PASSWORD

            accounts.create_user(accounts.NewUser(
                username=username, display_name=display, role="partner",
                password=DEMO_PASSWORD, provider=providers.get_by_code(code),
                must_change_password=False), actor=None)
    db.session.flush()


def _partner_of(provider: ServiceProvider) -> Any:
    return db.session.scalar(select(User).where(User.provider_id == provider.id,
                                                User.role == "partner"))


def load_referrals() -> int:
    """Demo referrals in several states (needs the demo cases). Returns how many were added."""
    added = 0
    now = today()
    for ref, case_ref, category, code, username, sent_ago, steps in REFERRALS:
        if db.session.scalar(select(Referral.id).where(Referral.external_ref == ref)):
            continue
        case = db.session.scalar(select(Case).where(Case.external_ref == case_ref))
        provider = providers.get_by_code(code)
        caseworker = accounts.get_by_username(username)
        if case is None or provider is None or caseworker is None:
            continue
        need = db.session.scalar(select(Need).where(Need.case_id == case.id,
                                                    Need.category == category))
        partner = _partner_of(provider)
        if need is None:
            continue
        referral = referrals.create_draft(need, provider, actor=caseworker)
        referral.external_ref = ref
        referrals.send(referral, actor=caseworker, version=referral.version,
                       fields=list(referrals.DEFAULT_SHARE),
                       referred_on=now - timedelta(days=sent_ago),
                       partner_note="Chị muốn được hỗ trợ sớm (dữ liệu mẫu).", note=DEMO_NOTE)
        link: tuple[Any, str] | None = None
        for action, ago in steps:
            data = referrals.ActionInput(effective_date=now - timedelta(days=ago),
                                         **{"note": DEMO_NOTE, **_INPUTS.get(action, {})})
            if flow.BY_ACTION[action].side == flow.CASEWORKER:
                referrals.act(referral, action, data, actor=caseworker,
                              version=referral.version)
            elif partner is not None:
                referrals.act(referral, action, data, actor=partner, version=referral.version)
            else:  # no account: the partner answers through the link and her slip's code
                if link is None:
                    issued = partner_links.print_slip(referral, actor=caseworker)
                    key = partner_links.check_code(issued.link, issued.code)
                    link = (issued.link, key or "")
                partner_links.act(link[0], action, data, view_key=link[1],
                                  version=referral.version)
        added += 1
    db.session.flush()
    return added
