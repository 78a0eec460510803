"""What a dry run found and decided: problems, counts and the plan of rows to write.

Plans hold converted cell values (personal data) in memory only; they are never logged, and
``repr`` of a plan shows no values.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from casework.services.imports import spec
from casework.services.imports.reader import Row


@dataclass(repr=False, eq=False)
class Problem:
    sheet: str
    row: int
    column: str | None
    message: Any
    severity: str = "error"

    @property
    def sheet_title(self) -> str:
        return spec.SHEETS_BY_KEY[self.sheet].title

    @property
    def column_header(self) -> str:
        if self.column is None:
            return ""
        try:
            return spec.SHEETS_BY_KEY[self.sheet].column(self.column).header
        except KeyError:
            return self.column


@dataclass(repr=False, eq=False)
class UnitInfo:
    id: int
    code: str
    path: str
    active: bool


@dataclass(repr=False, eq=False)
class ExistingCase:
    ref: str
    id: uuid.UUID
    subject_id: uuid.UUID
    unit_code: str
    intake_date: date
    status: str
    holder_id: int
    custody_from: date  # the current custody's start
    closed_on: date | None = None  # last closure, when closed
    custody: set[tuple[int, date]] = field(default_factory=set)


@dataclass(repr=False, eq=False)
class ExistingNeed:
    id: uuid.UUID
    case: ExistingCase
    category: str
    identified_on: date
    ended_on: date | None
    status: str


@dataclass(repr=False, eq=False)
class CasePlan:
    row: Row
    ref: str
    unit: UnitInfo
    external_ref: str
    values: dict[str, Any]
    existing: ExistingCase | None = None
    rejected: bool = False
    needs: list[NeedPlan] = field(default_factory=list)
    consents: list[ConsentPlan] = field(default_factory=list)
    transfers: list[TransferPlan] = field(default_factory=list)
    closure: ClosurePlan | None = None
    # Set while writing (apply.py).
    case_id: uuid.UUID | None = None
    subject_id: uuid.UUID | None = None

    @property
    def intake_date(self) -> date:
        return self.existing.intake_date if self.existing else self.values["intake_date"]


@dataclass(repr=False, eq=False)
class NeedPlan:
    row: Row
    case: CasePlan
    external_ref: str
    values: dict[str, Any]
    existing: ExistingNeed | None = None
    skip: bool = False  # imported earlier
    referrals: list[ReferralPlan] = field(default_factory=list)


@dataclass(repr=False, eq=False)
class ReferralPlan:
    row: Row
    need: NeedPlan
    external_ref: str
    provider_id: int
    values: dict[str, Any]
    skip: bool = False


@dataclass(repr=False, eq=False)
class ConsentPlan:
    row: Row
    case: CasePlan
    external_ref: str
    values: dict[str, Any]
    skip: bool = False


@dataclass(repr=False, eq=False)
class TransferPlan:
    row: Row
    case: CasePlan
    to_unit: UnitInfo
    on: date
    rejected: bool = False


@dataclass(repr=False, eq=False)
class ClosurePlan:
    row: Row
    case: CasePlan
    on: date
    reason: str
    rejected: bool = False


@dataclass(repr=False, eq=False)
class SheetCount:
    total: int = 0
    accepted: int = 0
    rejected: int = 0
    existing: int = 0


@dataclass(repr=False, eq=False)
class Report:
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, SheetCount] = field(default_factory=dict)
    cases: list[CasePlan] = field(default_factory=list)
    rejected_rows: dict[str, list[Row]] = field(default_factory=dict)
    # Existing cases the duplicate check matched (id -> outside the importer's scope, always
    # False: the dry run looks only inside it): their ids are audited, since the check told
    # the importer that they exist.
    matched_cases: dict[uuid.UUID, bool] = field(default_factory=dict)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def clean(self) -> bool:
        return not self.errors

    @property
    def accepted_rows(self) -> int:
        return sum(c.accepted for c in self.counts.values())

    @property
    def existing_rows(self) -> int:
        return sum(c.existing for c in self.counts.values())

    def sorted_problems(self) -> list[Problem]:
        order = {s.key: n for n, s in enumerate(spec.SHEETS)}
        return sorted(self.problems, key=lambda p: (order.get(p.sheet, 99), p.row,
                                                    p.severity != "error"))

    def messages_for(self, sheet: str, row: int) -> list[Problem]:
        return [p for p in self.problems if p.sheet == sheet and p.row == row
                and p.severity == "error"]
