"""Casework: confidential case management and closed-loop referrals.

``create_app()`` is the only entry point; importing the package does nothing else. Its imports
sit inside the factory on purpose: every ``import casework.<module>`` runs this file first, so
importing one module (a benchmark importing the key ring, say) must not pull in the whole app.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, redirect, request, url_for
from flask_login import current_user
from werkzeug.routing import IntegerConverter

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class RowIdConverter(IntegerConverter):
    """``<id:name>``: a positive integer id small enough for every database (else 404)."""

    def __init__(self, url_map: Any) -> None:
        super().__init__(url_map, min=1, max=2**31 - 1)


def create_app(env: Mapping[str, str] | None = None) -> Flask:
    """Build the app from ``CASEWORK_*`` settings (``env`` replaces ``os.environ`` in tests).

    Raises ``casework.config.ConfigError`` or ``casework.crypto.KeyRingError`` with a message that
    says what to fix when the settings or keys are unsafe for the environment.
    """
    from casework.config import Settings

    settings = Settings.from_env(env)
    settings.validate()

    app = Flask(
        "casework",
        root_path=str(Path(__file__).resolve().parent),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(settings.instance_path),
        instance_relative_config=False,
    )
    app.config.from_mapping(settings.flask_config())
    app.url_map.converters["id"] = RowIdConverter
    if settings.proxy_hops:
        # Behind nginx: the client's address (rate limits, logs) and scheme come from the
        # proxy's X-Forwarded-For/-Proto, trusted for exactly this many hops and no more.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops)

    _init_extensions(app)
    _init_security(app)
    _register_blueprints(app)
    _init_templates(app)

    from casework import cli

    cli.init_app(app)
    return app


def _init_extensions(app: Flask) -> None:
    from sqlalchemy import event

    from casework import models  # noqa: F401  (registers every table on the metadata)
    from casework.extensions import babel, csrf, db, limiter, login_manager, migrate
    from casework.i18n import select_locale

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.session_protection = "basic"

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _init_security(app: Flask) -> None:
    from casework import audit, crypto, errors, observability, request_guard, security
    from casework.authz import is_public_endpoint
    from casework.extensions import login_manager
    from casework.logging_filters import install_log_scrubbing
    from casework.observability import readiness
    from casework.outbox import health as outbox_health
    from casework.services import sessions

    install_log_scrubbing(app)
    observability.init_app(app)  # request ids, JSON request logs, metrics
    readiness.init_app(app)  # /readyz checks; other parts add theirs (register_check)
    readiness.register_check(app, "outbox", outbox_health.backlog_check)
    crypto.init_app(app)
    audit.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    request_guard.init_app(app)  # before deny_by_default: hostile values are never echoed

    login_manager.user_loader(sessions.load_user)

    @login_manager.unauthorized_handler
    def unauthorized():  # type: ignore[no-untyped-def]
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    @app.before_request
    def deny_by_default():  # type: ignore[no-untyped-def]
        """Every endpoint needs a login unless it is explicitly public."""
        if request.endpoint is None:
            return None  # no route: the 404 handler answers
        view = app.view_functions.get(request.endpoint)
        if is_public_endpoint(request.endpoint, view):
            return None
        if getattr(view, "_casework_api", False):
            return None  # the API's own guard: a bearer token or a session, else 401 in JSON
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return None


def _register_blueprints(app: Flask) -> None:
    from casework.blueprints.admin import bp as admin_bp
    from casework.blueprints.auth import bp as auth_bp
    from casework.blueprints.main import bp as main_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(admin_bp)

    from casework.blueprints.cases import bp as cases_bp

    app.register_blueprint(cases_bp)

    from casework.blueprints.partner import bp as partner_bp
    from casework.blueprints.referrals import bp as referrals_bp

    app.register_blueprint(referrals_bp)
    app.register_blueprint(partner_bp)

    from casework.blueprints.links import bp as links_bp

    app.register_blueprint(links_bp)

    from casework.blueprints.supervision import bp as supervision_bp

    app.register_blueprint(supervision_bp)

    from casework.blueprints.imports import bp as imports_bp

    app.register_blueprint(imports_bp)

    from casework.blueprints.activity import bp as activity_bp

    app.register_blueprint(activity_bp)

    from casework.blueprints.api import bp as api_bp

    app.register_blueprint(api_bp)
    from casework.blueprints.tipoffs import bp as tipoffs_bp

    app.register_blueprint(tipoffs_bp)
    from casework.blueprints.rights import bp as rights_bp

    app.register_blueprint(rights_bp)


def _init_templates(app: Flask) -> None:
    from casework import i18n, labels
    from casework.authz import may
    from casework.navigation import navigation_for
    from casework.urls import current_page

    app.jinja_env.filters["date"] = i18n.fmt_date
    app.jinja_env.filters["datetime"] = i18n.fmt_datetime
    app.jinja_env.autoescape = True
    app.jinja_env.globals["role_label"] = labels.role_label
    app.jinja_env.globals["may"] = may
    app.jinja_env.globals["unit_kind_label"] = labels.unit_kind_label
    app.jinja_env.globals["current_page"] = current_page

    @app.context_processor
    def inject_navigation() -> dict[str, Any]:
        return {
            "navigation": navigation_for(current_user),
            "current_language": i18n.select_locale(),
        }
