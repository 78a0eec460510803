"""Supervision: the target-5 dashboard, reports and sign-off, outcome audit, access log."""

from flask import Blueprint

bp = Blueprint("supervision", __name__, url_prefix="/supervision")

from casework.blueprints.supervision import views  # noqa: E402,F401  (registers the routes)
