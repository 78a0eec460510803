"""Referrals (staff side): provider directory, drafting and sending, the loop, decline reviews."""

from casework.blueprints.referrals import links, uptake  # noqa: F401  (register their routes)
from casework.blueprints.referrals.views import bp

__all__ = ["bp"]
