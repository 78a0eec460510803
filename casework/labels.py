"""Display labels for codes stored in the database (one translatable word per thing)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

ROLE_LABELS: dict[str, Any] = {
    "admin": _l("Administrator"),
    "supervisor": _l("Supervisor"),
    "caseworker": _l("Caseworker"),
    "partner": _l("Partner"),
}

UNIT_KIND_LABELS: dict[str, Any] = {
    "province": _l("Province"),
    "city": _l("City"),
    "district": _l("District"),
    "ward": _l("Ward"),
    "commune": _l("Commune"),
    "town": _l("Town"),
}


def role_label(code: str) -> Any:
    return ROLE_LABELS.get(code, code)


def unit_kind_label(code: str) -> Any:
    return UNIT_KIND_LABELS.get(code, code)
