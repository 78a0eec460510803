"""Case records: worklist, intake, the case page, consent, needs, timeline, her rights."""

from flask import Blueprint

bp = Blueprint("cases", __name__, url_prefix="/cases")

from casework.blueprints.cases import views  # noqa: E402,F401  (registers the routes)
