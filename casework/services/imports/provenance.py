"""Where an uptake came from: confirmed by the partner in Casework, or imported from paper.

Target 5 counts a woman as connected once she started a service, and an uptake written on
paper before Casework existed did happen, so the indicator counts imported uptakes too. But
no partner confirmed them in the system, so the import never claims one did:

* ``referrals.uptake_confirmed_by_id`` and ``uptake_confirmed_at`` stay NULL (the partner
  confirmation path always sets both);
* the referral's ``confirm_uptake`` event is recorded by the importing user (``actor_id``,
  ``actor_role``) and its ``details`` JSON holds ``"uptake_source": "paper_import"`` with the
  import batch id.

Supervision's "confirmed by partner" versus "verified by supervisor" view can tell them apart
with :func:`partner_confirmed` / :func:`imported_uptake` (plain SQL on ``referrals``).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_

from casework.models.referral import Referral

UPTAKE_SOURCE_IMPORT = "paper_import"


def imported_uptake() -> ColumnElement[bool]:
    """Referrals with an uptake date that no user of Casework confirmed (imported from paper)."""
    return and_(Referral.uptake_on.is_not(None), Referral.uptake_confirmed_by_id.is_(None))


def partner_confirmed() -> ColumnElement[bool]:
    """Referrals whose uptake was confirmed in Casework (by the partner's account)."""
    return and_(Referral.uptake_on.is_not(None), Referral.uptake_confirmed_by_id.is_not(None))
