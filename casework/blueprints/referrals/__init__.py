"""Referrals (staff side): provider directory, drafting and sending, the loop, decline reviews."""

from flask import Blueprint

bp = Blueprint("referrals", __name__, url_prefix="/referrals")


@bp.record_once
def _install(state):  # type: ignore[no-untyped-def]
    from casework.services import notifications

    notifications.init_app(state.app)


from casework.blueprints.referrals import views  # noqa: E402,F401  (registers the routes)
