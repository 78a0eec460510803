from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import text

from casework.authz import Permission, public, requires
from casework.blueprints.work import unit_of_work
from casework.extensions import csrf, db
from casework.i18n import SUPPORTED
from casework.observability import metrics_allowed, metrics_response
from casework.observability.readiness import run_checks
from casework.services import accounts
from casework.urls import safe_next

bp = Blueprint("main", __name__)


@bp.get("/")
@requires(Permission.USE_ACCOUNT)
def home():  # type: ignore[no-untyped-def]
    """Each role lands on its own start page once those areas exist; this is the fallback."""
    for endpoint in HOME_BY_ROLE.get(current_user.role, ()):
        if endpoint in current_app.view_functions:
            return redirect(url_for(endpoint))
    return render_template("main/home.html")


HOME_BY_ROLE = {
    "caseworker": ("cases.worklist",),
    "supervisor": ("supervision.dashboard",),
    "partner": ("partner.inbox",),
    "admin": ("admin.users",),
}


@bp.post("/language")
@public
def set_language():  # type: ignore[no-untyped-def]
    """Switch language; remembered per user when signed in, per browser otherwise."""
    language = request.form.get("language", "")
    if language in SUPPORTED:
        session["language"] = language
        if current_user.is_authenticated:
            with unit_of_work():
                accounts.set_language(current_user, language)
    return redirect(safe_next(request.form.get("next")) or url_for("main.home"))


@bp.get("/healthz")
@public
@csrf.exempt
def healthz():  # type: ignore[no-untyped-def]
    """Liveness and database check for load balancers; says nothing else."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}


@bp.get("/readyz")
@public
@csrf.exempt
def readyz():  # type: ignore[no-untyped-def]
    """Readiness for load balancers and deploys: each check's name and ok/fail, nothing else
    (the reason goes to the log)."""
    ready, checks = run_checks(current_app._get_current_object())  # type: ignore[attr-defined]
    return {"status": "ready" if ready else "not ready", "checks": checks}, 200 if ready else 503


@bp.get("/metrics")
@public
@csrf.exempt
def metrics():  # type: ignore[no-untyped-def]
    """Prometheus metrics; public to the login check, guarded by its own bearer token
    (``CASEWORK_METRICS_TOKEN``): 401 without it, and always while none is set."""
    if not metrics_allowed():
        return {"status": "unauthorized"}, 401, {"WWW-Authenticate": 'Bearer realm="metrics"'}
    return metrics_response()
