"""Notices reach people: a count on every page, a worklist section, read when opened or acted on.

All through real HTTP against the app and its database.
"""

from __future__ import annotations

import re

from casework.extensions import db
from casework.models.notification import Notification
from casework.services import referrals
from casework.services.effective_dates import today
from tests.outbox.conftest import bring_to

UNREAD_RE = re.compile(r'id="nav-unread">(\d+)<')


def unread_on(html: str) -> int:
    match = UNREAD_RE.search(html)
    return int(match.group(1)) if match else 0


def unread(user) -> int:
    return db.session.query(Notification).filter_by(user_id=user.id, read_at=None).count()


def test_partner_sees_the_unread_count_on_every_page_and_it_drops_when_she_opens_it(
        client, login, loop, sent):
    login(client, loop.partner)
    for page in ("/partner/", "/account", "/partner/performance"):
        assert unread_on(client.get(page).get_data(as_text=True)) == 1, page
    assert client.get(f"/partner/referrals/{sent.id}").status_code == 200
    assert unread_on(client.get("/partner/").get_data(as_text=True)) == 0
    assert unread(loop.partner) == 0


def test_caseworker_sees_partner_answers_on_the_worklist_and_reads_them_by_opening(
        client, login, loop, sent):
    bring_to(sent, "accepted", loop)
    login(client, loop.caseworker)
    html = client.get("/cases/worklist").get_data(as_text=True)
    assert unread_on(html) == 1
    assert 'id="worklist-notices"' in html
    assert f'href="/referrals/{sent.id}"' in html
    assert loop.case.case_number in html
    # Only her own: the other caseworker's worklist has no answers.
    assert client.get(f"/referrals/{sent.id}").status_code == 200
    html = client.get("/cases/worklist").get_data(as_text=True)
    assert unread_on(html) == 0
    assert 'id="worklist-notices"' not in html


def test_acting_on_a_referral_marks_the_actors_notices_about_it_read(loop, sent):
    assert unread(loop.partner) == 1
    referrals.act(sent, "accept", referrals.ActionInput(effective_date=today()),
                  actor=loop.partner, version=sent.version)
    db.session.commit()
    assert unread(loop.partner) == 0
    assert unread(loop.caseworker) == 1  # the caseworker's new notice stays unread


def test_notices_about_another_referral_stay_unread(client, login, loop, sent, make_need):
    other = referrals.create_draft(make_need(loop.case, "jobs", identified_on=sent.referred_on),
                                   loop.provider, actor=loop.caseworker)
    db.session.commit()
    notice = Notification(user_id=loop.partner.id, kind="referral_received",
                          link=f"/partner/referrals/{other.id}", referral_id=other.id,
                          reference=other.partner_reference)
    db.session.add(notice)
    db.session.commit()
    login(client, loop.partner)
    client.get(f"/partner/referrals/{sent.id}")
    assert unread(loop.partner) == 1


def test_the_count_is_one_query_per_page_and_absent_when_logged_out(client, login, loop, sent):
    from sqlalchemy import event

    assert 'id="nav-notices"' not in client.get("/login").get_data(as_text=True)
    login(client, loop.partner)
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if "notifications" in statement:
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get("/account").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert len(seen) == 1
    assert "count(" in seen[0].lower()
