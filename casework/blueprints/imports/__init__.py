"""Import of existing records (paper and Excel years): template, dry run, import, result."""

from flask import Blueprint

bp = Blueprint("imports", __name__, url_prefix="/imports", cli_group=None)

from casework.blueprints.imports import cli, views  # noqa: E402,F401  (routes, command)
