"""Login, two-factor, logout and one's own account (password, language, authenticator)."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from casework.blueprints.auth import set_password, views  # noqa: E402,F401  (registers the routes)
