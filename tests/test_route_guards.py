"""Deny by default: every endpoint is public by name, or guarded, and listed in the matrix.

``ROUTES`` is the authorisation matrix: for each endpoint, the roles that may open it. A route
added without a line here fails ``test_every_route_is_in_the_matrix``. Roles not listed must get
404 (or a redirect to log in when anonymous).
"""

from __future__ import annotations

import pytest

from casework.authz import is_public_endpoint

ALL = ("admin", "supervisor", "caseworker", "partner")
STAFF = ("admin", "supervisor", "caseworker")
CASE_STAFF = ("supervisor", "caseworker")  # staff who may see case content (never admins)

# endpoint -> (roles allowed, sample path for GET checks or None for POST-only/parametrised)
ROUTES: dict[str, tuple[tuple[str, ...], str | None]] = {
    "static": (ALL, None),
    "main.home": (ALL, "/"),
    "main.set_language": (ALL, None),
    "main.healthz": (ALL, "/healthz"),
    "main.readyz": (ALL, "/readyz"),
    "main.metrics": (ALL, None),  # public to the login check; its own bearer token (401 without)
    "auth.login": (ALL, None),
    "auth.verify_code": (ALL, None),
    "auth.enrol_pending": (ALL, None),
    "auth.enrol": (ALL, "/account/two-factor"),
    "auth.recovery_codes": (ALL, None),
    "auth.logout": (ALL, None),
    "auth.change_password": (ALL, "/account/password"),
    "auth.account": (ALL, "/account"),
    "auth.messages": (ALL, "/account/messages"),
    "auth.set_password": (ALL, None),  # public: the one-time link's owner has no password yet
    "admin.users": (("admin",), "/admin/users"),
    "admin.new_user": (("admin",), "/admin/users/new"),
    "admin.user": (("admin",), None),
    "admin.issue_password_link": (("admin",), None),
    "admin.deactivate_user": (("admin",), None),
    "admin.reactivate_user": (("admin",), None),
    "admin.reset_two_factor": (("admin",), None),
    "admin.units": (("admin",), "/admin/units"),
    "admin.outbox": (("admin",), "/admin/outbox"),
    "admin.outbox_retry": (("admin",), None),
    "admin.new_unit": (("admin",), "/admin/units/new"),
    "admin.unit": (("admin",), None),
    "admin.rename_unit": (("admin",), None),
    "admin.move_unit": (("admin",), None),
    "admin.deactivate_unit": (("admin",), None),
    "admin.reactivate_unit": (("admin",), None),
    "cases.worklist": (("supervisor", "caseworker"), "/cases/worklist"),
    "cases.index": (("supervisor", "caseworker"), "/cases"),
    "cases.new": (("caseworker",), "/cases/new"),
    "cases.view": (("supervisor", "caseworker"), None),
    "cases.edit": (("caseworker",), None),
    "cases.new_consent": (("caseworker",), None),
    "cases.withdraw_consent": (("caseworker",), None),
    "cases.consent_form": (("supervisor", "caseworker"), None),
    "cases.new_need": (("caseworker",), None),
    "cases.need_status": (("caseworker",), None),
    "cases.new_note": (("caseworker",), None),
    "cases.new_follow_up": (("caseworker",), None),
    "cases.complete_follow_up": (("caseworker",), None),
    "cases.transfer": (("caseworker",), None),
    "cases.close": (("caseworker",), None),
    "cases.reopen": (("caseworker",), None),
    "cases.merge": (("supervisor",), None),
    "cases.data_print": (("supervisor", "caseworker"), None),
    "cases.data_download": (("supervisor", "caseworker"), None),
    "cases.erase": (("supervisor", "caseworker"), None),
    # Her rights (issue 19)
    "rights.access": (("supervisor",), None),
    "rights.pack_xlsx": (CASE_STAFF, None),
    "rights.breach": (("supervisor",), "/rights/breach"),
    "rights.retention_list": (("supervisor",), "/rights/retention"),
    "rights.retention_erase": (("supervisor",), None),
    "rights.retention_keep": (("supervisor",), None),
    "rights.retention_schedule": (("supervisor",), None),
    "rights.dossier": (("admin", "supervisor"), "/rights/impact-assessment"),
    # Referrals and the partner portal (issue 5)
    "referrals.providers": (STAFF, "/referrals/providers"),
    "referrals.provider": (STAFF, None),
    "referrals.new_provider": (("admin", "supervisor"), "/referrals/providers/new"),
    "referrals.edit_provider": (("admin", "supervisor"), None),
    "referrals.index": (("supervisor", "caseworker"), "/referrals/"),
    "referrals.reviews": (("supervisor",), "/referrals/reviews"),
    "referrals.new": (("caseworker",), None),
    "referrals.view": (("supervisor", "caseworker"), None),
    "referrals.send": (("caseworker",), None),
    "referrals.cancel": (("caseworker",), None),
    "referrals.review": (("supervisor",), None),
    "referrals.print_slip": (("caseworker",), None),
    "referrals.report_uptake": (("caseworker",), None),
    "referrals.verify_uptake": (("supervisor",), None),
    "referrals.uptake_reports": (("supervisor",), "/referrals/uptake-reports"),
    "referrals.reissue_link": (("caseworker",), None),
    "referrals.notices": (STAFF, "/referrals/notices"),
    "referrals.notices_read": (STAFF, None),
    "partner.inbox": (("partner",), "/partner/"),
    "partner.referral": (("partner",), None),
    "partner.act": (("partner",), None),
    "partner.performance": (("partner",), "/partner/performance"),
    "partner.notices_read": (("partner",), None),
    # Partners without an account (issue 12): public, the token and the slip code are the proof
    "links.open_": (ALL, None),
    "links.act": (ALL, None),
    "supervision.dashboard": (("supervisor",), "/supervision/"),
    "supervision.chart": (("supervisor",), "/supervision/chart.svg"),
    "supervision.report": (("supervisor",), "/supervision/report"),
    "supervision.report_xlsx": (("supervisor",), "/supervision/report.xlsx"),
    "supervision.sign_off": (("supervisor",), None),
    "supervision.export_csv": (("supervisor",), "/supervision/export.csv"),
    "supervision.partners": (("supervisor",), "/supervision/partners"),
    "supervision.outcomes": (("supervisor",), "/supervision/outcomes"),
    "supervision.sample": (("supervisor",), None),
    "supervision.verdict": (("supervisor",), None),
    "supervision.access_log": (("admin", "supervisor"), "/supervision/access-log"),
    "supervision.verify_access_log": (("admin", "supervisor"), None),
    "imports.index": (CASE_STAFF, "/imports/"),
    "imports.download_template": (CASE_STAFF, "/imports/template.xlsx"),
    "imports.check": (CASE_STAFF, None),
    "imports.apply": (CASE_STAFF, None),
    "imports.cancel": (CASE_STAFF, None),
    "imports.result": (CASE_STAFF, None),
    "imports.rejected": (CASE_STAFF, "/imports/rejected.xlsx"),
    "imports.reviews": (("supervisor",), "/imports/reviews"),
    "imports.resolve_review": (("supervisor",), None),
    # The union's own activity and the all-targets report (issue 16). Records are entered for
    # the user's own unit only: the walk's record is commune C1's, so only its caseworker may
    # open it (a supervisor edits her own unit's records the same way).
    "activity.index": (CASE_STAFF, "/activity/"),
    "activity.new": (CASE_STAFF, "/activity/new/communication"),
    "activity.edit": (("caseworker",), None),
    "activity.delete": (("caseworker",), None),
    "activity.counts": (CASE_STAFF, "/activity/counts"),
    "activity.submit": (CASE_STAFF, None),
    "activity.reviews": (("supervisor",), "/activity/reviews"),
    "activity.review": (("supervisor",), None),
    "activity.report": (("supervisor",), "/activity/report"),
    "activity.report_xlsx": (("supervisor",), "/activity/report.xlsx"),
    "activity.tokens": (("admin", "supervisor"), "/activity/tokens"),
    "activity.import_activity": (("supervisor",), "/activity/import"),
    "activity.import_template": (("supervisor",), "/activity/import/template.xlsx"),
    "activity.revoke_token": (("admin", "supervisor"), None),
    # The read-only API: a bearer token or the session of a user who may see the figures;
    # anonymous callers get 401 (JSON), not a login redirect, so no sample path here.
    "api.figures": (("supervisor",), None),
    "api.units": (("supervisor",), None),
    "api.openapi": (ALL, "/api/v1/openapi.json"),
    # Tip-offs and complaints, target 6 (issue 15)
    "tipoffs.index": (CASE_STAFF, "/tipoffs/"),
    "tipoffs.new": (("caseworker",), "/tipoffs/new"),
    "tipoffs.view": (CASE_STAFF, None),
    "tipoffs.verify": (("caseworker",), None),
    "tipoffs.classify": (("caseworker",), None),
    "tipoffs.handle": (("caseworker",), None),
    "tipoffs.acknowledge": (("caseworker",), None),
    "tipoffs.transfer": (("caseworker",), None),
    "tipoffs.settings": (("admin", "supervisor"), "/tipoffs/settings"),
    "tipoffs.add_holiday": (("admin", "supervisor"), None),
    "tipoffs.delete_holiday": (("admin", "supervisor"), None),
    "tipoffs.indicator_page": (("supervisor",), "/tipoffs/indicator"),
    "tipoffs.report_page": (("supervisor",), "/tipoffs/report"),
    "tipoffs.indicator_xlsx": (("supervisor",), "/tipoffs/indicator.xlsx"),
    "tipoffs.send": (ALL, "/tipoffs/send"),  # public: the union's online form
    "tipoffs.status": (ALL, "/tipoffs/status"),  # public: status by receipt code
}

PUBLIC = {
    "static",
    "main.set_language",
    "main.healthz",
    "main.readyz",
    "main.metrics",
    "auth.login",
    "auth.verify_code",
    "auth.enrol_pending",
    "auth.set_password",
    "api.openapi",  # the API's description: no data
    "tipoffs.send",
    "tipoffs.status",
    "links.open_",
    "links.act",
}


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = sorted(endpoints - set(ROUTES))
    assert not missing, f"routes missing from the authorisation matrix: {missing}"
    stale = sorted(set(ROUTES) - endpoints)
    assert not stale, f"matrix lists routes that no longer exist: {stale}"


def test_every_endpoint_is_public_or_guarded(app):
    unguarded = []
    for endpoint, view in app.view_functions.items():
        public = is_public_endpoint(endpoint, view)
        guarded = getattr(view, "_casework_guard", None) is not None
        if public == guarded:  # neither, or both (a contradiction)
            unguarded.append(endpoint)
        if public and endpoint not in PUBLIC:
            unguarded.append(f"{endpoint} (public but not on the allow-list)")
    assert not unguarded, f"endpoints neither public nor guarded: {unguarded}"


def _get_routes():
    return [(ep, path, roles) for ep, (roles, path) in ROUTES.items() if path]


@pytest.mark.parametrize(("endpoint", "path", "roles"), _get_routes())
def test_anonymous_is_sent_to_login(client, endpoint, path, roles):
    response = client.get(path)
    if endpoint in PUBLIC:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert "/login?next=" in response.headers["Location"]


@pytest.mark.parametrize("role", ALL)
def test_role_matrix_on_get_routes(client, make_user, login, role):
    user = make_user(role)
    login(client, user)
    for endpoint, path, roles in _get_routes():
        response = client.get(path)
        if role in roles:
            assert response.status_code in (200, 302), (endpoint, role, response.status_code)
            if response.status_code == 302:
                assert "/login" not in response.headers["Location"], (endpoint, role)
        else:
            assert response.status_code == 404, (endpoint, role, response.status_code)


def test_a_denied_request_is_audited(client, make_user, login, app):
    from sqlalchemy import select

    from casework.extensions import db
    from casework.models.audit import AuditEvent

    user = make_user("caseworker")
    login(client, user)
    assert client.get("/admin/users").status_code == 404
    db.session.expire_all()
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "authz.denied")
    ).all()
    assert [e.actor_user_id for e in events] == [user.id]
    assert events[0].outcome == "denied"
