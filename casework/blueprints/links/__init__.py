"""The public link page: a partner without an account answers one referral (no login)."""

from casework.blueprints.links.views import bp

__all__ = ["bp"]
