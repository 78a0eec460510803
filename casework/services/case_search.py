"""Search within the user's scope: exact case number, or national ID / phone / name + birth year
through blind indexes (an indexed lookup; only the candidates are decrypted)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from casework import audit
from casework.crypto import blind_index
from casework.extensions import db
from casework.models.case import Case
from casework.services.cases import clean_national_id, clean_phone
from casework.services.effective_dates import clean_text, today
from casework.services.errors import DomainError

MAX_RESULTS = 50
NAME_YEAR_RE = re.compile(r"(\D+?)\s+(\d{4})")
NAME_NEEDS_YEAR = _l("To find her by name, add her year of birth (in the year box, or after the "
                     "name: Lê Thị Hoa 1996).")
GIVEN_NAME_ALONE = _l("A given name alone cannot be searched (her record is encrypted): type her "
                      "full name and year of birth, e.g. Lê Thị Hoa 1996, or her phone or "
                      "CCCD number.")


def _looks_like_a_name(text: str) -> bool:
    """Letters and spaces (a year may follow): a name, not a case number such as C1-2026-0001."""
    return bool(re.search(r"[^\W\d_]", text)) and (
        not re.search(r"\d", text) or NAME_YEAR_RE.fullmatch(text) is not None)


@dataclass
class SearchTerms:
    text: str | None = None  # case number, CCCD or phone
    name: str | None = None
    birth_year: int | None = None


def search(visible: Any, terms: SearchTerms, *, actor: Any) -> tuple[str, list[Case]]:
    """Return (kind of search, matching cases within ``visible``). Audited without the terms.

    Raises DomainError when nothing searchable was given (a name needs a birth year).
    """
    text = clean_text(terms.text, limit=60, field="q")
    name = clean_text(terms.name, limit=120, field="name")
    year = terms.birth_year
    kind, rows = "", []
    if text and _looks_like_a_name(text):  # the one box understands a name too
        name, text = text, None
        with_year = NAME_YEAR_RE.fullmatch(name)
        if with_year:
            name, year = with_year.group(1).strip(), int(with_year.group(2))
        if len(name.split()) == 1 and year is None:
            raise DomainError(GIVEN_NAME_ALONE, "q")
        if year is None:
            raise DomainError(NAME_NEEDS_YEAR, "birth_year")
    if text:
        digits = re.sub(r"[\s.\-+()]", "", text)
        if digits.isdigit() and len(digits) == 12:
            kind = "national_id"
            rows = blind_index.find(db.session(), Case, "national_id",
                                    clean_national_id(text), within=visible)
        elif digits.isdigit():
            kind = "phone"
            try:
                phone = clean_phone(text)
            except DomainError:
                raise DomainError(_l("Enter a case number, a 12-digit CCCD number or a phone "
                                     "number."), "q") from None
            rows = blind_index.find(db.session(), Case, "phone", phone, within=visible)
        else:
            kind = "case_number"
            rows = list(db.session.scalars(
                visible.where(func.upper(Case.case_number) == text.upper().replace(" ", ""))))
    elif name:
        if year is None or not 1900 <= year <= today().year:
            raise DomainError(_l("A name search needs her year of birth."), "birth_year")
        kind = "name_birth_year"
        rows = blind_index.find(db.session(), Case, "name_birth_year", name, year, within=visible)
    else:
        raise DomainError(_l("Enter a case number, a CCCD or phone number, or a name and a "
                             "year of birth."), "q")
    audit.record("case.searched", actor=actor, details={"kind": kind, "results": len(rows)})
    rows.sort(key=lambda c: (c.status != "open", c.case_number))
    return kind, rows[:MAX_RESULTS]
