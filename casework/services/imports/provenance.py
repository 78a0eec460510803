"""Where an uptake came from: ``referrals.uptake_provenance`` (``casework.domain``'s codes).

Target 5 counts a woman as connected once she started a service. An uptake written on paper
before Casework existed did happen, so the indicator counts imported uptakes too; but no partner
confirmed them in the system, so the import never claims one did:

* ``uptake_provenance`` is ``paper_import``; ``uptake_confirmed_by_id`` and
  ``uptake_confirmed_at`` stay NULL (the partner confirmation paths always set both);
* the referral's ``confirm_uptake`` event is recorded by the importing user (``actor_id``,
  ``actor_role``) and its ``details`` JSON holds ``"uptake_source": "paper_import"`` with the
  import batch id.

Supervision's "confirmed by partner" versus "verified by supervisor" view tells them apart with
:func:`partner_confirmed` / :func:`imported_uptake` (plain SQL on ``referrals``).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_

from casework.domain import UPTAKE_PAPER_IMPORT, UPTAKE_PARTNER_ACCOUNT, UPTAKE_PARTNER_LINK
from casework.models.referral import Referral

UPTAKE_SOURCE_IMPORT = UPTAKE_PAPER_IMPORT


def imported_uptake() -> ColumnElement[bool]:
    """Referrals with an uptake recorded from paper by the import."""
    return and_(Referral.uptake_on.is_not(None),
                Referral.uptake_provenance == UPTAKE_PAPER_IMPORT)


def partner_confirmed() -> ColumnElement[bool]:
    """Referrals whose uptake the partner confirmed (through an account or a one-time link)."""
    return and_(Referral.uptake_on.is_not(None),
                Referral.uptake_provenance.in_((UPTAKE_PARTNER_ACCOUNT, UPTAKE_PARTNER_LINK)))
