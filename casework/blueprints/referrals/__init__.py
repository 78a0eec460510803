"""Referrals (staff side): provider directory, drafting and sending, the loop, decline reviews."""

from flask import Blueprint

bp = Blueprint("referrals", __name__, url_prefix="/referrals")


from casework.blueprints.referrals import views  # noqa: E402,F401  (registers the routes)
