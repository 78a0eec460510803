"""The union's own activity: records per unit, submission and review, the all-targets report."""

from casework.blueprints.activity import report, tokens  # noqa: F401  (register their routes)
from casework.blueprints.activity.views import bp

__all__ = ["bp"]
