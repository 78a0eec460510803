"""The union's own activity: records per unit, submission and review, the all-targets report."""

from casework.blueprints.activity import (  # noqa: F401  (register their routes)
    imports,
    report,
    tokens,
)
from casework.blueprints.activity.views import bp

__all__ = ["bp"]
