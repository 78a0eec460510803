"""The public end of a set-password link: the account's owner chooses her own password.

Public (she has no password yet), rate-limited per client, and neutral: an unknown, expired,
used or replaced link gets one message. The token is in the path; the log filter masks it
(``logging_filters.scrub``) and ``Referrer-Policy: no-referrer`` keeps it from other sites.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from casework import audit
from casework.authz import public
from casework.blueprints.auth.forms import SetPasswordForm
from casework.blueprints.auth.views import bp
from casework.blueprints.work import unit_of_work
from casework.extensions import limiter
from casework.services import account_links, sessions


def _limit() -> str:
    return str(current_app.config["CASEWORK_SET_PASSWORD_RATE_LIMIT"])


def _invalid() -> Any:
    return render_template("auth/set_password.html", form=None,
                           message=account_links.INVALID_LINK_MESSAGE), 404


@bp.route("/account/set-password/<token>", methods=["GET", "POST"])
@public
@limiter.limit(_limit)
def set_password(token: str):  # type: ignore[no-untyped-def]
    link = account_links.find_usable(token)
    if link is None:
        audit.defer("user.password_link_refused", outcome="denied")
        return _invalid()
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            with unit_of_work(form, reraise=(account_links.LinkInvalid,)) as work:
                account_links.set_password(token, form.password.data or "")
                if current_user.is_authenticated:  # someone else's session here ends
                    login = sessions.find(current_user.current_session_key or "")
                    if login is not None:
                        sessions.end(login, "logout")
        except account_links.LinkInvalid:
            return _invalid()
        if work.done:
            logout_user()
            session.clear()
            flash(_("Your password is set. Log in with your username and the new password."),
                  "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/set_password.html", form=form, username=link.user.username,
                           message=None)
