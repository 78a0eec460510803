"""Opening and correcting a case: validation, case numbers, encrypted fields, duplicates.

Personal fields are encrypted by the crypto layer on flush; this module only validates and
normalises them (NFC text, Vietnamese phone numbers, CCCD numbers) and keeps the clear
analytical fields (group, unit, intake date, birth-year band, referral source) right.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import Table, func, select, update
from sqlalchemy.exc import IntegrityError

from casework import audit
from casework.authz import case_accepts_entries, case_in_scope
from casework.crypto import blind_index, new_subject
from casework.crypto.normalize import normalize_national_id, normalize_phone
from casework.domain import CASE_GROUPS, REFERRAL_SOURCES, birth_year_band
from casework.extensions import db
from casework.models.case import (
    Case,
    CaseCustody,
    CaseEpisode,
    CaseEvent,
    CaseNumberCounter,
    LateEntryReason,
)
from casework.models.org import UNIT_LEVEL, OrgUnit
from casework.services.effective_dates import check_date, clean_text, stated, today
from casework.services.errors import DomainError, Problems, StaleObjectError

# Length caps (characters) for the personal fields; a longer value gets a clear message.
LIMITS = {"full_name": 120, "other_names": 200, "address": 300, "family_situation": 4000,
          "history": 10000}
PERSONAL_FIELDS = ("full_name", "other_names", "date_of_birth", "national_id", "phone",
                   "address", "family_situation", "history")
MOBILE_RE = re.compile(r"^0[35789]\d{8}$")
LANDLINE_RE = re.compile(r"^02\d{9}$")
EARLIEST_BIRTH_YEAR = 1930
#: Plausible age (whole years, at intake) per group. Target 5 is about adult women who left
#: sex work; prevention work starts with girls at risk; trafficking returnees may be children.
AGE_BOUNDS: dict[str, tuple[int, int]] = {"left_sex_work": (16, 85), "high_risk": (12, 85),
                                           "trafficking_returnee": (0, 90)}
PICTOGRAPHS = frozenset({"So", "Cs", "Co", "Cn"})  # emoji and other symbols; unassigned


CLOSED_TO_ENTRIES = _l("This case is kept for history only (her data was erased or the case "
                       "was merged into another): it takes no more entries.")


def require_accepts_entries(case: Case) -> None:
    """THE check every writer calls first: an erased or merged case takes no more entries.

    Raises DomainError (HTTP 400 in the views) naming why nothing was written. The rule itself
    is :func:`casework.authz.case_accepts_entries`.
    """
    if not case_accepts_entries(case):
        raise DomainError(CLOSED_TO_ENTRIES)


def late_entry_reason(case_id: uuid.UUID, subject_id: uuid.UUID,
                      reason: str | None) -> LateEntryReason | None:
    """A late entry's free-text reason, encrypted under her data key (None without a reason).

    Events point at this row; the text is S+ and disappears with her data key on erasure.
    """
    if not reason:
        return None
    row = LateEntryReason(id=uuid.uuid4(), case_id=case_id, subject_id=subject_id)
    row.reason = reason
    db.session.add(row)
    return row


def clean_phone(value: str | None) -> str | None:
    """A Vietnamese phone number as 0xxxxxxxxx (mobile) or 02xxxxxxxxx (landline).

    Accepts spaces, dots, dashes, +84/84/0084 and a missing leading 0. Raises DomainError.
    """
    if value is None or not value.strip():
        return None
    if re.search(r"[^\d\s.\-+()]", value):
        raise DomainError(_l("Enter a Vietnamese phone number, e.g. 0912 345 678."), "phone")
    digits = normalize_phone(value)
    if len(digits) == 9 and digits[0] in "35789":
        digits = "0" + digits
    if not (MOBILE_RE.match(digits) or LANDLINE_RE.match(digits)):
        raise DomainError(_l("Enter a Vietnamese phone number, e.g. 0912 345 678."), "phone")
    return digits


def clean_national_id(value: str | None) -> str | None:
    """A CCCD number: 12 digits whose first three are a province code (001–096)."""
    if value is None or not value.strip():
        return None
    if re.search(r"[^\d\s.\-]", value):
        raise DomainError(_l("A CCCD number has 12 digits."), "national_id")
    digits = normalize_national_id(value)
    if len(digits) != 12:
        raise DomainError(_l("A CCCD number has 12 digits."), "national_id")
    if not 1 <= int(digits[:3]) <= 96:
        raise DomainError(_l("The first three digits of a CCCD number are a province code "
                             "from 001 to 096."), "national_id")
    return digits


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def check_name(value: str | None, field: str) -> None:
    """A name has letters (any script, with their accents), and no emoji or pictographs: "😀"
    alone, or beside a name, is refused (it would stand alone on the worklist)."""
    if not value:
        return
    if any(unicodedata.category(ch) in PICTOGRAPHS for ch in value) or \
            not any(unicodedata.category(ch)[0] == "L" for ch in value):
        raise DomainError(_l("A name is written in letters: no emoji or symbols."), field)


def check_age(group: str, born: date | None, on: date | None) -> None:
    """Refuse a birth date that makes her too young or too old for the group on ``on``."""
    if born is None or group not in AGE_BOUNDS:
        return
    low, high = AGE_BOUNDS[group]
    age = age_on(born, on or today())
    if not low <= age <= high:
        raise DomainError(_l("She would be %(age)s years old at intake, but this group is for "
                             "ages %(low)s to %(high)s. Check the date of birth or the group.",
                             age=age, low=low, high=high), "date_of_birth")


def given_name_of(full_name: str) -> str:
    """The Vietnamese given name is the last word of the full name (Nguyễn Thị Lan → Lan)."""
    return full_name.split()[-1]


@dataclass
class CaseInput:
    full_name: str | None
    group: str
    referral_source: str
    intake_date: date | None
    other_names: str | None = None
    date_of_birth: date | None = None
    national_id: str | None = None
    phone: str | None = None
    address: str | None = None
    family_situation: str | None = None
    history: str | None = None
    backdate_reason: str | None = None
    cleaned: dict[str, Any] = field(default_factory=dict)

    def clean(self, *, check_intake: bool = False) -> dict[str, Any]:
        """Normalised personal values; raises DomainError naming every bad field at once
        (:class:`FieldErrors` when there are several). ``check_intake`` checks the intake
        date and its late-entry reason too (opening a case)."""
        out: dict[str, Any] = {}
        problems = Problems()
        name = problems.run(clean_text, self.full_name, limit=LIMITS["full_name"],
                            field="full_name")
        if not name and not any(e.field == "full_name" for e in problems.found):
            problems.add(_l("Enter her full name."), "full_name")
        out["full_name"] = name
        problems.run(check_name, name, "full_name")
        for key in ("other_names", "address"):
            out[key] = problems.run(clean_text, getattr(self, key), limit=LIMITS[key], field=key)
        for key in ("family_situation", "history"):
            out[key] = problems.run(clean_text, getattr(self, key), limit=LIMITS[key],
                                    field=key, multiline=True)
        out["phone"] = problems.run(clean_phone, self.phone)
        out["national_id"] = problems.run(clean_national_id, self.national_id)
        born = self.date_of_birth
        if born is not None and (born > today() or born.year < EARLIEST_BIRTH_YEAR):
            problems.add(_l("Enter a real date of birth."), "date_of_birth")
        else:
            problems.run(check_age, self.group, born, self.intake_date)
        out["date_of_birth"] = born
        if self.group not in CASE_GROUPS:
            problems.add(_l("Choose a group."), "group")
        if self.referral_source not in REFERRAL_SOURCES:
            problems.add(_l("Choose who referred her."), "referral_source")
        if check_intake:
            if self.intake_date is None:
                problems.add(_l("Enter a date."), "intake_date")
            else:
                problems.run(check_date, self.intake_date, field="intake_date",
                             backdate_reason=self.backdate_reason)
        problems.raise_any()
        self.cleaned = out
        return out


# --- Case numbers ----------------------------------------------------------------------------

def _counter_step(unit_id: int, year: int) -> int | None:
    table = cast(Table, CaseNumberCounter.__table__)
    return db.session.execute(
        update(table).where(table.c.org_unit_id == unit_id, table.c.year == year)
        .values(last=table.c.last + 1).returning(table.c.last)
    ).scalar()


def next_case_number(unit: OrgUnit, year: int) -> str:
    """``<unit code>-<year>-<sequence>``: unique per unit and year, also under concurrency.

    The counter row is incremented with one UPDATE (a row lock on PostgreSQL, the write lock
    on SQLite); a missing row is created in a savepoint, and a concurrent creator's row is
    used instead. Numbers already taken (e.g. by an import) are skipped.
    """
    prefix = unit.code if len(unit.code) <= 28 else f"U{unit.id}"
    for _ in range(1000):
        seq = _counter_step(unit.id, year)
        if seq is None:
            try:
                with db.session.begin_nested():
                    db.session.add(CaseNumberCounter(org_unit_id=unit.id, year=year, last=0))
            except IntegrityError:
                pass
            continue
        number = f"{prefix}-{year}-{seq:04d}"
        if not db.session.scalar(select(func.count()).where(Case.case_number == number)):
            return number
    raise DomainError(_l("Could not number the case; try again."))  # pragma: no cover


# --- Duplicates ------------------------------------------------------------------------------

def district_of(unit: OrgUnit) -> OrgUnit:
    """The district-level unit above ``unit`` (or the unit itself at district level or above)."""
    current = unit
    while UNIT_LEVEL.get(current.kind, 0) > 1 and current.parent is not None:
        current = current.parent
    return current


@dataclass(frozen=True)
class Duplicate:
    """A possible duplicate as the officer may know it: the district managing it, and the case
    itself only when it lies in her own scope (she could open it anyway)."""

    district: str
    case: Case | None = None


def possible_duplicates(values: dict[str, Any], *, exclude: Case | None = None,
                        actor: Any = None) -> list[Duplicate]:
    """Possible duplicates anywhere in the province: those in ``actor``'s scope with their
    case (to link to), the others as their district's name only, once per district.

    Exact blind-index matches on national ID, phone, or folded name + birth year. Nothing
    about a record outside her scope is returned but its district's name. Audited (counts only).
    """
    within = select(Case).where(Case.merged_into_id.is_(None))
    if exclude is not None and exclude.id is not None:
        within = within.where(Case.id != exclude.id)
    found: dict[Any, Case] = {}
    probes: list[tuple[str, tuple[Any, ...]]] = []
    if values.get("national_id"):
        probes.append(("national_id", (values["national_id"],)))
    if values.get("phone"):
        probes.append(("phone", (values["phone"],)))
    if values.get("full_name") and values.get("date_of_birth"):
        probes.append(("name_birth_year", (values["full_name"], values["date_of_birth"])))
    for index_name, args in probes:
        for row in blind_index.find(db.session(), Case, index_name, *args, within=within):
            found[row.id] = row
    mine = sorted((c for c in found.values() if actor is not None and case_in_scope(actor, c)),
                  key=lambda c: c.case_number)
    others = sorted({district_of(c.org_unit).name for c in found.values() if c not in mine})
    audit.record("case.duplicate_check", actor=actor, outcome="ok",
                 details={"probes": len(probes), "matches": len(found),
                          "in_scope": len(mine)})
    return [*(Duplicate(district_of(c.org_unit).name, c) for c in mine),
            *(Duplicate(name) for name in others)]


# --- Opening and correcting ------------------------------------------------------------------

def open_case(data: CaseInput, *, unit: OrgUnit, actor: Any) -> Case:
    """Open a case at ``unit`` with one open episode and custody from the intake date.

    Raises DomainError for bad personal values, an intake date in the future, or one
    backdated beyond the limit without a reason. The caller runs the duplicate check first.
    """
    values = data.clean(check_intake=True)
    intake = stated(data.intake_date, "intake_date")
    reason = check_date(intake, field="intake_date", backdate_reason=data.backdate_reason)
    subject = new_subject()
    db.session.add(subject)
    born = values["date_of_birth"]
    case = Case(subject=subject, case_number=next_case_number(unit, intake.year),
                group=data.group, org_unit=unit, intake_date=intake,
                birth_year_band=birth_year_band(born.year if born else None),
                referral_source=data.referral_source, status="open",
                created_by_id=getattr(actor, "id", None))
    for key in PERSONAL_FIELDS:
        setattr(case, key, values[key])
    case.given_name = given_name_of(values["full_name"])
    actor_id = getattr(actor, "id", None)
    case.episodes.append(CaseEpisode(opened_on=intake, opened_by_id=actor_id))
    case.custody.append(CaseCustody(org_unit=unit, from_date=intake, reason="intake",
                                    recorded_by_id=actor_id))
    db.session.add(case)
    db.session.flush()
    db.session.add(CaseEvent(case_id=case.id, kind="opened", effective_date=intake,
                             actor_id=actor_id,
                             late_reason=late_entry_reason(case.id, case.subject_id, reason)))
    audit.record("case.created", target_type="case", target_id=case.id, actor=actor,
                 fields=[k for k in PERSONAL_FIELDS if values[k] is not None],
                 details={"group": data.group, "unit": unit.id})
    db.session.flush()
    return case


def update_case(case: Case, data: CaseInput, *, expected_version: int | None,
                actor: Any) -> list[str]:
    """Correct her record; returns the names of the fields changed.

    Raises StaleObjectError when someone saved the case since the form was loaded, and
    DomainError for bad values. The intake date is not edited here (it anchors episodes).
    """
    require_accepts_entries(case)
    if expected_version is None or expected_version != case.version:
        raise StaleObjectError(_l("Someone else saved this case while you were editing. "
                                  "Your changes are below: check them against the saved "
                                  "record and save again."))
    values = data.clean()
    changed = [k for k in PERSONAL_FIELDS if getattr(case, k) != values[k]]
    for key in changed:
        setattr(case, key, values[key])
    if "full_name" in changed:
        case.given_name = given_name_of(values["full_name"])
    if "date_of_birth" in changed:
        born = values["date_of_birth"]
        case.birth_year_band = birth_year_band(born.year if born else None)
    clear = [k for k in ("group", "referral_source") if getattr(case, k) != getattr(data, k)]
    for key in clear:
        setattr(case, key, getattr(data, key))
    if changed or clear:
        db.session.add(CaseEvent(case_id=case.id, kind="corrected", effective_date=today(),
                                 actor_id=getattr(actor, "id", None)))
        audit.record("case.updated", target_type="case", target_id=case.id, actor=actor,
                     fields=changed + clear)
        db.session.flush()
    return changed + clear
