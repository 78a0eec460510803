"""Home page, language choice and the health check."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from casework.blueprints.main import views  # noqa: E402,F401  (registers the routes)
