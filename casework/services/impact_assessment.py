"""The impact-assessment dossier (Decree 13/2023/ND-CP, art. 24 style), generated from the system.

Nothing in it is typed by hand into a template: the field inventory comes from the crypto
model registry (``encrypted_models``, so a new encrypted field appears by itself, marked "to be
classified" until it has a class here), the clear columns from the same models' mappers, the
purposes from ``domain.CONSENT_PURPOSES``, access by role from ``authz.ROLE_PERMISSIONS``,
partners and what they may receive from the database and ``referrals.SHARE_OPTIONS``, keys from
``casework/crypto/README.md``, the retention schedule from ``services/retention``, and the
audit trail's extent from ``audit_events``. The officer completes the risk sections and signs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, inspect, select

from casework import domain
from casework.authz import ROLE_PERMISSIONS, Permission
from casework.blueprints.supervision import labels
from casework.crypto import fields as crypto_fields
from casework.crypto.models import Subject
from casework.extensions import db
from casework.labels import role_label
from casework.models.audit import AuditEvent
from casework.models.org import OrgUnit
from casework.models.provider import ProviderCategory, ServiceProvider
from casework.models.referral import Referral
from casework.models.user import User
from casework.services import retention
from casework.services.consents import SHAREABLE_FIELDS
from casework.services.referrals import SHARE_OPTIONS

CRYPTO_README = Path(crypto_fields.__file__).with_name("README.md")

#: SECURITY.md's classes. S+ = narrative and history; S = identity. A field not listed here is
#: shown as "to be classified" (never hidden): the dossier is complete before it is tidy.
FIELD_CLASSES: dict[str, str] = {
    "full_name": "S", "given_name": "S", "other_names": "S", "date_of_birth": "S",
    "national_id": "S", "phone": "S", "address": "S", "witness_name": "S",
    "family_situation": "S+", "history": "S+", "note": "S+", "body": "S+", "title": "S+",
    "backdate_reason": "S+", "reason": "S+", "shared_data": "S",
}
CLASS_LABELS: dict[str, Any] = {
    "S+": _l("S+ — her story (history, health, family, notes): sensitive personal data"),
    "S": _l("S — her identity (name, date of birth, ID, phone, address): sensitive in this "
            "context"),
    "?": _l("To be classified by the officer (a new field)"),
}
PERMISSION_LABELS: dict[Permission, Any] = {
    Permission.USE_ACCOUNT: _l("own account"),
    Permission.MANAGE_USERS: _l("manage accounts"),
    Permission.MANAGE_UNITS: _l("manage units"),
    Permission.MANAGE_PROVIDERS: _l("manage partners"),
    Permission.VIEW_PROVIDERS: _l("see the partner list"),
    Permission.VIEW_CASES: _l("read cases of their area (decrypted)"),
    Permission.EDIT_CASES: _l("record and correct cases"),
    Permission.MERGE_CASES: _l("merge duplicate cases"),
    Permission.ERASE_CASES: _l("erase a woman's data"),
    Permission.SEND_REFERRALS: _l("send referrals (share consented details)"),
    Permission.REVIEW_DECLINES: _l("review declined referrals"),
    Permission.PARTNER_PORTAL: _l("see referrals sent to their organisation, shared details only"),
    Permission.VIEW_INDICATORS: _l("see aggregate figures"),
    Permission.AUDIT_OUTCOMES: _l("check partners' confirmations"),
    Permission.VIEW_ACCESS_LOG: _l("read the access log"),
    Permission.SIGN_OFF_REPORTS: _l("sign off reports"),
    Permission.EXPORT_DEIDENTIFIED: _l("download de-identified data"),
    Permission.IMPORT_RECORDS: _l("import paper records"),
    Permission.REVIEW_IMPORT_MATCHES: _l("review imported records that may be on file"),
    Permission.VIEW_CASE_ACCESS: _l("see who saw a woman's file"),
    Permission.BREACH_REPORT: _l("prepare the breach answer"),
    Permission.REVIEW_RETENTION: _l("review and confirm erasures due under the schedule"),
    Permission.VIEW_IMPACT_DOSSIER: _l("print this dossier"),
}
PURPOSE_USES: dict[str, Any] = {
    "keep_record": _l("keeping her case file; withdrawn: her record is proposed for erasure "
                      "after the schedule's days"),
    "share": _l("sending the chosen details to partners of one service category; withdrawn: "
                "partners lose access at once"),
    "contact_phone": _l("phone calls; without it a phone call cannot be recorded"),
    "contact_visit": _l("home visits; without it a home visit cannot be recorded"),
    "statistics": _l("the de-identified data file; without it she is left out of it (aggregate "
                     "counts, which are not personal data, stay whole)"),
}
KEY_LABELS: dict[str, Any] = {
    "KEK": _l("Key-encryption keys (epochs): wrap each woman's data key"),
    "Data key": _l("One data key per woman: encrypts every encrypted field of hers; destroyed "
                   "at erasure"),
    "Blind-index root": _l("Search index key: exact-match search without decrypting"),
    "Audit key": _l("Audit key: chains the access log so that changes are detected"),
    "App key": _l("Application key: second-factor seeds and one-time link digests"),
}


@dataclass
class FieldRow:
    table: str
    object_label: str
    field: str
    field_label: str
    data_class: str
    class_label: str
    searchable: bool


def inventory(models: Sequence[type[Any]] | None = None) -> list[FieldRow]:
    """Every encrypted field of every registered model (the crypto registry by default)."""
    rows = []
    for model in models if models is not None else crypto_fields.encrypted_models():
        indexed = {f for index in getattr(model, "__blind_indexes__", ()) for f in index.fields}
        for name in crypto_fields.encrypted_fields(model):
            data_class = FIELD_CLASSES.get(name, "?")
            rows.append(FieldRow(
                table=model.__tablename__, object_label=labels.object_label(model.__tablename__),
                field=name, field_label=labels.field_label(name), data_class=data_class,
                class_label=str(CLASS_LABELS[data_class]), searchable=name in indexed))
    return rows


def clear_columns(models: Sequence[type[Any]] | None = None) -> list[tuple[str, list[str]]]:
    """The columns kept in clear (class M and L: codes, dates, ids) of the same models."""
    out = []
    for model in models if models is not None else crypto_fields.encrypted_models():
        encrypted = {spec.column for spec in crypto_fields.encrypted_fields(model).values()}
        names = [c.key for c in inspect(model).columns
                 if c.key not in encrypted and c.key not in ("id", "subject_id")]
        out.append((labels.object_label(model.__tablename__), names))
    return out


def key_rows(readme: Path = CRYPTO_README) -> list[dict[str, str]]:
    """The key table of the crypto README: name, algorithm, and a Vietnamese description."""
    rows: list[dict[str, str]] = []
    try:
        text = readme.read_text(encoding="utf-8")
    except OSError:
        return rows
    for line in text.splitlines():
        match = re.match(r"^\|\s*\*\*(?P<name>[^*]+)\*\*(?P<rest>[^|]*)\|(?P<alg>[^|]*)\|"
                         r"(?P<use>[^|]*)\|(?P<rot>[^|]*)\|", line)
        if not match:
            continue
        name = match["name"].strip()
        rows.append({"name": name, "algorithm": match["alg"].strip().replace("`", ""),
                     "label": str(KEY_LABELS.get(name, match["use"].strip().replace("`", ""))),
                     "rotation": match["rot"].strip().replace("`", "")})
    return rows


def dossier() -> dict[str, Any]:
    """Everything the dossier shows, from the live system."""
    roles = [{"role": role, "label": role_label(role),
              "accounts": db.session.scalar(select(func.count()).select_from(User)
                                            .where(User.role == role, User.active.is_(True))),
              "may": [str(PERMISSION_LABELS.get(p, p.value)) for p in Permission if p in perms]}
             for role, perms in ROLE_PERMISSIONS.items()]
    partners = []
    for provider in db.session.scalars(select(ServiceProvider).order_by(ServiceProvider.name)):
        categories = db.session.scalars(select(ProviderCategory.category).where(
            ProviderCategory.provider_id == provider.id)).all()
        shared = db.session.scalar(select(func.count()).select_from(Referral).where(
            Referral.provider_id == provider.id, Referral.shared_fields != "")) or 0
        received = sorted({name for value in db.session.scalars(
            select(Referral.shared_fields).where(Referral.provider_id == provider.id).distinct())
            for name in (value or "").split(",") if name})
        partners.append({"name": provider.name, "kind": domain.label(domain.PROVIDER_KINDS,
                                                                       provider.kind),
                         "categories": [domain.label(domain.SERVICE_CATEGORIES, c)
                                        for c in categories], "referrals": shared,
                         "received": [labels.field_label(n) for n in received]})
    first, last, count = db.session.execute(select(
        func.min(AuditEvent.occurred_at), func.max(AuditEvent.occurred_at),
        func.count())).one()
    root = db.session.scalar(select(OrgUnit).where(OrgUnit.parent_id.is_(None))
                             .order_by(OrgUnit.id).limit(1))
    return {
        "controller": root.name if root else "",
        "inventory": inventory(), "clear_columns": clear_columns(),
        "purposes": [(domain.CONSENT_PURPOSES[k], PURPOSE_USES.get(k, ""))
                     for k in domain.CONSENT_PURPOSES],
        "roles": roles, "partners": partners,
        "share_options": [str(label) for label, _needs in SHARE_OPTIONS.values()],
        "consent_fields": [str(v) for v in SHAREABLE_FIELDS.values()],
        "key_table": key_rows(), "schedule": retention.schedule(),
        "women": db.session.scalar(select(func.count()).select_from(Subject)
                                   .where(Subject.erased.is_(False))) or 0,
        "erased": db.session.scalar(select(func.count()).select_from(Subject)
                                    .where(Subject.erased.is_(True))) or 0,
        "audit": {"first": first, "last": last, "count": count},
    }
