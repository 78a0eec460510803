"""After an import: the imported women who may already be on file outside the importer's scope.

The dry run looks only inside the importer's scope (``checks_duplicates.py``), so it cannot
tell her whether a woman is followed elsewhere. Once the rows are written,
:func:`queue_outside_matches` looks each new case up across the province (the same blind
indexes) and queues every match outside the import's scope as an ``ImportMatchReview``, for a
supervisor whose scope holds the matched case (``authz.visible_import_reviews``; the page is
``imports.reviews``). Nothing of it reaches the importer: not the page, not the counts, not
the batch. The queueing is audited as the system's (``import.match_queued``, target the matched
case, details the batch and the review), so only the province level reads it in the access
log; the importing unit's supervisors, who may not know the matched case exists, do not.
"""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

from flask_babel import lazy_gettext as _l

from casework import audit
from casework.authz import case_in_scope
from casework.crypto.blind_index import find_many
from casework.db import utcnow
from casework.extensions import db
from casework.models.case import Case
from casework.models.imports import MATCH_OUTCOMES, ImportBatch, ImportMatchReview
from casework.models.org import OrgUnit
from casework.services.errors import DomainError
from casework.services.imports.checks_duplicates import DUPLICATE_INDEXES
from casework.services.imports.plan import Report

SYSTEM = SimpleNamespace(id=None, role="system", org_unit_id=None)


def queue_outside_matches(report: Report, *, batch: ImportBatch, actor: Any,
                          scope_unit: OrgUnit) -> int:
    """Queue a review for each case this import wrote that matches a case outside the import's
    scope (flush only); returns how many were queued, which the caller never shows."""
    written = {plan: plan.values for plan in report.cases
               if plan.existing is None and plan.case_id is not None}
    if not written:
        return 0
    own = {plan.case_id for plan in written}
    kinds: dict[tuple[uuid.UUID, uuid.UUID], list[str]] = {}
    for name in DUPLICATE_INDEXES:
        found = find_many(db.session(), Case, name, written)  # the whole province
        for plan, cases in found.items():
            for case in cases:
                inside = case_in_scope(actor, case) and case.org_unit.is_within(scope_unit)
                if case.id in own or case.merged_into_id is not None or inside:
                    continue
                kinds.setdefault((plan.case_id, case.id), []).append(name)  # type: ignore[arg-type]
    for (case_id, matched_id), names in kinds.items():
        review = ImportMatchReview(batch_id=batch.id, case_id=case_id,
                                   matched_case_id=matched_id, kinds=",".join(names))
        db.session.add(review)
        db.session.flush()
        audit.record("import.match_queued", target_type="case", target_id=matched_id,
                     actor=SYSTEM, details={"batch": batch.id, "review": review.id})
    return len(kinds)


def resolve(review: ImportMatchReview, outcome: str, *, actor: Any) -> None:
    """A supervisor's verdict on one match (flush only); DomainError if already reviewed or
    the outcome is unknown."""
    if outcome not in MATCH_OUTCOMES:
        raise DomainError(_l("Choose whether they are the same woman."), "outcome")
    if review.reviewed_at is not None:
        raise DomainError(_l("This match was already reviewed."))
    review.outcome = outcome
    review.reviewed_at = utcnow()
    review.reviewed_by_id = actor.id
    audit.record("import.match_reviewed", target_type="case", target_id=review.matched_case_id,
                 actor=actor, details={"review": review.id, "batch": review.batch_id,
                                       "outcome": outcome})
    db.session.flush()
