"""What an import records about itself: the file's keyed fingerprint and the audit events.

* :func:`file_mac` identifies an upload in ``import_batches.file_mac`` (which batches came
  from the same file) with a keyed MAC (``crypto.mac``, context ``imports.file``): an unkeyed
  hash of a small file could be confirmed by anyone who guesses its content.
* :func:`record_checked` / :func:`record_refused` note each dry run (counts, codes), and
  :func:`record_matches` notes one ``import.case_matched`` event per existing case the
  duplicate check matched (inside the importer's scope), with the case's UUID as target: the
  check told the importer that this woman is on file, so supervisors can see (in the access
  log, by case) whose existence was revealed, and to whom. No event holds personal data.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from casework import audit
from casework.crypto import mac
from casework.models.org import OrgUnit
from casework.services.imports.plan import Report
from casework.services.imports.reader import Upload

MAC_CONTEXT = "imports.file"


def file_mac(uploads: Sequence[Upload]) -> str:
    """Hex HMAC-SHA256 (app key, context ``imports.file``) of the uploaded files: each file's
    length (8 bytes, big-endian) and bytes, in filename order."""
    payload = b"".join(len(u.data).to_bytes(8, "big") + u.data
                       for u in sorted(uploads, key=lambda u: u.filename))
    return mac(payload, MAC_CONTEXT).hex()


def record_matches(matched: Mapping[uuid.UUID, bool], *, unit: OrgUnit, source: str,
                   stage: str, actor: Any = None) -> None:
    """One ``import.case_matched`` event per matched case (target = the case's UUID)."""
    entries = [{"action": "import.case_matched", "target_type": "case", "target_id": str(cid),
                "details": {"unit": unit.id, "outside_scope": outside, "source": source,
                            "stage": stage}}
               for cid, outside in sorted(matched.items(), key=lambda item: str(item[0]))]
    if entries:
        audit.record_many(entries, actor=actor)


def record_checked(report: Report, *, unit: OrgUnit, source: str, actor: Any = None) -> None:
    """The ``import.checked`` event (counts only) and the matched cases' events. The dry run
    matches only cases inside the importer's scope; matches outside it are found after the
    import and queued for review by the system (``review.py``), never recorded here."""
    audit.record("import.checked", actor=actor, details={
        "unit": unit.id, "source": source,
        "rows": sum(c.total for c in report.counts.values()),
        "errors": len(report.errors), "warnings": len(report.warnings),
        "matched_cases": len(report.matched_cases)})
    record_matches(report.matched_cases, unit=unit, source=source, stage="check", actor=actor)


def record_refused(*, unit: OrgUnit, source: str, reason: str, actor: Any = None) -> None:
    """The ``import.refused`` event (a reason code)."""
    audit.record("import.refused", outcome="denied", actor=actor, details={
        "unit": unit.id, "source": source, "reason": reason})
