"""The daily cap on identifying values an importer's dry runs look up.

Each CCCD number, phone number and name-with-year-of-birth of a new case is one identity check
(the dry run looks it up among the importer's own cases, ``checks_duplicates.py``). Whatever
the answers, many checks a day are a probe, not a move from paper: a user may make at most
``CASEWORK_IMPORT_IDENTITY_CHECKS_PER_DAY`` of them per day (Vietnam's calendar; default
:data:`DEFAULT_PER_DAY`). A file that would pass the cap is refused whole, before any lookup,
and nothing is counted for it. The count lives in ``import_identity_checks``; the caller
commits it with the dry run's audit event. (Two first uploads of the day by one user at the
same instant can collide on the day's row: the second fails and is answered "could not be
read"; trying again works.)
"""

from __future__ import annotations

from typing import Any, cast

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import Table, insert, select, update
from sqlalchemy.orm import Session

from casework.db import rows_affected
from casework.models.imports import ImportIdentityCheck
from casework.services.effective_dates import today
from casework.services.imports.reader import FileRefused

DEFAULT_PER_DAY = 5000


def per_day() -> int:
    if has_app_context():
        return int(current_app.config.get("CASEWORK_IMPORT_IDENTITY_CHECKS_PER_DAY",
                                          DEFAULT_PER_DAY))
    return DEFAULT_PER_DAY


class IdentityChecksExhausted(FileRefused):
    """The file would pass the user's daily cap of identity checks: refused, nothing checked."""

    def __init__(self, wanted: int, left: int, limit: int) -> None:
        super().__init__(_l(
            "This file would check %(n)s identifying values (CCCD numbers, phone numbers, names "
            "with year of birth), but only %(left)s of your %(limit)s checks for today remain. "
            "Try again tomorrow with a smaller file, or ask your supervisor to import it.",
            n=wanted, left=left, limit=limit))


def consume(session: Session, actor: Any, wanted: int) -> None:
    """Count ``wanted`` identity checks for ``actor`` today (flush only), or raise
    :class:`IdentityChecksExhausted` and count nothing when the cap would be passed."""
    if wanted <= 0:
        return
    limit, day, table = per_day(), today(), cast(Table, ImportIdentityCheck.__table__)
    mine = (table.c.user_id == actor.id, table.c.day == day)
    # One conditional UPDATE: two uploads at once cannot both slip under the cap.
    done = session.execute(update(table).where(*mine, table.c.checked + wanted <= limit)
                           .values(checked=table.c.checked + wanted))
    if rows_affected(done) == 1:
        return
    used = session.scalar(select(table.c.checked).where(*mine))
    if used is None and wanted <= limit:
        session.execute(insert(table).values(user_id=actor.id, day=day, checked=wanted))
        return
    raise IdentityChecksExhausted(wanted, max(0, limit - (used or 0)), limit)

