"""The read-only JSON API of the plan's figures (``/api/v1``), described by its OpenAPI document."""

from casework.blueprints.api.views import bp

__all__ = ["bp"]
