"""Supervision: the target-5 dashboard, reports and sign-off, outcome audit, access log."""

from casework.blueprints.supervision.views import bp

__all__ = ["bp"]
