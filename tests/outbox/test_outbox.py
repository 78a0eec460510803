"""The outbox: messages written with the change that caused them, sent by the worker through
real SMTP (aiosmtpd) and real HTTP (local stand-ins for the SMS gateway and Zalo's API), retried
with back-off, given up and shown to admins, held in quiet hours, folded into a daily digest,
and sent once however many workers run. The clock is moved with time-machine.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import select, text

from casework import outbox
from casework.extensions import db
from casework.models.outbox import OutboxMessage
from casework.outbox import contacts, worker
from casework.services import referrals
from casework.services.effective_dates import today
from tests.referrals.conftest import CANARY_GIVEN, CANARY_ID, CANARY_NAME, CANARY_PHONE

VN = ZoneInfo("Asia/Ho_Chi_Minh")
PARTNER_EMAIL = "doitac.canary@example.org"
PARTNER_PHONE = "0912 000 111"
PARTNER_ZALO = "0912 000 222"


def local_at(hour: int, minute: int = 0, days: int = 0) -> datetime:
    """A Vietnam-time moment on today's date (+ ``days``): fixtures use the real date."""
    day = datetime.now(VN).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=VN)


def choose(user, *channels: str, digest: bool = False) -> None:
    contacts.save_preferences(user, email=PARTNER_EMAIL, phone=PARTNER_PHONE, zalo=PARTNER_ZALO,
                              channels=list(channels), digest=digest)
    db.session.commit()


def messages() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.created_at)))


def send_referral(loop, draft) -> None:
    referrals.send(draft, actor=loop.caseworker, version=draft.version,
                   fields=["given_name", "phone"], referred_on=today() - timedelta(days=1),
                   partner_note="Muốn học may")
    db.session.commit()


def test_a_referral_reaches_the_partner_by_email_sms_and_zalo_with_nothing_personal(
        channels_app, smtp_sink, sms_gateway, zalo_gateway, loop, draft, caplog):
    sink, _port = smtp_sink
    choose(loop.partner, "email", "sms", "zalo")
    caplog.set_level(logging.DEBUG)
    with time_machine.travel(local_at(9), tick=True):
        send_referral(loop, draft)
        queued = messages()
        assert sorted(m.channel for m in queued) == ["email", "sms", "zalo"]
        assert {m.status for m in queued} == {"queued"}
        assert sink.messages == []
        assert sms_gateway.requests == []
        report = worker.drain()
    assert (report.sent, report.failed, report.given_up) == (3, 0, 0)
    link = f"https://casework.example/partner/referrals/{draft.id}"
    reference = draft.partner_reference
    # E-mail: a real SMTP conversation.
    [(recipients, mail)] = sink.messages
    assert recipients == [PARTNER_EMAIL]
    assert reference in mail
    assert link in mail
    # SMS: the generic gateway's JSON, with its bearer token.
    [sms] = sms_gateway.requests
    assert sms["headers"]["authorization"] == "Bearer sms-token-1"
    assert sms["json"]["to"] == "84912000111"
    assert sms["json"]["from"] == "HLHPN"
    assert reference in sms["json"]["text"]
    assert link in sms["json"]["text"]
    # Zalo: ZNS template message with the OA access token in its header.
    [zalo] = zalo_gateway.requests
    assert zalo["path"] == "/message/template"
    assert zalo["headers"]["access_token"] == "zalo-token-1"
    zalo_message = next(m for m in queued if m.channel == "zalo")
    assert zalo["json"]["phone"] == "84912000222"
    assert zalo["json"]["template_id"] == "301234"
    assert zalo["json"]["tracking_id"] == str(zalo_message.id)
    assert zalo["json"]["template_data"]["reference"] == reference
    assert zalo["json"]["template_data"]["link"] == link
    # Nothing personal about her anywhere; the case number (its unit code names her commune)
    # neither.
    outgoing = [mail, str(sms["json"]), str(zalo["json"])]
    for secret in (CANARY_NAME, CANARY_GIVEN, CANARY_PHONE, CANARY_ID, "may",
                   loop.case.case_number, "vocational", "Học nghề"):
        assert not any(secret in body for body in outgoing), secret
    for row in messages():
        assert row.status == "sent"
        assert row.link_sealed is None
        assert row.sent_at is not None
    # Our logs name messages by id and status only (the SMTP sink's own debug log is not ours).
    logged = "\n".join(r.getMessage() for r in caplog.records
                       if r.name.startswith(("casework", "werkzeug", "root")))
    for secret in (link, PARTNER_EMAIL, "84912000111", "84912000222", reference):
        assert secret not in logged


def test_a_rolled_back_action_queues_nothing(channels_app, loop, draft):
    choose(loop.partner, "sms")
    referrals.send(draft, actor=loop.caseworker, version=draft.version, fields=["given_name"],
                   referred_on=today(), partner_note=None)
    assert len(messages()) == 1  # in the session, not yet committed
    db.session.rollback()
    assert messages() == []


def test_sentinel_no_personal_value_or_link_in_outbox_rows(channels_app, sms_gateway, loop,
                                                           draft):
    choose(loop.partner, "email", "sms", "zalo")
    secret_link = "https://casework.example/l/CANARYTOKEN0123456789abcdef"
    with time_machine.travel(local_at(22), tick=True):  # quiet: nothing leaves, rows stay
        send_referral(loop, draft)
        outbox.to_contact("sms", "0987 654 321", "partner_link",
                          reference=draft.partner_reference, link=secret_link)
        outbox.to_contact("email", "lienhe.canary@example.org", "partner_link",
                          reference=draft.partner_reference, link=secret_link)
        db.session.commit()
        assert worker.drain().quiet

    def dump() -> str:
        rows = []
        for table in ("outbox_messages", "contact_preferences"):
            for row in db.session.execute(text(f"SELECT * FROM {table}")):
                rows.extend(value.hex() + bytes(value).decode("latin-1")
                            if isinstance(value, bytes | memoryview) else str(value)
                            for value in row)
        return "\n".join(rows)

    stored = dump()
    for canary in (CANARY_NAME, CANARY_GIVEN, CANARY_PHONE, CANARY_ID, "CANARYTOKEN",
                   "987654321", "lienhe.canary", "912000111", "912000222",
                   loop.case.case_number):
        assert canary not in stored, canary
    with time_machine.travel(local_at(8, days=1), tick=True):
        # Partly sent (in the morning): the link and the contact's address are cleared.
        worker.drain()
    contact_sms = [m for m in messages() if m.user_id is None and m.channel == "sms"]
    assert contact_sms
    assert all(m.status == "sent" and m.link_sealed is None
                               and m.address_sealed is None for m in contact_sms)
    assert any("CANARYTOKEN" in r["json"]["text"] for r in sms_gateway.requests)
    assert any(r["json"]["to"] == "84987654321" for r in sms_gateway.requests)


def test_a_rate_limited_gateway_is_retried_after_its_retry_after(channels_app, sms_gateway,
                                                                 loop):
    choose(loop.partner, "sms")
    sms_gateway.answer((429, {"error": "too many requests"}, {"Retry-After": "300"}))
    with time_machine.travel(local_at(9), tick=False):
        outbox.to_user(loop.partner, "referral_received", reference="GT-AAAAAAAA",
                       link="/partner/")
        db.session.commit()
        report = worker.drain()
        assert (report.sent, report.failed) == (0, 1)
        [message] = messages()
        assert message.status == "failed"
        assert message.last_error == "sms_http_429"
        assert message.next_attempt_at == local_at(9, 5).astimezone(UTC)
        assert worker.drain().handled == 0  # not due yet
    with time_machine.travel(local_at(9, 6), tick=False):
        assert worker.drain().sent == 1
    assert len(sms_gateway.requests) == 2
    assert messages()[0].status == "sent"


def test_a_failing_gateway_backs_off_then_gives_up_and_an_admin_sends_it_again(
        channels_app, sms_gateway, loop, client, login):
    choose(loop.partner, "sms")
    sms_gateway.answer(*[(503, {"error": "unavailable"}, {})] * 4)
    waits = []
    with time_machine.travel(local_at(8), tick=False) as clock:
        outbox.to_user(loop.partner, "referral_received", reference="GT-BBBBBBBB",
                       link="/partner/")
        db.session.commit()
        for _try in range(4):
            now = datetime.now(UTC)
            worker.drain()
            [message] = messages()
            if message.status == "failed":
                waits.append(message.next_attempt_at - now)
                clock.move_to(message.next_attempt_at)
    assert waits == [timedelta(seconds=60), timedelta(seconds=120), timedelta(seconds=240)]
    assert message.status == "given_up"
    assert message.attempts == 4
    assert message.last_error == "sms_http_503"
    assert message.link_sealed is None
    # The admin page shows it, without anything personal, and sends it again.
    login(client, loop.admin)
    page = client.get("/admin/outbox")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "GT-BBBBBBBB" in html
    assert "sms_http_503" in html
    assert f"message-{message.id}" in html
    for secret in ("912000111", PARTNER_EMAIL, loop.partner.display_name):
        assert secret not in html
    response = client.submit(f"/admin/outbox/{message.id}/retry", {}, page="/admin/outbox")
    assert response.status_code == 302
    assert messages()[0].status == "queued"
    with time_machine.travel(local_at(10, days=1), tick=False):
        assert worker.drain().sent == 1
    assert 'id="message-' not in client.get("/admin/outbox").get_data(as_text=True)
    # Only province admins: others get 404 (the role matrix checks the other roles).
    assert client.post(f"/admin/outbox/{message.id}/retry",
                       data={"csrf_token": client.csrf_token("/admin/outbox")}).status_code == 404


def test_zalo_temporary_errors_are_retried_and_refusals_given_up(channels_app, zalo_gateway,
                                                                 loop):
    choose(loop.partner, "zalo")
    zalo_gateway.answer((200, {"error": -124, "message": "Access token is invalid"}, {}),
                        (200, {"error": -108, "message": "Phone number is invalid"}, {}))
    with time_machine.travel(local_at(9), tick=False) as clock:
        outbox.to_user(loop.partner, "referral_received", reference="GT-CCCCCCCC")
        db.session.commit()
        assert worker.drain().failed == 1
        assert messages()[0].last_error == "zalo_-124"
        clock.shift(timedelta(minutes=2))
        assert worker.drain().given_up == 1
    [message] = messages()
    assert (message.status, message.last_error, message.attempts) == ("given_up", "zalo_-108", 2)


def test_in_quiet_hours_messages_wait_until_morning(channels_app, sms_gateway, loop):
    choose(loop.partner, "sms")
    with time_machine.travel(local_at(22, 30), tick=False):
        outbox.to_user(loop.partner, "referral_received", reference="GT-DDDDDDDD")
        db.session.commit()
        [message] = messages()
        assert message.next_attempt_at == local_at(7, 0, days=1).astimezone(UTC)
        assert worker.drain().quiet
    with time_machine.travel(local_at(6, 59, days=1), tick=False):
        report = worker.drain()
        assert report.quiet
        assert report.sent == 0
    assert sms_gateway.requests == []
    with time_machine.travel(local_at(7, 1, days=1), tick=False):
        assert worker.drain().sent == 1
    assert len(sms_gateway.requests) == 1


def test_a_busy_day_becomes_one_digest_and_later_messages_wait_for_tomorrow(
        channels_app, sms_gateway, loop):
    channels_app.config["CASEWORK_OUTBOX_DIGEST_AFTER"] = 2
    choose(loop.partner, "sms")
    references = [f"GT-DIGEST{n:02d}" for n in range(4)]
    with time_machine.travel(local_at(10), tick=False) as clock:
        for reference in references:
            outbox.to_user(loop.partner, "referral_received", reference=reference,
                           link="/partner/")
        db.session.commit()
        report = worker.drain()
        assert (report.digested, report.sent) == (4, 1)
        [digest_sms] = sms_gateway.requests
        assert "(4)" in digest_sms["json"]["text"]
        statuses = sorted(m.status for m in messages())
        assert statuses == ["digested"] * 4 + ["sent"]
        clock.shift(timedelta(hours=2))
        outbox.to_user(loop.partner, "referral_accepted", reference="GT-LATER001")
        outbox.to_user(loop.partner, "referral_accepted", reference="GT-LATER002")
        outbox.to_user(loop.partner, "referral_accepted", reference="GT-LATER003")
        db.session.commit()
        assert worker.drain().sent == 0  # one digest a day: the rest wait for the morning
    assert len(sms_gateway.requests) == 1
    with time_machine.travel(local_at(7, 5, days=1), tick=False):
        assert worker.drain().sent == 1  # tomorrow: three of them, folded again
    assert len(sms_gateway.requests) == 2
    assert "(3)" in sms_gateway.requests[1]["json"]["text"]


def test_a_chosen_daily_digest_goes_at_the_digest_hour(channels_app, smtp_sink, loop):
    sink, _port = smtp_sink
    choose(loop.partner, "email", digest=True)
    with time_machine.travel(local_at(10), tick=False):
        outbox.to_user(loop.partner, "referral_received", reference="GT-EEEEEEE1")
        outbox.to_user(loop.partner, "referral_received", reference="GT-EEEEEEE2")
        db.session.commit()
        assert {m.next_attempt_at for m in messages()} == {local_at(17).astimezone(UTC)}
        assert worker.drain().sent == 0
    with time_machine.travel(local_at(17, 1), tick=False):
        assert worker.drain().sent == 1
    [(_to, body)] = sink.messages
    assert "GT-EEEEEEE1" in body
    assert "GT-EEEEEEE2" in body


def test_two_workers_at_once_send_each_message_once(channels_app, sms_gateway, loop):
    with time_machine.travel(local_at(10), tick=True):
        ids = [str(outbox.to_contact("sms", f"09120{n:05d}", "partner_link",
                                     reference=f"GT-TWO{n:05d}", link="/l/x").id)
               for n in range(30)]
        db.session.commit()
        errors: list[BaseException] = []

        def run() -> None:
            try:
                with channels_app.app_context():
                    while worker.work_once(batch=3).handled:
                        pass
                    db.session.remove()
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert errors == []
    tracking = [r["json"]["reference"] for r in sms_gateway.requests]
    assert sorted(tracking) == sorted(ids)  # each once, none twice
    assert {m.status for m in messages()} == {"sent"}


def test_contacts_need_a_usable_address(channels_app):
    import pytest

    with pytest.raises(ValueError, match="mobile"):
        outbox.to_contact("sms", "12", "partner_link")
    with pytest.raises(ValueError, match="e-mail"):
        outbox.to_contact("email", "not-an-address", "partner_link")
    with pytest.raises(ValueError, match="channel"):
        outbox.to_contact("fax", "0912345678", "partner_link")
