"""Partner portal: a provider's inbox, one referral's shared fields and actions, performance."""

from casework.blueprints.partner.views import bp

__all__ = ["bp"]
