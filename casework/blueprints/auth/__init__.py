"""Login, two-factor, logout and one's own account (password, language, authenticator)."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from casework.blueprints.auth import views  # noqa: E402,F401  (registers the routes)
