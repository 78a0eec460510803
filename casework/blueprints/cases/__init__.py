"""Case records: worklist, intake, the case page, consent, needs, timeline, her rights."""

from casework.blueprints.cases.views import bp

__all__ = ["bp"]
