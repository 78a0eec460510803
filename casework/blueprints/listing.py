"""Lists in pages: one helper for every list view, and ``_macros/lists.html`` to show them."""

from __future__ import annotations

from typing import Any

from flask import request

from casework.extensions import db

PER_PAGE = 50


def paginate(query: Any, per_page: int = PER_PAGE) -> Any:
    """One page of a list query (``?page=N``; a page that is not a positive number, or past the
    end, shows the first or the last page rather than an error)."""
    page = request.args.get("page", 1, type=int) or 1
    result = db.paginate(query, page=max(page, 1), per_page=per_page, error_out=False,
                         count=True)
    if not result.items and result.pages and page > result.pages:
        result = db.paginate(query, page=result.pages, per_page=per_page, error_out=False)
    return result
