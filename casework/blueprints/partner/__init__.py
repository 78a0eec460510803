"""Partner portal: a provider's inbox, one referral's shared fields and actions, performance."""

from flask import Blueprint

bp = Blueprint("partner", __name__, url_prefix="/partner")

from casework.blueprints.partner import views  # noqa: E402,F401  (registers the routes)
