"""Home page, language choice and the health check."""

from casework.blueprints.main.views import bp

__all__ = ["bp"]
