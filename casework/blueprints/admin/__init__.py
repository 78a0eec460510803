"""Administration: accounts and organisation units. Admins see no case content."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from casework.blueprints.admin import views  # noqa: E402,F401  (registers the routes)
