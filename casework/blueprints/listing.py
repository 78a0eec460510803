"""Lists in pages: one helper for every list view, and ``_macros/lists.html`` to show them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request

from casework.extensions import db

PER_PAGE = 50


@dataclass
class Page:
    """A page of a list whose total is not counted: the pager shows previous/next only."""

    items: list[Any]
    page: int
    has_next: bool
    pages: None = None
    total: None = None

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def paginate(query: Any, per_page: int = PER_PAGE, *, count: bool = True) -> Any:
    """One page of a list query (``?page=N``; a page that is not a positive number, or past the
    end, shows the first or the last page rather than an error).

    ``count=False``: no count query (a busy list that shows no total): one more row than the
    page is read to know whether a next page exists; past the end shows the first page."""
    page = request.args.get("page", 1, type=int) or 1
    if not count:
        page = max(page, 1)
        rows = list(db.session.scalars(query.limit(per_page + 1).offset((page - 1) * per_page)))
        if not rows and page > 1:
            page, rows = 1, list(db.session.scalars(query.limit(per_page + 1)))
        return Page(rows[:per_page], page, len(rows) > per_page)
    result = db.paginate(query, page=max(page, 1), per_page=per_page, error_out=False,
                         count=True)
    if not result.items and result.pages and page > result.pages:
        result = db.paginate(query, page=result.pages, per_page=per_page, error_out=False)
    return result
