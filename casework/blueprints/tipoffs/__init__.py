"""Tip-offs and complaints (target 6): worklist, receive, the item page, settings, the
indicator, and the public online form with its status page."""

from casework.blueprints.tipoffs.views import bp

__all__ = ["bp"]
