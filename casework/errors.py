"""Error pages in the user's language that reveal nothing: no stack trace, SQL or personal data.

Each unexpected error gets a short random id shown to the user and written to the server log
(with the exception type only), so support can find it without the page saying anything.
"""

from __future__ import annotations

import logging
import secrets
import traceback

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

from casework.crypto import CryptoError
from casework.extensions import db

log = logging.getLogger("casework.errors")

HANDLED = (400, 403, 404, 405, 413, 429)


def _render(status: int, error_id: str | None = None):  # type: ignore[no-untyped-def]
    template = f"errors/{status}.html" if status in (400, 403, 404, 500) else "errors/generic.html"
    return render_template(template, status=status, error_id=error_id), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):  # type: ignore[no-untyped-def]
        db.session.rollback()
        return render_template("errors/csrf.html", status=400), 400

    @app.errorhandler(StaleDataError)
    def stale_error(error: StaleDataError):  # type: ignore[no-untyped-def]
        """Someone else saved the same record first: nothing of this request was kept."""
        db.session.rollback()
        return render_template("errors/conflict.html", status=409), 409

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        db.session.rollback()
        if error.code and error.code >= 500:
            return unexpected_error(error)
        return _render(error.code or 400)


    @app.errorhandler(CryptoError)
    def crypto_error(error: CryptoError):  # type: ignore[no-untyped-def]
        # Last line of defence: her data was erased (or cannot be decrypted) but a page or a
        # write still reached for it. Type only in the log; a 409 page that says nothing.
        db.session.rollback()
        log.warning("%s on %s", type(error).__name__, request.endpoint)
        return render_template("errors/generic.html", status=409), 409

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):  # type: ignore[no-untyped-def]
        db.session.rollback()
        original = getattr(error, "original_exception", None) or error
        if isinstance(original, InternalServerError):
            original = error
        error_id = secrets.token_hex(6)
        # Type, frames and id only: exception messages can carry submitted values.
        frames = "".join(traceback.format_tb(original.__traceback__))
        log.error(
            "unhandled %s on %s [error id %s]\n%s",
            type(original).__name__,
            request.endpoint,
            error_id,
            frames,
        )
        return _render(500, error_id)
