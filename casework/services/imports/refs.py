"""Stable external references of imported rows, namespaced by the case's intake unit.

Importing the same workbook twice finds these and adds nothing the second time.
"""

from __future__ import annotations

import hashlib
from typing import Any

from casework.services.imports.plan import ExistingCase


def ref_of(case: ExistingCase) -> str:
    return case.ref


def case_external_ref(unit_code: str, ref: str) -> str:
    return f"imp:{unit_code.upper()}:hs:{ref}"


def child_external_ref(unit_code: str, kind: str, ref: str) -> str:
    return f"imp:{unit_code.upper()}:{kind}:{ref}"


def consent_external_ref(unit_code: str, case_ref: str, v: dict[str, Any]) -> str:
    given = v.get("given_on")
    key = "|".join([case_ref, v.get("purpose") or "", v.get("category") or "",
                    given.isoformat() if given else ""])
    return f"imp:{unit_code.upper()}:dy:{hashlib.sha256(key.encode()).hexdigest()[:32]}"
