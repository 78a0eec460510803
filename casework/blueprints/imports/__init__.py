"""Import of existing records (paper and Excel years): template, dry run, import, result."""

from casework.blueprints.imports.views import bp

__all__ = ["bp"]
