"""Her rights (issue 19): who saw her file, the breach answer, retention, her data pack, the
impact-assessment dossier."""

from casework.blueprints.rights.views import bp

__all__ = ["bp"]
