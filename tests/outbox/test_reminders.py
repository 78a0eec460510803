"""Reminders and escalation on a schedule: each fires once, on its day, after a gap too, and
two runs at once send it once. The clock is moved with time-machine; messages go through the
outbox to a local SMS gateway, and wait in quiet hours.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import func, select

from casework.extensions import db
from casework.models.notification import Notification
from casework.models.outbox import OutboxMessage, ReminderSent
from casework.outbox import contacts
from casework.services import reminders, timeline
from tests.outbox.conftest import bring_to

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=VN)


def notices(user) -> list[str]:
    db.session.expire_all()
    return sorted(db.session.scalars(select(Notification.kind)
                                     .where(Notification.user_id == user.id)))


def run_on(day: date, hour: int = 12) -> dict[str, int]:
    with time_machine.travel(at(day, hour), tick=False):
        return {k: v for k, v in reminders.summary(reminders.run()).items() if v}


def test_a_partner_is_reminded_before_the_deadline_then_told_it_is_overdue_once(
        channels_app, loop, sent):
    due = sent.response_due_on
    assert due is not None
    before = notices(loop.partner)  # the "referral received" notice
    assert run_on(due - timedelta(days=2)) == {}
    assert run_on(due - timedelta(days=1)) == {"response_due_soon": 1}
    assert run_on(due - timedelta(days=1), hour=18) == {}  # the same day again: nothing
    assert run_on(due) == {}  # on the due day it is not overdue yet
    assert run_on(due + timedelta(days=1)) == {"response_overdue": 2}  # partner, caseworker
    assert run_on(due + timedelta(days=2)) == {}
    assert notices(loop.partner) == sorted([*before, "response_due_soon", "response_overdue"])
    assert notices(loop.caseworker) == ["response_overdue"]
    assert notices(loop.supervisor) == []
    # Escalation after CASEWORK_ESCALATE_AFTER_DAYS (3) overdue days, once.
    assert run_on(due + timedelta(days=3)) == {"escalation": 1}
    assert run_on(due + timedelta(days=4)) == {}
    assert notices(loop.supervisor) == ["escalation"]
    assert notices(loop.other_caseworker) == []  # another unit's people are not told


def test_after_a_gap_each_reminder_still_due_fires_once_and_none_that_is_past(
        channels_app, loop, sent):
    due = sent.response_due_on
    assert run_on(due + timedelta(days=10)) == {"response_overdue": 2, "escalation": 1}
    assert run_on(due + timedelta(days=11)) == {}
    assert "response_due_soon" not in notices(loop.partner)


def test_an_accepted_referral_without_uptake_and_a_follow_up_due(channels_app, app, loop, sent):
    bring_to(sent, "accepted", loop)
    with app.test_request_context():
        timeline.add_follow_up(loop.case, due_on=sent.uptake_due_on,
                                      title="Gọi hỏi chị đã đi học chưa", actor=loop.caseworker)
        db.session.commit()
    uptake_due = sent.uptake_due_on
    assert run_on(uptake_due - timedelta(days=1)) == {}
    assert run_on(uptake_due) == {"follow_up_due": 1}
    assert run_on(uptake_due + timedelta(days=1)) == {"uptake_overdue": 2}
    assert run_on(uptake_due + timedelta(days=3)) == {"escalation": 1}
    link = db.session.scalar(select(Notification.link).where(
        Notification.kind == "follow_up_due"))
    assert link == f"/cases/{loop.case.id}#follow-ups"
    assert db.session.scalar(select(func.count()).select_from(ReminderSent)) == 4
    # Once she started, nothing more is sent about it (the open task is not repeated either).
    from casework.services import referrals
    from casework.services.effective_dates import today

    referrals.act(sent, "confirm_uptake", referrals.ActionInput(effective_date=today()),
                  actor=loop.partner, version=sent.version)
    db.session.commit()
    assert run_on(uptake_due + timedelta(days=10)) == {}


def test_two_schedule_runs_at_once_send_each_reminder_once(channels_app, loop, sent):
    day = sent.response_due_on + timedelta(days=5)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with channels_app.app_context():
                results.append(dict(reminders.run(day)))
                db.session.remove()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    total: dict[str, int] = {}
    for result in results:
        for kind, n in result.items():
            total[kind] = total.get(kind, 0) + n
    assert total == {"response_overdue": 2, "escalation": 1}
    assert notices(loop.caseworker) == ["response_overdue"]
    assert notices(loop.supervisor) == ["escalation"]
    assert db.session.scalar(select(func.count()).select_from(ReminderSent)) == 3


def test_the_schedule_command_sends_reminders_and_they_wait_in_quiet_hours(
        channels_app, sms_gateway, loop, sent):
    contacts.save_preferences(loop.partner, email=None, phone="0912000333", zalo=None,
                              channels=["sms"], digest=False)
    db.session.commit()
    db.session.query(OutboxMessage).delete()  # the "received" message of the fixture's send
    db.session.commit()
    overdue_day = sent.response_due_on + timedelta(days=1)
    runner = channels_app.test_cli_runner()
    with time_machine.travel(at(overdue_day, 22), tick=False):
        result = runner.invoke(args=["schedule", "run"])
        assert result.exit_code == 0, result.output
        assert "response_overdue 2" in result.output
        assert "quiet hours" in result.output
        [message] = db.session.scalars(select(OutboxMessage)).all()
        assert message.kind == "response_overdue"
        assert message.next_attempt_at == at(overdue_day + timedelta(days=1), 7).astimezone(UTC)
    assert sms_gateway.requests == []
    with time_machine.travel(at(overdue_day + timedelta(days=1), 7, 5), tick=False):
        result = runner.invoke(args=["outbox", "work", "--once"])
        assert result.exit_code == 0, result.output
        assert "1 sent" in result.output
        again = runner.invoke(args=["schedule", "run"])
        assert "response_overdue 0" in again.output
    [request] = sms_gateway.requests
    assert sent.partner_reference in request["json"]["text"]
    assert request["json"]["to"] == "84912000333"
