"""Login, two-factor, logout and one's own account (password, language, authenticator)."""

from casework.blueprints.auth import set_password  # noqa: F401  (registers its routes)
from casework.blueprints.auth.views import bp

__all__ = ["bp"]
