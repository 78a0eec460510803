"""Notice e-mails go out through the outbox and a real SMTP conversation, carrying nothing
personal."""

from __future__ import annotations

import email
import email.policy
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller

from casework.extensions import db
from casework.outbox import worker
from casework.services import referrals
from casework.services.effective_dates import today
from tests.referrals.conftest import CANARY_GIVEN, CANARY_NAME, CANARY_PHONE


class Sink:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = f"{message['Subject']}\n{message.get_content()}"
        self.messages.append((list(envelope.rcpt_tos), text))
        return "250 OK"


@pytest.fixture
def smtp_sink():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, port
    controller.stop()


@pytest.fixture
def mail_app(app, smtp_sink):
    """The test app with CASEWORK_SMTP_HOST/PORT pointing at the sink (settings are read when a
    notice is queued)."""
    app.config.update(CASEWORK_SMTP_HOST="127.0.0.1", CASEWORK_SMTP_PORT=smtp_sink[1],
                      CASEWORK_PUBLIC_URL="https://casework.example", CASEWORK_QUIET_HOURS="")
    return app


def test_sending_a_referral_emails_the_partner_a_link_and_the_partner_reference(
        mail_app, smtp_sink, loop, draft):
    sink, _port = smtp_sink
    loop.partner.email = "doitac@example.org"
    loop.other_partner.email = "khac@example.org"
    db.session.commit()
    with mail_app.test_request_context():
        referrals.send(draft, actor=loop.caseworker, version=draft.version,
                       fields=["given_name", "phone"], referred_on=today() - timedelta(days=1),
                       partner_note="Nhu cầu học nghề may")
        assert sink.messages == []  # nothing leaves before the commit
        db.session.commit()
        assert sink.messages == []  # the outbox worker sends it
        assert worker.drain().sent == 1
    assert len(sink.messages) == 1
    recipients, body = sink.messages[0]
    assert recipients == ["doitac@example.org"]
    assert draft.partner_reference in body
    assert loop.case.case_number not in body  # its unit code names her commune
    assert loop.case.org_unit.code not in body
    assert f"https://casework.example/partner/referrals/{draft.id}" in body
    for secret in (CANARY_NAME, CANARY_GIVEN, CANARY_PHONE, "may", "vocational", "Học nghề"):
        assert secret not in body


def test_a_rolled_back_action_sends_nothing(mail_app, smtp_sink, loop, draft):
    sink, _port = smtp_sink
    loop.partner.email = "doitac@example.org"
    db.session.commit()
    with mail_app.test_request_context():
        referrals.send(draft, actor=loop.caseworker, version=draft.version,
                       fields=["given_name"], referred_on=today(), partner_note=None)
        db.session.rollback()
        db.session.commit()
        assert worker.drain().sent == 0
    assert sink.messages == []


def test_without_smtp_only_in_app_notices(loop, sent):
    from casework.models.notification import Notification

    notice = db.session.query(Notification).filter_by(user_id=loop.partner.id).one()
    assert notice.emailed_at is None
    assert notice.link == f"/partner/referrals/{sent.id}"
