"""Referrals (staff side): provider directory, drafting and sending, the loop, decline reviews."""

from casework.blueprints.referrals import links  # noqa: F401  (registers its routes)
from casework.blueprints.referrals.views import bp

__all__ = ["bp"]
