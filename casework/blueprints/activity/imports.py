"""Import of past periods' activity: the template, a dry run, then the import (all or nothing)."""

from __future__ import annotations

from flask import Response, render_template, request
from flask_login import current_user

from casework.activity import imports
from casework.authz import Permission, requires
from casework.blueprints.activity import forms as f
from casework.blueprints.activity.views import bp
from casework.blueprints.work import unit_of_work
from casework.services.effective_dates import today
from casework.services.imports.reader import Upload


@bp.get("/import/template.xlsx")
@requires(Permission.REVIEW_ACTIVITY)
def import_template():  # type: ignore[no-untyped-def]
    return Response(imports.template(), headers={
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Content-Disposition": 'attachment; filename="mau-nhap-hoat-dong.xlsx"',
        "Cache-Control": "no-store"})


@bp.route("/import", methods=["GET", "POST"])
@requires(Permission.REVIEW_ACTIVITY)
def import_activity():  # type: ignore[no-untyped-def]
    form = f.ImportForm()
    checked, imported, status = None, None, 200
    if form.validate_on_submit():
        upload = request.files.get("file")
        data = upload.read() if upload is not None else b""
        checked = imports.plan(Upload(upload.filename or "" if upload else "", data),
                               current_user, today())
        if not checked.ok:
            status = 400
        elif request.form.get("action") == "import":
            with unit_of_work() as work:
                imported = imports.apply(checked, current_user, today())
            if not work.done:
                imported, status = None, 400
    elif request.method == "POST":
        status = 400
    return render_template("activity/import.html", form=form, checked=checked,
                           imported=imported), status
