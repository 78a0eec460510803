"""A partner without an account gets her one-time link through the outbox (issue 12): sent on
the provider's link channel to its contact person, in the transaction of the send, carrying the
partner reference and the link, nothing about the woman; without that channel set up nothing is
queued and the caseworker is told to print the slip or copy a new link herself."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import select

from casework.extensions import db
from casework.models.notification import Notification
from casework.models.outbox import OutboxMessage
from casework.outbox import worker
from casework.services import referrals
from casework.services.effective_dates import today
from tests.referrals.conftest import CANARY_GIVEN, CANARY_PHONE

NOON = datetime.combine(date.today() + timedelta(days=1), datetime.min.time(),
                        tzinfo=ZoneInfo("Asia/Ho_Chi_Minh")).replace(hour=12)


def _send_without_account(loop, draft, channel="sms"):
    loop.partner.active = False
    loop.provider.link_channel = channel
    loop.provider.contact_phone = "0912 345 678"
    loop.provider.contact_email = "tiepnhan@example.vn"
    db.session.commit()
    referrals.send(draft, actor=loop.caseworker, version=draft.version,
                   fields=["given_name", "phone", "age_band"],
                   referred_on=today() - timedelta(days=2), partner_note="Muốn học may")
    db.session.commit()


def test_the_link_goes_to_the_contact_person_by_sms_and_says_nothing_about_her(
        channels_app, loop, draft, sms_gateway):
    _send_without_account(loop, draft)
    message = db.session.scalars(select(OutboxMessage)).one()
    assert (message.channel, message.kind, message.reference) == (
        "sms", "partner_link", draft.partner_reference)
    assert message.link_sealed is not None  # the link waits sealed, never in clear
    with time_machine.travel(NOON, tick=False):
        report = worker.work_once()
    assert report.sent == 1
    [body] = sms_gateway.bodies()
    assert body["to"] == "84912345678"
    assert draft.partner_reference in body["text"]
    assert "https://casework.example/links/" in body["text"]
    for canary in (CANARY_GIVEN, CANARY_PHONE, "Muốn học may", "Vocational", "nghề"):
        assert canary not in body["text"]
    db.session.expire_all()
    message = db.session.get(OutboxMessage, message.id)
    assert (message.status, message.link_sealed) == ("sent", None)
    assert db.session.scalars(select(Notification.kind).where(
        Notification.user_id == loop.caseworker.id)).all() == ["partner_link_created"]


def test_by_email_when_the_provider_chose_email(channels_app, loop, draft, smtp_sink):
    _send_without_account(loop, draft, channel="email")
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.channel == "email"


def test_without_the_channel_set_up_nothing_is_queued_and_the_caseworker_is_told(
        app, loop, draft):
    _send_without_account(loop, draft)
    assert db.session.scalars(select(OutboxMessage)).all() == []
    assert db.session.scalars(select(Notification.kind).where(
        Notification.user_id == loop.caseworker.id)).all() == ["partner_link_created"]


def test_a_provider_without_an_account_is_reminded_with_a_fresh_link_and_her_slip_still_works(
        channels_app, loop, draft, sms_gateway):
    from casework.models.partner_link import PartnerLink
    from casework.services import partner_links, reminders

    _send_without_account(loop, draft)
    first = db.session.scalars(select(PartnerLink)).one()
    partner_links.print_slip(draft, actor=loop.caseworker)  # the code she carries
    db.session.commit()
    slip_code = first.code_hash
    assert slip_code is not None
    due = draft.response_due_on
    assert due is not None
    with time_machine.travel(NOON, tick=False):
        assert reminders.summary(reminders.run(due + timedelta(days=1)))[
            "response_overdue"] == 2  # the provider's contact (a link) and the caseworker
        assert reminders.summary(reminders.run(due + timedelta(days=1)))[
            "response_overdue"] == 0  # once
    db.session.expire_all()
    links = {link.channel: link for link in db.session.scalars(
        select(PartnerLink).where(PartnerLink.revoked_at.is_(None)))}
    assert set(links) == {"sms", "slip"}  # a fresh message link; the slip's link stays
    assert links["sms"].id != first.id
    assert db.session.get(PartnerLink, first.id).revoked_at is not None
    assert links["sms"].code_hash == slip_code  # the code on her slip still opens it
    kinds = sorted(m.kind for m in db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.channel == "sms")))
    assert kinds == ["partner_link", "response_overdue"]
