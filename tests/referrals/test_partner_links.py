"""One-time partner links (issue 12, SECURITY.md "Messages, links and outside channels").

A provider without an active partner user answers through a link and the code printed on her
slip: 256-bit tokens stored only as keyed digests, expiring, bound to one referral and one
purpose, once per action, every use audited, nothing in logs, her data only after the code.
"""

from __future__ import annotations

import io
import logging
import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from casework.db import utcnow
from casework.domain import UPTAKE_PARTNER_LINK
from casework.extensions import db
from casework.logging_filters import ScrubFilter
from casework.models.audit import AuditEvent
from casework.models.notification import Notification
from casework.models.partner_link import LinkActor, PartnerLink
from casework.models.referral import ReferralEvent
from casework.services import partner_links, referrals
from casework.services.effective_dates import today
from casework.services.errors import DomainError
from tests.referrals.conftest import CANARY_GIVEN, CANARY_PHONE, form_values

CODE_RE = re.compile(r'data-testid="slip-code">([A-Z0-9-]+)<')
URL_RE = re.compile(r'value="(?:https?://[^/"]+)?(/links/[A-Za-z0-9_-]{43})"')


@pytest.fixture
def no_account(loop):
    """The loop's provider with no active partner user (its only user deactivated)."""
    loop.partner.active = False
    db.session.commit()
    return loop


@pytest.fixture
def linked(no_account, draft):
    referrals.send(draft, actor=no_account.caseworker, version=draft.version,
                   fields=["given_name", "phone", "age_band"],
                   referred_on=today() - timedelta(days=2), partner_note="Muốn học may")
    db.session.commit()
    return draft


def _slip(client: Any, login: Any, loop: Any, referral: Any) -> tuple[str, str]:
    """Print her slip as the caseworker; returns (link path, slip code) read off the page."""
    login(client, loop.caseworker)
    page = client.submit(f"/referrals/{referral.id}/slip", page=f"/referrals/{referral.id}")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    code, path = CODE_RE.search(html), URL_RE.search(html)
    assert code, html[:2000]
    assert path, html[:2000]
    client.post("/logout", data={"csrf_token": form_values(html)["csrf_token"]})
    client.get("/login")  # shows (and so clears) the logout message
    return path.group(1), code.group(1)


def _enter(client: Any, path: str, code: str) -> Any:
    return client.submit(path, {"code": code})


def _act(client: Any, path: str, page_html: str, action: str, **fields: str) -> Any:
    key = re.search(rf'id="{action}-view_key"[^>]*value="([^"]+)"', page_html)
    version = re.search(rf'id="{action}-version"[^>]*value="(\d+)"', page_html)
    assert key, f"no {action} form"
    assert version, f"no {action} form"
    data = {f"{action}-view_key": key.group(1), f"{action}-version": version.group(1),
            f"{action}-effective_date": today().isoformat(),
            **{f"{action}-{k}": v for k, v in fields.items()},
            "csrf_token": form_values(page_html)["csrf_token"]}
    return client.post(f"{path}/{action}", data=data)


def _page(response: Any) -> str:
    """The page's text without its CSRF token (signed with the time, so it varies)."""
    return re.sub(r'name="csrf_token" value="[^"]+"', "", response.get_data(as_text=True))


def _invalid_body(client: Any) -> str:
    response = client.get("/links/" + "Z" * 43)
    assert response.status_code == 404
    return _page(response)


def test_sending_to_a_partner_without_account_makes_one_link_and_tells_the_caseworker(
        linked, no_account):
    rows = db.session.scalars(select(PartnerLink).where(
        PartnerLink.referral_id == linked.id)).all()
    assert len(rows) == 1
    link = rows[0]
    assert link.channel == "sms"
    assert link.purpose == "respond"
    assert link.code_hash is None
    assert link.expires_at > utcnow() + timedelta(days=59)
    notice = db.session.scalar(select(Notification).where(
        Notification.user_id == no_account.caseworker.id,
        Notification.kind == "partner_link_created"))
    assert notice is not None
    assert "/links/" not in (notice.link or "")


def test_a_partner_with_an_account_gets_no_link(sent):
    assert db.session.scalar(select(PartnerLink.id).where(
        PartnerLink.referral_id == sent.id)) is None


def test_tokens_hold_256_bits_and_only_keyed_digests_are_stored(app, linked, no_account):
    with app.test_request_context():
        issued = partner_links.print_slip(linked, actor=no_account.caseworker)
        db.session.commit()
    token = issued.url.rsplit("/", 1)[1]
    assert len(token) == 43
    code = partner_links.normalise_code(issued.code)
    for row in db.session.scalars(select(PartnerLink)):
        values = " ".join(str(getattr(row, c.key)) for c in PartnerLink.__table__.columns)
        assert token not in values
        assert code not in values
        assert row.token_hash.startswith("v")
        assert row.code_hash.startswith("v")
    audits = " ".join(str(a.details) for a in db.session.scalars(select(AuditEvent)))
    assert token not in audits
    assert code not in audits


def test_the_whole_answer_through_the_link(client, login, linked, no_account):
    path, code = _slip(client, login, no_account, linked)
    first = client.get(path)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "no-store"
    assert CANARY_GIVEN not in first.get_data(as_text=True)  # nothing before the code
    shown = _enter(client, path, code.lower().replace("-", " "))
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200
    assert CANARY_GIVEN in html
    assert CANARY_PHONE in html
    accepted = _act(client, path, html, "accept")
    assert accepted.status_code == 200, accepted.get_data(as_text=True)[:3000]
    db.session.expire_all()
    assert linked.status == "accepted"
    done = _act(client, path, accepted.get_data(as_text=True), "confirm_uptake")
    assert done.status_code == 200
    assert 'data-testid="link-done"' in done.get_data(as_text=True)
    db.session.expire_all()
    assert linked.status == "in_service"
    assert linked.uptake_on == today()
    assert linked.uptake_provenance == UPTAKE_PARTNER_LINK
    assert linked.uptake_confirmed_by_id is None
    event = linked.events[-1]
    assert event.action == "confirm_uptake"
    assert event.actor_role == "partner_link"
    assert event.actor_id is None
    assert '"link"' in (event.details or "")
    # Its work is done: every link of the referral is revoked, the page reveals nothing.
    assert all(lk.revoked_at is not None for lk in db.session.scalars(
        select(PartnerLink).where(PartnerLink.referral_id == linked.id)))
    again = client.get(path)
    assert again.status_code == 404
    assert _page(again) == _invalid_body(client)
    # The caseworker was told, and her referral page says how the uptake is known.
    kinds = set(db.session.scalars(select(Notification.kind).where(
        Notification.user_id == no_account.caseworker.id)))
    assert {"referral_accepted", "uptake_confirmed"} <= kinds
    login(client, no_account.caseworker)
    page = client.get(f"/referrals/{linked.id}").get_data(as_text=True)
    assert 'data-testid="uptake-by-link"' in page
    assert "uptake-provenance" in page


def test_every_use_is_audited_without_the_token(client, login, linked, no_account):
    path, code = _slip(client, login, no_account, linked)
    client.get(path)
    _enter(client, path, "WRONG-CODE")
    html = _enter(client, path, code).get_data(as_text=True)
    _act(client, path, html, "decline", reason_code="no_capacity", note="Hết chỗ")
    client.get(path)  # declined: the link is closed
    client.get(path[:-3] + "abc")  # altered
    actions = [a.action for a in db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
    for expected in ("partner_link.slip_printed", "partner_link.opened",
                     "partner_link.code_wrong", "partner_link.code_ok",
                     "referral.partner_viewed", "referral.decline", "partner_link.refused"):
        assert expected in actions, expected
    assert actions.count("partner_link.refused") >= 2
    link_rows = db.session.scalars(select(AuditEvent).where(
        AuditEvent.actor_role == "partner_link")).all()
    assert {a.action for a in link_rows} >= {"referral.decline", "partner_link.code_ok"}
    token = path.rsplit("/", 1)[1]
    for row in db.session.scalars(select(AuditEvent)):
        assert token not in f"{row.details} {row.target_id} {row.fields}"


def test_wrong_codes_are_counted_then_lock_the_link(client, login, linked, no_account):
    path, code = _slip(client, login, no_account, linked)
    for tries in range(1, 5):
        wrong = _enter(client, path, "AAAA-AAAA")
        assert wrong.status_code == 400
        link = db.session.scalar(select(PartnerLink).where(PartnerLink.channel == "slip"))
        db.session.refresh(link)
        assert link.failed_codes == tries
        assert link.locked_at is None
    assert CANARY_GIVEN not in wrong.get_data(as_text=True)
    fifth = _enter(client, path, "AAAA-AAAA")
    assert fifth.status_code == 404
    db.session.refresh(link)
    assert link.locked_at is not None
    right = _enter(client, path, code)  # even the right code now
    assert right.status_code == 404
    assert _page(right) == _invalid_body(client)
    wrongs = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "partner_link.code_wrong")).all()
    assert len(wrongs) == 5
    assert '"locked": true' in (wrongs[-1].details or "")


def test_expired_reused_altered_and_foreign_links_answer_the_same_plain_page(
        client, login, linked, no_account, make_need, make_consent):
    path, code = _slip(client, login, no_account, linked)
    plain = _invalid_body(client)
    assert CANARY_GIVEN not in plain
    assert linked.partner_reference not in plain
    # Altered: one character changed.
    altered = path[:-1] + ("A" if path[-1] != "A" else "B")
    assert _page(client.get(altered)) == plain
    # Reused for an action it took already (a replayed form).
    html = _enter(client, path, code).get_data(as_text=True)
    assert _act(client, path, html, "accept").status_code == 200
    replay = _act(client, path, html, "accept")
    assert replay.status_code == 404
    assert _page(replay) == plain
    # An action without the code's key.
    bare = client.submit(f"{path}/hold", {"hold-reason_code": "waiting_list"}, page=path)
    assert bare.status_code == 404
    assert _page(bare) == plain
    # Expired.
    with time_machine.travel(utcnow() + timedelta(days=61)):
        assert _page(client.get(path)) == plain


def test_a_link_acts_on_its_own_referral_only(app, linked, no_account, make_need, make_consent):
    start = today() - timedelta(days=10)
    need = make_need(no_account.case, "jobs", identified_on=start)
    make_consent(no_account.case, "share", "jobs", given_on=start)
    other = referrals.create_draft(need, no_account.provider, actor=no_account.caseworker)
    db.session.commit()
    referrals.send(other, actor=no_account.caseworker, version=other.version,
                   fields=["age_band"], referred_on=start, partner_note=None)
    db.session.commit()
    link = db.session.scalar(select(PartnerLink).where(PartnerLink.referral_id == linked.id))
    foreign = LinkActor(link_id=link.id, referral_id=linked.id,
                        provider_id=no_account.provider.id)
    with app.test_request_context(), pytest.raises(DomainError):
        referrals.act(other, "accept", referrals.ActionInput(effective_date=today()),
                      actor=foreign, version=other.version)


def test_a_reissued_link_revokes_the_old_one(client, login, app, linked, no_account):
    old = db.session.scalar(select(PartnerLink).where(PartnerLink.referral_id == linked.id))
    login(client, no_account.caseworker)
    page = client.submit(f"/referrals/{linked.id}/partner-link",
                         page=f"/referrals/{linked.id}")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert URL_RE.search(page.get_data(as_text=True))
    db.session.refresh(old)
    assert old.revoked_at is not None
    live = partner_links.active_links(linked)
    assert [lk.channel for lk in live] == ["copy"]


def test_link_tokens_never_reach_a_log_line(app):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ScrubFilter())
    logger = logging.getLogger("casework.tests.partner_links")
    logger.handlers, logger.propagate = [handler], False
    token = "Abc-_0123456789abcdefghijklmnopqrstuvwxyzAB"
    logger.warning('127.0.0.1 - - "%s %s HTTP/1.1" 200 -', "GET", f"/links/{token}")
    logger.warning('"POST /links/%s/confirm_uptake HTTP/1.1" 200', token)
    assert token not in stream.getvalue()
    assert "/links/[token]/confirm_uptake" in stream.getvalue()


def test_the_link_page_is_rate_limited(make_app):
    app = make_app(partner_link_rate_limit="3 per minute")
    client = app.test_client()
    codes = [client.get("/links/" + "y" * 43).status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]


def test_a_referral_event_through_a_link_names_no_user(linked, app, no_account):
    with app.test_request_context():
        issued = partner_links.print_slip(linked, actor=no_account.caseworker)
        db.session.commit()
        link = issued.link
        key = partner_links.check_code(link, issued.code)
        db.session.commit()
        assert key is not None
        partner_links.act(link, "accept", referrals.ActionInput(effective_date=today()),
                          view_key=key, version=linked.version)
        db.session.commit()
    event = db.session.scalar(select(ReferralEvent).where(
        ReferralEvent.referral_id == linked.id, ReferralEvent.action == "accept"))
    assert event.actor_id is None
    assert event.actor_role == "partner_link"


def test_sentinel_scan_of_the_link_tables_dump_logs_and_audit(client, login, linked,
                                                              no_account, caplog):
    """The token, the slip code and her shared details never reach storage, logs or audit."""
    from tests.crypto.test_sentinel import _database_bytes, _forms

    caplog.set_level(logging.DEBUG)
    path, code = _slip(client, login, no_account, linked)
    html = _enter(client, path, "WRONG-CODE").get_data(as_text=True)
    html = _enter(client, path, code).get_data(as_text=True)
    assert CANARY_GIVEN in html
    _act(client, path, html, "accept", note=f"Đã gọi {CANARY_PHONE}")
    logging.getLogger("casework.test").info("link used: %s", path)
    token = path.rsplit("/", 1)[1]
    audit_rows = " ".join(f"{e.target_id} {e.fields} {e.details}"
                          for e in db.session.scalars(select(AuditEvent)))
    raw = _database_bytes(db.engine.url)
    logs = caplog.text
    for secret in (token, partner_links.normalise_code(code), code):
        assert secret.encode() not in raw
        assert secret not in audit_rows
        assert secret not in logs
    for value in (CANARY_GIVEN, CANARY_PHONE):
        for form in _forms(value):
            assert form not in raw
            assert form.decode() not in audit_rows


def test_choosing_a_partner_says_who_answers_online_and_who_gets_a_link(client, login, loop):
    loop.other_partner.active = False  # the other provider keeps no active account
    db.session.commit()
    login(client, loop.caseworker)
    html = client.get(f"/referrals/new/{loop.need.id}").get_data(as_text=True)
    rows = {p.name: html.split(p.name, 1)[1].split("</label>", 1)[0]
            for p in (loop.provider, loop.other_provider)}
    assert "Trả lời trực tuyến trên Casework" in rows[loop.provider.name]
    assert "Chưa có tài khoản: nhận đường dẫn dùng một lần" in rows[loop.other_provider.name]
