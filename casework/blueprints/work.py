"""One unit of work for a view: run the services, commit once, or show why not.

Views write through this helper instead of hand-writing ``try/commit/except/rollback``::

    with unit_of_work(form) as work:
        needs.add_need(case, data, actor=current_user)
    if work.done:
        flash(_("Need added."), "success")
        return redirect(...)
    return render_template(..., form=form), work.status

On leaving the block the session is flushed and committed once. A :class:`DomainError` rolls
everything back and puts its message on the form field it names (else in a flash message); a
stale write (a :class:`StaleObjectError` from a service, or SQLAlchemy's ``StaleDataError`` on
the version counter) rolls back and flashes the stale message; ``work.status`` is then 409.
Nothing is ever half-written. Any other exception propagates to the error handlers, which roll
back as well.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import flash, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from casework.extensions import db
from casework.services.errors import DomainError, StaleObjectError

STALE_RECORD = _l(
    "Someone else saved this record while you were working on it. Nothing of yours was saved: "
    "check what is below against the saved record and try again."
)


@dataclass
class Work:
    """What became of one unit of work: ``done`` (committed), else ``stale`` or refused."""

    done: bool = False
    stale: bool = False
    error: DomainError | None = None

    @property
    def status(self) -> int:
        """The HTTP status for showing the form again: 200 on a GET, 409 stale, else 400."""
        if self.stale:
            return 409
        return 400 if request.method == "POST" else 200


def show_error(form: Any, error: DomainError, *, also_flash: bool = False) -> None:
    """Put each refusal's message on the form field it names, else (or ``also_flash``) flash it.

    Pages that hold several forms (a referral's actions) flash it too, so that the message is
    seen at the top whichever form it belongs to.
    """
    for one in error.errors:  # every refusal found at once, each on its own field
        field = getattr(form, one.field, None) if (form is not None and one.field) else None
        if field is not None and str(one.message) not in field.errors:
            field.errors = [*field.errors, str(one.message)]
        if field is None or also_flash:
            flash(str(one.message), "error")


@contextmanager
def unit_of_work(
    form: Any = None,
    *,
    stale_message: Any = STALE_RECORD,
    also_flash: bool = False,
    reraise: tuple[type[DomainError], ...] = (),
    keep_refused: bool = False,
) -> Iterator[Work]:
    """Commit what the block writes, once; map a refusal to the form and a stale write to 409.

    Refusals of the ``reraise`` types are rolled back and raised again, for a view that answers
    them with a page of their own. With ``keep_refused`` a refusal is committed instead of
    rolled back: for the login steps, whose refusals write only their own bookkeeping (the
    failed-attempt count that locks an account, and its audit event), which must survive.
    """
    work = Work()
    try:
        yield work
        db.session.flush()
    except StaleObjectError as error:
        db.session.rollback()
        work.stale, work.error = True, error
        flash(str(error.message), "error")
        return
    except StaleDataError:
        db.session.rollback()
        work.stale = True
        flash(str(stale_message), "error")
        return
    except DomainError as error:
        if keep_refused and not isinstance(error, reraise):
            db.session.commit()
        else:
            db.session.rollback()
        if isinstance(error, reraise):
            raise
        work.error = error
        show_error(form, error, also_flash=also_flash)
        return
    db.session.commit()
    work.done = True


