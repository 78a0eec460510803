"""Outbox settings come from the environment, are checked, and keep tokens out of repr; the
long-running worker stops when told."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from casework import outbox
from casework.config import ConfigError, Settings, parse_quiet_hours
from casework.extensions import db
from casework.outbox import contacts, worker

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def test_channel_settings_are_read_and_tokens_never_shown():
    settings = Settings.from_env({
        "CASEWORK_SMS_URL": "https://sms.example/v1/messages", "CASEWORK_SMS_TOKEN": "s3cr3t-sms",
        "CASEWORK_ZALO_URL": "https://business.openapi.zalo.me/message/template",
        "CASEWORK_ZALO_ACCESS_TOKEN": "s3cr3t-zalo", "CASEWORK_ZALO_TEMPLATE_ID": "301234",
        "CASEWORK_SMTP_PASSWORD": "s3cr3t-mail", "CASEWORK_QUIET_HOURS": "22:00-06:30",
        "CASEWORK_ESCALATE_AFTER_DAYS": "5"})
    settings.validate()
    assert settings.sms_url == "https://sms.example/v1/messages"
    assert settings.escalate_after_days == 5
    assert parse_quiet_hours(settings.quiet_hours) == (22 * 60, 6 * 60 + 30)
    for secret in ("s3cr3t-sms", "s3cr3t-zalo", "s3cr3t-mail"):
        assert secret not in repr(settings)


@pytest.mark.parametrize(("name", "value", "message"), [
    ("CASEWORK_QUIET_HOURS", "9pm-7am", "CASEWORK_QUIET_HOURS"),
    ("CASEWORK_QUIET_HOURS", "25:00-07:00", "CASEWORK_QUIET_HOURS"),
    ("CASEWORK_SMS_URL", "ftp://sms.example", "CASEWORK_SMS_URL"),
    ("CASEWORK_ZALO_URL", "https://zalo.example", "CASEWORK_ZALO_TEMPLATE_ID"),
    ("CASEWORK_OUTBOX_DIGEST_HOUR", "24", "CASEWORK_OUTBOX_DIGEST_HOUR"),
    ("CASEWORK_ESCALATE_AFTER_DAYS", "0", "CASEWORK_ESCALATE_AFTER_DAYS"),
])
def test_bad_settings_are_refused_with_what_to_fix(name, value, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env({name: value}).validate()


def test_without_any_channel_only_in_app_notices_and_no_rows(app, make_user):
    user = make_user("caseworker", email="canbo@example.org")
    assert contacts.enabled_channels() == ()
    assert outbox.to_user(user, "referral_accepted", reference="GT-AAAAAAAA") == []


def test_the_long_running_worker_sends_then_stops_when_told(channels_app, sms_gateway,
                                                             make_user):
    user = make_user("caseworker")
    contacts.save_preferences(user, email=None, phone="0912000444", zalo=None,
                              channels=["sms"], digest=False)
    outbox.to_user(user, "referral_accepted", reference="GT-RUNLOOP1", link="/referrals/x")
    db.session.commit()
    rounds = iter([False, True])
    day = datetime.now(VN).date() + timedelta(days=1)
    with time_machine.travel(datetime(day.year, day.month, day.day, 10, tzinfo=VN), tick=True):
        worker.run(interval=0.01, should_stop=lambda: next(rounds, True))
    assert [r["json"]["to"] for r in sms_gateway.requests] == ["84912000444"]
