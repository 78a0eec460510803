"""Administration: accounts and organisation units. Admins see no case content."""

from casework.blueprints.admin.views import bp

__all__ = ["bp"]
