"""Every route in the matrix, as every role, with hostile values in every parameter: no 5xx.

For each role (and anonymous) the walk first crawls every page the role can open (with real
ids of a case, need, consent, follow-up, referral in each state, partner, user, unit, import
batch and outcome sample) and reads each form on it: where it posts, its fields and their
default values. Then, endpoint by endpoint, it sends a handful of hostile values in each URL
parameter, each query argument the view reads and each form field (the other fields keep the
page's values, so the hostile one gets as deep into the view as it can), and fails on any 5xx.
A route in ``ROUTES`` that the walk cannot reach with a real object or form fails the test too.

The reproductions that gave 500 on PostgreSQL (NUL bytes, integers over 32 bits) are all in
the value set; run it with ``CASEWORK_TEST_DATABASE_URL`` set to walk PostgreSQL.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote_plus, urlsplit

import pytest
from flask import Flask
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RoutingException

from casework.extensions import db
from casework.services.effective_dates import LOCAL_ZONE, today
from tests.conftest import TEST_PASSWORD
from tests.test_route_guards import ALL, PUBLIC, ROUTES

ROLES = ("anonymous", *ALL)

# The values an outside tester sent (a lone surrogate goes on the wire as %ED%A0%80), and "²":
# a digit to str.isdigit() that int() refuses.
HOSTILE = (
    "\x00", "a\x00b", "\x1b[31m", "\ud800", "2147483648", "-2147483649", "9" * 40,
    "x" * 100_000, '=HYPERLINK("x")', "' OR 1=1 --", "../../etc/passwd", "<script>", "²",
)
# For URL parameters (ids and uuids): inserted raw into the path.
HOSTILE_PATH = ("2147483648", "-1", "99999999999999999999", "0", "not-a-uuid", "%00",
                "%ED%A0%80", "..%2F..%2Fetc%2Fpasswd")
# Query arguments each view reads (forms that use GET are discovered from the pages).
EVERY_GET = ("lang",)
SCOPE = ("unit", "period", "as_of")
QUERY_ARGS: dict[str, tuple[str, ...]] = {
    "auth.login": ("next",),
    "referrals.index": ("overdue",),
    "referrals.providers": ("q", "area", "category"),
    "supervision.dashboard": SCOPE,
    "supervision.chart": SCOPE,
    "supervision.report": SCOPE,
    "supervision.report_xlsx": SCOPE,
    "supervision.export_csv": SCOPE,
    "supervision.partners": SCOPE,
    "supervision.outcomes": SCOPE,
    "supervision.sample": SCOPE,
    "cases.new": ("tipoff",),
    "tipoffs.index": ("overdue",),
    "tipoffs.indicator_page": SCOPE,
    "tipoffs.report_page": SCOPE,
    "tipoffs.indicator_xlsx": SCOPE,
    "supervision.access_log": ("before", "user", "case", "action", "date_from", "date_to"),
    "activity.index": ("period",),
    "activity.counts": ("period",),
    "activity.reviews": ("period",),
    "activity.review": ("period",),
    "activity.report": SCOPE,
    "activity.report_xlsx": SCOPE,
    "api.figures": SCOPE,
    "rights.breach": ("username", "provider", "date_from", "date_to"),
}
# Forms that appear only after a step the crawl does not take (their fields, by hand).
FIELDS_BY_HAND: dict[str, dict[str, str]] = {
    "imports.apply": {"mode": "all"},
    "imports.cancel": {},
    "referrals.notices_read": {},  # the button shows only when there are notices
    # Shown only when a record is due for erasure (none in the world).
    "rights.retention_erase": {"case": "", "confirm": "y"},
    "rights.retention_keep": {"reason": "legal_proceedings"},
    # A partner link's actions show only after the right slip code.
    "links.act": {"accept-view_key": "k", "accept-version": "1", "accept-effective_date": "",
                  "accept-note": ""},
}
# Endpoints walked last, in this order: they can end the session or retire the objects.
LAST = ("activity.delete", "activity.revoke_token", "referrals.cancel", "partner.act",
        "tipoffs.transfer", "tipoffs.delete_holiday",
        "cases.transfer", "cases.close", "cases.merge", "cases.erase", "admin.move_unit",
        "admin.deactivate_unit", "admin.deactivate_user",
        "admin.reset_two_factor", "admin.issue_password_link", "auth.change_password",
        "auth.logout")
# The second sign-in step: reached from a password step, walked with one in progress.
PENDING = ("auth.verify_code", "auth.enrol_pending")


# --- The objects the URLs point at -------------------------------------------------------------

@dataclass
class World:
    users: dict[str, Any]
    url_args: dict[str, Any]
    by_endpoint: dict[str, dict[str, Any]]
    login_target: Any
    pending_mfa: Any
    pending_enrol: Any
    case_number: str
    extra_pages: list[str]


@pytest.fixture
def world(app, org, make_user, make_provider, make_case, make_need, make_consent) -> World:
    """One case per referral state in commune C1, a partner for them, and one of every object."""
    from casework import indicators
    from casework.activity import api_tokens
    from casework.activity.targets import half_key
    from casework.models.activity import ActivityRecord, ActivitySubmission
    from casework.models.imports import ImportBatch, ImportMatchReview
    from casework.models.supervision import OutcomeSample, UptakeVerification
    from casework.services import (
        account_links,
        org_units,
        partner_links,
        providers,
        referrals,
        timeline,
    )

    users = {role: make_user(role) for role in ALL}
    caseworker, partner, supervisor = users["caseworker"], users["partner"], users["supervisor"]
    provider = partner.provider
    providers.set_categories(provider, ["vocational_training", "jobs"])
    providers.set_areas(provider, [org.d1.id])
    db.session.commit()
    start = today() - timedelta(days=20)
    needs, consents = [], []
    for n in range(5):
        case = make_case(org.c1, intake_date=start, full_name=f"Trần Thị Thử {n}")
        needs.append(make_need(case, "vocational_training", identified_on=start))
        consents.append(make_consent(case, "share", "vocational_training", given_on=start))
        consents[-1].shared_fields = "full_name,phone"
    db.session.commit()
    main = needs[0].case
    with app.test_request_context():
        task = timeline.add_follow_up(main, due_on=today() + timedelta(days=7),
                                      title="Gọi lại", actor=caseworker)
        db.session.commit()
        draft = _referral(needs[1], provider, caseworker, partner, [])
        sent = _referral(needs[2], provider, caseworker, partner, ["send"])
        declined = _referral(needs[3], provider, caseworker, partner, ["send", "decline"])
        in_service = _referral(needs[4], provider, caseworker, partner,
                               ["send", "accept", "confirm_uptake"])
    # A partner without an account: its referral answers through a one-time link (issue 12).
    no_account = make_provider(code="NOACC", name="Ngân hàng Thử")
    providers.set_categories(no_account, ["jobs"])
    providers.set_areas(no_account, [org.d1.id])
    link_case = make_case(org.c1, intake_date=start, full_name="Trần Thị Thử 8")
    link_need = make_need(link_case, "jobs", identified_on=start)
    make_consent(link_case, "share", "jobs", given_on=start)
    db.session.commit()
    with app.test_request_context():
        linked = _referral(link_need, no_account, caseworker, partner, ["send"])
        slip = partner_links.print_slip(linked, actor=caseworker)
        db.session.commit()
    # An uptake reported by the caseworker, waiting for the supervisor's verdict.
    report_case = make_case(org.c1, intake_date=start, full_name="Trần Thị Thử 7")
    report_need = make_need(report_case, "vocational_training", identified_on=start)
    make_consent(report_case, "share", "vocational_training", given_on=start)
    db.session.commit()
    with app.test_request_context():
        reported = _referral(report_need, provider, caseworker, partner, ["send", "accept"])
        referrals.act(reported, "report_uptake", referrals.ActionInput(
            effective_date=today(), reason_code="home_visit"), actor=caseworker,
            version=reported.version)
        db.session.commit()
    period = indicators.parse_period(None, today())
    sample = OutcomeSample(provider_id=provider.id, org_unit_id=org.province.id,
                           period_key=period.key, period_start=period.start,
                           period_end=period.end, requested_size=1, drawn_by_id=supervisor.id)
    item = UptakeVerification(referral_id=in_service.id, position=1,
                              subject_id=in_service.subject_id)
    sample.items.append(item)
    batch = ImportBatch(user_id=caseworker.id, org_unit_id=org.c1.id, source="web", mode="all",
                        status="completed", file_mac="3" * 64)
    db.session.add_all([sample, batch])
    db.session.commit()
    # An imported woman who may be on file already: queued for the supervisor holding her.
    other = make_case(org.c2, intake_date=start, full_name="Trần Thị Thử 9")
    match = ImportMatchReview(batch_id=batch.id, case_id=other.id, matched_case_id=main.id,
                              kinds="phone")
    db.session.add(match)
    db.session.commit()
    from casework.models.outbox import OutboxMessage

    given_up = OutboxMessage(channel="sms", kind="referral_received", status="given_up",
                             user_id=partner.id, reference=sent.partner_reference,
                             last_error="sms_http_500", attempts=6)
    db.session.add(given_up)
    db.session.commit()
    spare = make_user("caseworker", unit=org.c2)
    retired = make_user("caseworker", unit=org.c2, active=False)
    closed_unit = org_units.create_unit(code="C9", name="Xã Đã Nhập", kind="commune",
                                        parent=org.d2, actor=None)
    closed_unit.active = False
    db.session.commit()
    record = ActivityRecord(org_unit_id=org.c1.id, kind="communication", held_on=start,
                            form="meeting", officers=2, members=30)
    db.session.add(record)
    db.session.add(ActivitySubmission(org_unit_id=org.c2.id, period_key=half_key(today()),
                                      status="submitted", snapshot="{}"))
    with app.test_request_context():
        api_token, _plain = api_tokens.create(org.province, "Walk", actor=supervisor)
    db.session.commit()
    pending_mfa = make_user("supervisor", username="pendingmfa")
    tipoff, classified, forwarded, holiday = _tipoffs(app, org, caseworker)
    with app.test_request_context():  # a live set-password link for a new account
        link_token = account_links.issue_set_password_link(
            make_user("caseworker", unit=org.c2, username="newcomer"), actor=users["admin"],
            reset=False)
        db.session.commit()
    return World(
        users=users,
        url_args={
            "case_id": main.id, "need_id": needs[0].id, "consent_id": consents[0].id,
            "task_id": task.id, "referral_id": sent.id, "provider_id": provider.id,
            "user_id": spare.id, "unit_id": org.c2.id, "batch_id": batch.id,
            "sample_id": sample.id, "item_id": item.id, "action": "accept",
            "review_id": match.id, "token": link_token, "message_id": given_up.id,
            "link_token": slip.url.rsplit("/", 1)[1],
            "filename": "css/casework.css", "record_id": record.id, "kind": "communication",
            "token_id": api_token.id, "tipoff_id": tipoff.id, "holiday_id": holiday.id,
        },
        by_endpoint={
            "referrals.new": {"need_id": needs[0].id},
            "referrals.send": {"referral_id": draft.id},
            "referrals.review": {"referral_id": declined.id},
            "tipoffs.handle": {"tipoff_id": classified.id},
            "tipoffs.acknowledge": {"tipoff_id": forwarded.id},
        },
        login_target=make_user("caseworker", username="target"),
        pending_mfa=pending_mfa,
        pending_enrol=make_user("supervisor", username="pendingenrol", enrol_mfa=False),
        case_number=main.case_number,
        # Pages that bring up forms the routes' own pages do not show.
        extra_pages=[f"/referrals/{draft.id}", f"/referrals/{declined.id}",
                     f"/referrals/{linked.id}", f"/referrals/{reported.id}",
                     f"/admin/units/{closed_unit.id}", f"/admin/users/{retired.id}",
                     f"/admin/users/{pending_mfa.id}",  # enrolled: the reset form shows
                     f"/supervision/report?period={_last_half()}",
                     f"/tipoffs/{classified.id}",  # its page shows the handling form
                     f"/tipoffs/{forwarded.id}"],  # and this one the acknowledgment form
    )


def _tipoffs(app: Flask, org: Any, caseworker: Any) -> tuple[Any, Any, Any, Any]:
    """Tip-offs received in C1: one new, one classified (its page shows the handling form),
    one forwarded to the police (the acknowledgment form); and a public holiday."""
    from datetime import datetime

    from casework.tipoffs import service

    with app.test_request_context():
        received = service.Received(channel="phone", received_at=datetime.now(LOCAL_ZONE),
                                    summary="Nghi có môi giới", reporter_contact="0912000999")
        item = service.receive(received, unit=org.c1, actor=caseworker)
        other = service.receive(received, unit=org.c1, actor=caseworker)
        service.classify(other, classification="crime", on=today(), note=None,
                         actor=caseworker)
        forwarded = service.receive(received, unit=org.c1, actor=caseworker)
        service.classify(forwarded, classification="crime", on=today(), note=None,
                         actor=caseworker)
        service.handle(forwarded, "forwarded_police",
                       service.Handling(on=today(), police_office="Công an xã"),
                       actor=caseworker)
        holiday = service.add_holiday(today() + timedelta(days=40), "Nghỉ lễ", actor=None)
        db.session.commit()
    return item, other, forwarded, holiday


def _last_half() -> str:
    """The last half-year that has ended (a report that can be signed off)."""
    now = today()
    return f"{now.year - 1}H2" if now.month <= 6 else f"{now.year}H1"


def _referral(need, provider, caseworker, partner, steps: list[str]) -> Any:
    """A referral of ``need`` taken through ``steps`` by the services (draft when empty)."""
    from casework.services import referrals

    referral = referrals.create_draft(need, provider, actor=caseworker)
    db.session.commit()
    if not steps:
        return referral
    referrals.send(referral, actor=caseworker, version=referral.version,
                   fields=["given_name", "phone", "age_band"],
                   referred_on=today() - timedelta(days=5), partner_note="Muốn học may")
    db.session.commit()
    inputs = {
        "accept": referrals.ActionInput(effective_date=today() - timedelta(days=3)),
        "decline": referrals.ActionInput(effective_date=today() - timedelta(days=3),
                                         reason_code="no_capacity", note="Hết chỗ"),
        "confirm_uptake": referrals.ActionInput(effective_date=today() - timedelta(days=1)),
    }
    for step in steps[1:]:
        referrals.act(referral, step, inputs[step], actor=partner, version=referral.version)
        db.session.commit()
    return referral


# --- Reading the forms on a page ---------------------------------------------------------------

@dataclass
class Form:
    action: str
    method: str
    multipart: bool
    fields: dict[str, str] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)


# Plausible values for empty fields, so that a form with one hostile field is otherwise valid
# and the hostile value gets as far into the view as it can. The current password stays empty:
# the walk must not change its own account's password before the end.
FILL_BY_NAME = {
    "phone": "0912345678", "national_id": "036195000123", "contact_phone": "0241234567",
    "birth_year": "1990", "code": "WALK1", "username": "walkuser", "other": "",
    "full_name": "Trần Thị Thử", "current_password": "", "contact_email": "walk@example.org",
}
FILL_BY_TYPE = {"password": "a long temporary pass 1", "date": "", "number": "7",
                "email": "walk@example.org", "hidden": ""}


def _fill(name: str, kind: str) -> str:
    base = name.rsplit("-", 1)[-1]  # prefixed fields (v1-note) are filled by their name
    if base in FILL_BY_NAME:
        return FILL_BY_NAME[base]
    if kind == "date":
        return today().isoformat()
    return FILL_BY_TYPE.get(kind, "Thử")


class _FormParser(HTMLParser):
    def __init__(self, page: str) -> None:
        super().__init__()
        self.page = page
        self.forms: list[Form] = []
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action") or self.page, a.get("method", "get").lower(),
                                   "multipart" in a.get("enctype", "")))
            return
        if not self.forms or not a.get("name"):
            if tag == "option" and self._select and self.forms:
                self._option(a)
            return
        form, name = self.forms[-1], a["name"]
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind == "file":
                form.files.append(name)
            elif kind in ("checkbox", "radio"):
                form.fields.setdefault(name, a.get("value") or "y")
            elif kind in ("submit", "button", "reset", "image"):
                form.fields.setdefault(name, a.get("value", ""))
            else:
                form.fields.setdefault(name, a.get("value") or _fill(name, kind))
        elif tag == "button":
            form.fields.setdefault(name, a.get("value", ""))
        elif tag == "textarea":
            form.fields.setdefault(name, _fill(name, "text"))
        elif tag == "select":
            self._select = name
            form.fields.setdefault(name, "")

    def _option(self, a: dict[str, str]) -> None:
        form = self.forms[-1]
        assert self._select is not None
        value = a.get("value", "")
        if value and (not form.fields.get(self._select) or "selected" in a):
            form.fields[self._select] = value

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def forms_on(page: str, html: str) -> list[Form]:
    parser = _FormParser(page)
    parser.feed(html)
    return parser.forms


# --- Sending ----------------------------------------------------------------------------------

def _q(value: str) -> str:
    return quote_plus(value.encode("utf-8", "surrogatepass"))


def encode(pairs: dict[str, str]) -> str:
    """URL-encode as a browser would, lone surrogates included (as %ED%A0%80)."""
    return "&".join(f"{_q(k)}={_q(v)}" for k, v in pairs.items())


@dataclass
class Walk:
    app: Flask
    client: Any
    role: str
    world: World
    refresh: Callable[[], None]
    token: str = ""
    failures: list[str] = field(default_factory=list)
    sent: int = 0

    def check(self, response: Any, what: str) -> Any:
        self.sent += 1
        if response.status_code >= 500:
            self.failures.append(f"{response.status_code} {what}")
        return response

    def get(self, path: str, query: dict[str, str], what: str) -> Any:
        target = f"{path}?{encode(query)}" if query else path
        return self.check(self.client.get(target), what)

    def post(self, path: str, data: dict[str, str], form: Form | None, what: str,
             upload: tuple[bytes, str] | None = None) -> Any:
        data = {**data, "csrf_token": self.token}
        if form is not None and (form.multipart or form.files):
            body: dict[str, Any] = dict(data)
            content, name = upload or (_csv("Trần Thị Thử"), "cases.csv")
            for file_field in form.files or ["files"]:
                body[file_field] = (io.BytesIO(content), name)
            if any("\ud800" in v for v in [*data.values(), name]):
                return None  # multipart parts are bytes: a client cannot send a lone surrogate
            return self.check(self.client.post(path, data=body,
                                               content_type="multipart/form-data"), what)
        return self.check(self.client.post(path, data=encode(data),
                                           content_type="application/x-www-form-urlencoded"),
                          what)


def _csv(full_name: str) -> bytes:
    return ("case_ref,unit,group,intake_date,full_name,referral_source\n"
            f"HS-1,C1,left_sex_work,15/03/2021,{full_name},union\n").encode("utf-8",
                                                                          "surrogatepass")


# --- The walk -------------------------------------------------------------------------------

def _rules(app: Flask) -> dict[str, Any]:
    rules: dict[str, Any] = {}
    for rule in app.url_map.iter_rules():
        rules.setdefault(rule.endpoint, rule)
    return rules


def _path(rule: Any, args: dict[str, Any], replace: tuple[str, str] | None = None) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(0).strip("<>").split(":")[-1]
        if replace and name == replace[0]:
            return replace[1]
        assert name in args, f"the walk has no object for <{name}> in {rule.rule}"
        return str(args[name])

    return re.sub(r"<[^<>]*>", value, rule.rule)


def _allowed(endpoint: str, role: str) -> bool:
    if endpoint in PUBLIC:
        return True
    return role != "anonymous" and role in ROUTES[endpoint][0]


def _order(endpoint: str) -> tuple[int, str]:
    return (LAST.index(endpoint) + 1 if endpoint in LAST else 0, endpoint)


def _collect(adapter: Any, found: dict[str, list[Form]], page: str, html: str) -> None:
    for form in forms_on(page, html):
        parts = urlsplit(form.action)
        try:
            target, _ = adapter.match(parts.path, method=form.method.upper())
        except (HTTPException, RoutingException):  # not a route of ours: nothing to walk
            continue
        form.action = parts.path + (f"?{parts.query}" if parts.query else "")
        found.setdefault(target, []).append(form)


def crawl(walk: Walk, rules: dict[str, Any]) -> dict[str, list[Form]]:
    """GET every page this role may open; collect the forms by the endpoint they post to."""
    adapter = walk.app.url_map.bind("localhost")
    found: dict[str, list[Form]] = {}
    statuses: dict[str, int] = {}
    for endpoint, rule in sorted(rules.items()):
        if "GET" not in rule.methods or endpoint == "static" or not _allowed(endpoint, walk.role):
            continue
        args = {**walk.world.url_args, **walk.world.by_endpoint.get(endpoint, {})}
        page = _path(rule, args)
        response = walk.client.get(page)
        statuses[endpoint] = response.status_code
        if response.mimetype == "text/html":
            _collect(adapter, found, page, response.get_data(as_text=True))
    if walk.role == "anonymous":
        for endpoint in PENDING:
            _prepare_pending(walk, endpoint)
            page = _path(rules[endpoint], {})
            _collect(adapter, found, page, walk.client.get(page).get_data(as_text=True))
            _forget_session(walk.client)
    for page in walk.world.extra_pages:
        response = walk.client.get(page)
        if response.mimetype == "text/html":
            _collect(adapter, found, page, response.get_data(as_text=True))
    unreachable = [e for e, code in statuses.items() if code == 404]
    assert not unreachable, f"{walk.role}: the walk's objects answer 404 on {unreachable}"
    return found


def _requests(walk: Walk, endpoint: str, rule: Any, forms: list[Form]) -> Iterator[
        tuple[str, str, dict[str, str], Form | None, str]]:
    """(method, path, values, form, what) for each hostile request on ``endpoint``."""
    args = {**walk.world.url_args, **walk.world.by_endpoint.get(endpoint, {})}
    allowed = _allowed(endpoint, walk.role)
    for method in ("GET", "POST"):
        if method not in rule.methods:
            continue
        form, base = _form_for(walk, endpoint, method, forms, allowed)
        path = form.action if form is not None else _path(rule, args)
        # Each URL parameter, hostile in turn (the others real).
        for name in re.findall(r"<(?:[^<>]*:)?(\w+)>", rule.rule):
            if name == "filename":
                continue
            for value in HOSTILE_PATH:
                yield (method, _path(rule, args, (name, value)), dict(base), form,
                       f"<{name}>={value}")
        if not allowed:
            for value in ("\x00", "2147483648", "<script>"):
                yield method, path, {**base, "q": value}, form, f"q={value!r}"
            continue
        yield method, path, dict(base), form, "page values"
        # Each query argument (GET) or form field (POST), hostile in turn.
        if method == "GET":
            queried = [*EVERY_GET, *QUERY_ARGS.get(endpoint, ())]
            queried += [k for f in forms if f.method == "get" for k in f.fields]
            for name in dict.fromkeys(queried):
                for value in HOSTILE:
                    yield method, path, {name: value}, None, f"?{name}={value[:20]!r}"
        else:
            for name in base:
                for value in HOSTILE:
                    yield method, path, {**base, name: value}, form, f"{name}={value[:20]!r}"


def _form_for(walk: Walk, endpoint: str, method: str, forms: list[Form],
              allowed: bool) -> tuple[Form | None, dict[str, str]]:
    """The form that posts to ``endpoint`` (found on a page) and its values to start from."""
    if method == "GET":
        return None, {}
    posted = [f for f in forms if f.method == "post"]
    if not posted:
        # Pages of a sign-in in progress are for anonymous sessions; the rest for signed-in ones.
        if allowed and (endpoint in PUBLIC) == (walk.role == "anonymous"):
            assert endpoint in FIELDS_BY_HAND, (
                f"{walk.role} may post to {endpoint} but no page shows its form: add the "
                "object that brings it up to the walk's world, or its fields to FIELDS_BY_HAND")
        return None, dict(FIELDS_BY_HAND.get(endpoint, {}))
    form = posted[0]
    base = {k: v for k, v in form.fields.items() if k != "csrf_token"}
    if endpoint == "auth.login":  # a real account, a wrong password: the form goes all the way
        base.update(username=walk.world.login_target.username, password="not the password")
    if endpoint == "cases.merge":  # a number that matches no case: nothing is merged
        base["other"] = walk.world.case_number + "-X"
    return form, base


def _prepare_pending(walk: Walk, endpoint: str) -> None:
    """Bring the anonymous session to the second sign-in step before each request there."""
    from casework.models.user import User

    user = (walk.world.pending_mfa if endpoint == "auth.verify_code"
            else walk.world.pending_enrol)
    db.session.execute(db.update(User).where(User.id == user.id)
                       .values(failed_logins=0, locked_until=None))
    db.session.commit()
    walk.client.submit("/login", {"username": user.username, "password": TEST_PASSWORD})
    walk.refresh()


@pytest.mark.parametrize("role", ROLES)
def test_no_hostile_value_gives_a_5xx(app, client, login, world, role):
    app.config.update(CASEWORK_SEARCH_RATE_LIMIT="100000 per minute",
                      CASEWORK_IMPORT_CHECK_RATE_LIMIT="100000 per hour",
                      CASEWORK_AUDIT_VERIFY_RATE_LIMIT="100000 per hour",
                      CASEWORK_LOGIN_RATE_LIMIT="100000 per minute",
                      CASEWORK_TIPOFF_FORM_RATE_LIMIT="100000 per minute",
                      CASEWORK_TIPOFF_STATUS_RATE_LIMIT="100000 per minute")
    walk = Walk(app, client, role, world, refresh=lambda: None)

    def refresh() -> None:
        walk.token = client.csrf_token("/account" if role != "anonymous" else "/login")
        if role == "anonymous" and "pending_login" in _session(client):
            page = client.get("/login/verify").get_data(as_text=True)
            if 'name="csrf_token"' not in page:
                page = client.get("/login/enrol").get_data(as_text=True)
            match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
            walk.token = match.group(1) if match else walk.token

    walk.refresh = refresh
    if role != "anonymous":
        login(client, world.users[role])
    rules = _rules(app)
    forms = crawl(walk, rules)
    refresh()
    for endpoint in sorted(rules, key=_order):
        if endpoint == "static":
            continue
        if endpoint == LAST[0] and role != "anonymous":  # nothing before ended the session
            assert client.get("/account").status_code == 200, f"{role} was signed out"
        for method, path, values, form, what in _requests(walk, endpoint, rules[endpoint],
                                                          forms.get(endpoint, [])):
            pending = role == "anonymous" and endpoint in PENDING
            if pending:
                _prepare_pending(walk, endpoint)
            label = f"{role} {method} {endpoint} {what}"
            if method == "GET":
                walk.get(path, values, label)
            else:
                walk.post(path, values, form, label)
            if pending:
                _forget_session(client)
                refresh()
        upload_forms = [f for f in forms.get(endpoint, []) if f.files]
        if endpoint == "imports.check" and upload_forms:  # hostile file names and cells
            form = upload_forms[0]
            for value in HOSTILE[:4] + HOSTILE[8:]:
                label = f"{role} POST {endpoint} {value[:20]!r}"
                walk.post(form.action, {}, form, f"{label} as file name",
                          (_csv("x"), value + ".csv"))
                walk.post(form.action, {}, form, f"{label} in a cell", (_csv(value), "cases.csv"))
    assert walk.sent > 100
    assert not walk.failures, "\n".join(walk.failures[:40])


def _forget_session(client: Any) -> None:
    with client.session_transaction() as session:
        session.clear()


def _session(client: Any) -> dict[str, Any]:
    with client.session_transaction() as session:
        return dict(session)
