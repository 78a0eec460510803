"""Demo data: Nam Định's units (2021 boundaries), a few providers and one account per role.

Idempotent: everything is looked up by its code or username first, so loading twice adds nothing.
Demo accounts are for a local machine only; ``flask demo load`` refuses to run in production.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from casework.demo.activity import load_activity
from casework.demo.cases import load_cases
from casework.demo.referrals import PARTNER_ACCOUNTS, load_network, load_referrals
from casework.demo.tipoffs import load_tipoffs
from casework.extensions import db
from casework.models.org import OrgUnit
from casework.models.provider import ServiceProvider
from casework.models.user import User
from casework.services import accounts, mfa, org_units

DEMO_PASSWORD = "namdinh-demo-2025"  # noqa: S105 - published demo credential, development only
# Fixed authenticator seeds for demo admin/supervisor so the printed logins work at once.
DEMO_TOTP_SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

PROVINCE = ("ND", "Tỉnh Nam Định", "province")
# (code, name, kind, [(code suffix, name, kind), ...]) — communes named in the plan included.
DISTRICTS = [
    (
        "ND-TP",
        "Thành phố Nam Định",
        "city",
        [
            ("TRANHUNGDAO", "Phường Trần Hưng Đạo", "ward"),
            ("VIXUYEN", "Phường Vị Xuyên", "ward"),
            ("LOCHA", "Phường Lộc Hạ", "ward"),
            ("NANGTINH", "Phường Năng Tĩnh", "ward"),
        ],
    ),
    (
        "ND-GT",
        "Huyện Giao Thủy",
        "district",
        [
            ("QUATLAM", "Thị trấn Quất Lâm", "town"),
            ("GIAOTHUY", "Thị trấn Giao Thủy", "town"),
            ("GIAOLAC", "Xã Giao Lạc", "commune"),
            ("GIAOTHIEN", "Xã Giao Thiện", "commune"),
        ],
    ),
    (
        "ND-HH",
        "Huyện Hải Hậu",
        "district",
        [
            ("THINHLONG", "Thị trấn Thịnh Long", "town"),
            ("YENDINH", "Thị trấn Yên Định", "town"),
            ("CON", "Thị trấn Cồn", "town"),
            ("HAIMINH", "Xã Hải Minh", "commune"),
        ],
    ),
    (
        "ND-ML",
        "Huyện Mỹ Lộc",
        "district",
        [
            ("MYLOC", "Thị trấn Mỹ Lộc", "town"),
            ("MYHUNG", "Xã Mỹ Hưng", "commune"),
            ("MYTHANG", "Xã Mỹ Thắng", "commune"),
        ],
    ),
    (
        "ND-NT",
        "Huyện Nam Trực",
        "district",
        [
            ("NAMGIANG", "Thị trấn Nam Giang", "town"),
            ("NAMDIEN", "Xã Nam Điền", "commune"),
            ("NAMTHANG", "Xã Nam Thắng", "commune"),
        ],
    ),
    (
        "ND-NH",
        "Huyện Nghĩa Hưng",
        "district",
        [
            ("NGHIASON", "Xã Nghĩa Sơn", "commune"),
            ("LIEUDE", "Thị trấn Liễu Đề", "town"),
            ("RANGDONG", "Thị trấn Rạng Đông", "town"),
            ("QUYNHAT", "Thị trấn Quỹ Nhất", "town"),
        ],
    ),
    (
        "ND-TN",
        "Huyện Trực Ninh",
        "district",
        [
            ("COLE", "Thị trấn Cổ Lễ", "town"),
            ("CATTHANH", "Thị trấn Cát Thành", "town"),
            ("TRUCTHANG", "Xã Trực Thắng", "commune"),
            ("NINHCUONG", "Thị trấn Ninh Cường", "town"),
        ],
    ),
    (
        "ND-VB",
        "Huyện Vụ Bản",
        "district",
        [
            ("GOI", "Thị trấn Gôi", "town"),
            ("LIENMINH", "Xã Liên Minh", "commune"),
            ("HIENKHANH", "Xã Hiển Khánh", "commune"),
        ],
    ),
    (
        "ND-XT",
        "Huyện Xuân Trường",
        "district",
        [
            ("XUANTRUONG", "Thị trấn Xuân Trường", "town"),
            ("XUANNGOC", "Xã Xuân Ngọc", "commune"),
            ("XUANHONG", "Xã Xuân Hồng", "commune"),
        ],
    ),
    (
        "ND-YY",
        "Huyện Ý Yên",
        "district",
        [
            ("LAM", "Thị trấn Lâm", "town"),
            ("YENNINH", "Xã Yên Ninh", "commune"),
            ("YENKHANH", "Xã Yên Khánh", "commune"),
        ],
    ),
]

PROVIDERS = [
    ("DVVL-ND", "Trung tâm Dịch vụ việc làm tỉnh Nam Định", "employment_service"),
    ("NHCSXH-HH", "Ngân hàng Chính sách xã hội huyện Hải Hậu", "social_policy_bank"),
    ("TGPL-ND", "Trung tâm Trợ giúp pháp lý nhà nước tỉnh Nam Định", "legal_aid"),
]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: str
    unit_code: str | None = None
    provider_code: str | None = None


DEMO_ACCOUNTS = [
    DemoAccount("admin", "Quản trị hệ thống", "admin", unit_code="ND"),
    DemoAccount("giamsat", "Giám sát tỉnh", "supervisor", unit_code="ND"),
    DemoAccount("giamsat.haihau", "Giám sát Hải Hậu", "supervisor", unit_code="ND-HH"),
    DemoAccount("canbo.thinhlong", "Cán bộ Thịnh Long", "caseworker", unit_code="ND-HH-THINHLONG"),
    DemoAccount("canbo.nghiason", "Cán bộ Nghĩa Sơn", "caseworker", unit_code="ND-NH-NGHIASON"),
    DemoAccount("doitac.vieclam", "Đối tác Dịch vụ việc làm", "partner", provider_code="DVVL-ND"),
]


def _unit(code: str) -> OrgUnit | None:
    return db.session.scalar(select(OrgUnit).where(OrgUnit.code == code))


def _ensure_unit(code: str, name: str, kind: str, parent: OrgUnit | None) -> OrgUnit:
    return _unit(code) or org_units.create_unit(
        code=code, name=name, kind=kind, parent=parent, actor=None
    )


def load_units() -> OrgUnit:
    province = _ensure_unit(*PROVINCE, parent=None)
    for code, name, kind, communes in DISTRICTS:
        district = _ensure_unit(code, name, kind, province)
        for suffix, commune_name, commune_kind in communes:
            _ensure_unit(f"{code}-{suffix}", commune_name, commune_kind, district)
    return province


def load_providers() -> None:
    for code, name, kind in PROVIDERS:
        if db.session.scalar(select(ServiceProvider).where(ServiceProvider.code == code)) is None:
            db.session.add(ServiceProvider(code=code, name=name, kind=kind))
    db.session.flush()


def load_accounts() -> list[DemoAccount]:
    for spec in DEMO_ACCOUNTS:
        if accounts.get_by_username(spec.username) is not None:
            continue
        provider = (
            db.session.scalar(
                select(ServiceProvider).where(ServiceProvider.code == spec.provider_code)
            )
            if spec.provider_code
            else None
        )
        user = accounts.create_user(
            accounts.NewUser(
                username=spec.username,
                display_name=spec.display_name,
                role=spec.role,
                password=DEMO_PASSWORD,
                org_unit=_unit(spec.unit_code) if spec.unit_code else None,
                provider=provider,
                must_change_password=False,
            ),
            actor=None,
        )
        if spec.role in ("admin", "supervisor"):
            enrol_demo_totp(user)
    return DEMO_ACCOUNTS


def enrol_demo_totp(user: User) -> None:
    mfa.store_seed(user, DEMO_TOTP_SEED)
    db.session.flush()


def load_all() -> list[DemoAccount]:
    """Load every demo record that is missing; the caller commits."""
    load_units()
    load_providers()
    created = load_accounts()

    load_network()

    load_cases()
    load_referrals()
    load_activity()
    load_tipoffs()

    partners = [DemoAccount(u, name, "partner", provider_code=code)
                for u, name, code in PARTNER_ACCOUNTS]
    return [*created, *partners]
