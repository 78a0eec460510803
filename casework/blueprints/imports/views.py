"""Pages: upload → dry-run report → import (all, or clean rows only) → result.

Uploads live in memory during a request and, between the report and the import, only as a
sealed temporary file (``services/imports/staging.py``) deleted afterwards, on cancel, or when
it expires (swept at every request here and by ``flask import-staging-cleanup``). Nothing from the
file is logged; the report shows problems by sheet, row and column, never cell values.

For caseworkers and supervisors only (``Permission.IMPORT_RECORDS``; admins see no case
content). A dry run tells whether rows match women already on file in the importer's scope
(never outside it: ``services/imports/checks_duplicates.py``), so it is rate-limited per user
(``CASEWORK_IMPORT_CHECK_RATE_LIMIT``, default 10 per hour), capped in identifying values per
day (``CASEWORK_IMPORT_IDENTITY_CHECKS_PER_DAY``, ``quota.py``) and audited with the matched
cases' ids (``auditing.py``). Matches outside the scope, found after the import, wait for a
supervisor who holds the matched case on the review page (``services/imports/review.py``).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from casework import audit
from casework.authz import (
    Permission,
    case_in_scope,
    deny,
    import_scope,
    load_import_batch_or_404,
    load_import_review_or_404,
    requires,
    visible_import_batches,
    visible_import_reviews,
)
from casework.blueprints.imports.forms import ApplyForm, CancelForm, ReviewForm, UploadForm
from casework.blueprints.listing import paginate
from casework.blueprints.work import unit_of_work
from casework.extensions import db, limiter
from casework.models.imports import ImportBatch, ImportMatchReview
from casework.models.provider import ServiceProvider
from casework.services import org_units
from casework.services.errors import DomainError
from casework.services.imports import apply as importer
from casework.services.imports import auditing, reader, review, staging, template, validate
from casework.services.imports.checks_duplicates import KIND

bp = Blueprint("imports", __name__, url_prefix="/imports")

log = logging.getLogger("casework.imports")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STAGED = "import_staged"
REJECTED = "import_rejected"


def _scope() -> Any:
    unit = import_scope(current_user)
    if unit is None:
        deny("import_without_unit")
    return unit


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _user_key() -> str:
    return f"user:{getattr(current_user, 'id', 'anon')}"


def _check_limit() -> str:
    return str(current_app.config.get("CASEWORK_IMPORT_CHECK_RATE_LIMIT", "10 per hour"))


@bp.before_request
def _sweep_staged() -> None:
    """Staged uploads past their lifetime go at every request to these pages (and by cron)."""
    staging.sweep()


@bp.errorhandler(429)
def too_many_checks(_error: Exception):  # type: ignore[no-untyped-def]
    db.session.rollback()
    with unit_of_work():
        audit.record("import.rate_limited", outcome="denied")
    return _no_store(Response(render_template("imports/too_many.html"), status=429))


def _reference_lists(unit: Any) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    units = [(u.code, u.name) for u in org_units.units_in_scope(unit) if u.active]
    providers = [(p.code, p.name) for p in db.session.scalars(
        select(ServiceProvider).where(ServiceProvider.active.is_(True))
        .order_by(ServiceProvider.code))]
    return units, providers


def _check(uploads: list[reader.Upload], unit: Any, *,
           count_identity_checks: bool = True) -> validate.Report:
    book = reader.read_uploads(uploads)
    return validate.check(db.session(), book, unit, current_user,
                          count_identity_checks=count_identity_checks)


@bp.get("/")
@requires(Permission.IMPORT_RECORDS)
def index():  # type: ignore[no-untyped-def]
    unit = _scope()
    page = paginate(visible_import_batches(current_user)
                    .order_by(ImportBatch.created_at.desc(), ImportBatch.id.desc()),
                    per_page=20, count=False)
    return render_template("imports/index.html", form=UploadForm(), batches=page.items,
                           page=page, unit=unit,
                           max_mb=reader.limits()[0] // (1024 * 1024),
                           max_rows=reader.limits()[1])


@bp.get("/template.xlsx")
@requires(Permission.IMPORT_RECORDS)
def download_template():  # type: ignore[no-untyped-def]
    unit = _scope()
    units, providers = _reference_lists(unit)
    data = template.build_template(units, providers)
    with unit_of_work():
        audit.record("import.template_downloaded", details={"unit": unit.id})
    response = Response(data, mimetype=XLSX)
    response.headers["Content-Disposition"] = 'attachment; filename="mau-nhap-ho-so.xlsx"'
    return _no_store(response)


@bp.post("/check")
@requires(Permission.IMPORT_RECORDS)
@limiter.limit(_check_limit, key_func=_user_key)
def check():  # type: ignore[no-untyped-def]
    unit = _scope()
    form = UploadForm()
    if not form.validate_on_submit():
        flash(_("The form expired; choose the file again."), "error")
        return redirect(url_for("imports.index"))
    uploads = [reader.Upload(f.filename or "", f.read()) for f in request.files.getlist("files")
               if f and f.filename]
    staging.discard(session.pop(STAGED, None))
    try:
        report = _check(uploads, unit)
    except validate.IdentityChecksExhausted as refused:
        db.session.rollback()
        return _refused(refused.message, unit, "identity_checks")
    except reader.FileRefused as refused:
        return _refused(refused.message, unit, "file")
    except Exception as error:
        db.session.rollback()
        log.warning("import check failed: %s", type(error).__name__)
        return _refused(_("The file could not be read. Save it again as .xlsx from the "
                          "template and try again."), unit, "unreadable")
    session[STAGED] = staging.stage(current_user.id, uploads)
    with unit_of_work():
        auditing.record_checked(report, unit=unit, source="web")
    return _no_store(Response(render_template(
        "imports/report.html", report=report, apply_form=ApplyForm(), cancel_form=CancelForm(),
        problems=report.sorted_problems()[:500], sheets=validate.spec.SHEETS)))


def _refused(message: Any, unit: Any, reason: str) -> Response:
    with unit_of_work():
        auditing.record_refused(unit=unit, source="web", reason=reason)
    batches: list[ImportBatch] = []
    page = render_template("imports/index.html", form=UploadForm(), batches=batches, unit=unit,
                           refused=message, max_mb=reader.limits()[0] // (1024 * 1024),
                           max_rows=reader.limits()[1])
    return _no_store(Response(page, status=400))


@bp.post("/apply")
@requires(Permission.IMPORT_RECORDS)
def apply():  # type: ignore[no-untyped-def]
    unit = _scope()
    form = ApplyForm()
    if not form.validate_on_submit():
        abort(400)
    token = session.get(STAGED)
    uploads = staging.load(current_user.id, token)
    if uploads is None:
        flash(_("The uploaded file is no longer available; upload it again."), "error")
        return redirect(url_for("imports.index"))
    mode = form.mode.data
    digest = auditing.file_mac(uploads)
    report: validate.Report | None = None
    try:
        # Again: the database may have changed since. The file's identity checks were
        # counted when it was checked.
        report = _check(uploads, unit, count_identity_checks=False)
        auditing.record_matches(report.matched_cases, unit=unit, source="web", stage="apply")
        batch = importer.apply(report, actor=current_user, scope_unit=unit, file_mac=digest,
                               mode=mode, source="web")
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect(url_for("imports.index"))
    except Exception as error:
        db.session.rollback()
        log.warning("import failed and was rolled back: %s", type(error).__name__)
        importer.record_failure(actor=current_user, scope_unit=unit, file_mac=digest,
                                mode=mode, source="web", report=report, error=error)
        db.session.commit()
        flash(_("The import failed and nothing was saved. Check the file and try again; if it "
                "fails again, give the time of the attempt to your administrator."), "error")
        return redirect(url_for("imports.index"))
    staging.discard(session.pop(STAGED, None))
    staging.discard(session.pop(REJECTED, None))
    if report.rejected_rows:
        rejected = template.build_rejected(importer.rejected_rows(report))
        session[REJECTED] = staging.stage(current_user.id, [reader.Upload("rejected.xlsx",
                                                                          rejected)])
    return redirect(url_for("imports.result", batch_id=batch.id))


@bp.post("/cancel")
@requires(Permission.IMPORT_RECORDS)
def cancel():  # type: ignore[no-untyped-def]
    if CancelForm().validate_on_submit():
        staging.discard(session.pop(STAGED, None))
        flash(_("The uploaded file was discarded."), "success")
    return redirect(url_for("imports.index"))


@bp.get("/batches/<id:batch_id>")
@requires(Permission.IMPORT_RECORDS)
def result(batch_id: int):  # type: ignore[no-untyped-def]
    batch = load_import_batch_or_404(current_user, batch_id)
    has_rejected = bool(session.get(REJECTED)) and batch.user_id == current_user.id
    return _no_store(Response(render_template("imports/result.html", batch=batch,
                                              has_rejected=has_rejected)))


@bp.get("/rejected.xlsx")
@requires(Permission.IMPORT_RECORDS)
def rejected():  # type: ignore[no-untyped-def]
    token = session.pop(REJECTED, None)
    uploads = staging.load(current_user.id, token)
    staging.discard(token)
    if not uploads:
        flash(_("The rejected rows can be downloaded only once, right after the import."),
              "error")
        return redirect(url_for("imports.index"))
    with unit_of_work():
        audit.record("import.rejected_downloaded", details={"unit": current_user.org_unit_id})
    response = Response(uploads[0].data, mimetype=XLSX)
    response.headers["Content-Disposition"] = 'attachment; filename="dong-bi-loai.xlsx"'
    return _no_store(response)


# --- Supervisors: imported women who may already be on file in their scope -------------------

@bp.get("/reviews")
@requires(Permission.REVIEW_IMPORT_MATCHES)
def reviews():  # type: ignore[no-untyped-def]
    items = db.session.scalars(
        visible_import_reviews(current_user).where(ImportMatchReview.reviewed_at.is_(None))
        .order_by(ImportMatchReview.created_at, ImportMatchReview.id)).all()
    with unit_of_work():
        audit.record("import.match_reviews_viewed", details={"count": len(items)})
    return _no_store(Response(render_template(
        "imports/reviews.html", reviews=items, kinds=KIND,
        forms={r.id: ReviewForm(prefix=f"r{r.id}") for r in items},
        in_scope=lambda case: case_in_scope(current_user, case))))


@bp.post("/reviews/<int(max=999999999):review_id>")
@requires(Permission.REVIEW_IMPORT_MATCHES)
def resolve_review(review_id: int):  # type: ignore[no-untyped-def]
    item = load_import_review_or_404(current_user, review_id)
    form = ReviewForm(prefix=f"r{review_id}")
    if not form.validate_on_submit():
        flash(_("Choose whether they are the same woman."), "error")
        return redirect(url_for("imports.reviews"))
    with unit_of_work() as work:
        review.resolve(item, form.outcome.data, actor=current_user)
    if work.done:
        flash(_("Your review was saved."), "success")
    return redirect(url_for("imports.reviews"))
