"""The outbox: messages to people by e-mail, SMS and Zalo, delivered by a worker.

Public API (other code calls only these)::

    from casework import outbox
    outbox.to_user(user, "referral_accepted", reference="GT-ABCDEFGH", link="/referrals/<id>")
    outbox.to_contact("sms", "0912345678", "partner_link", reference="GT-...", link=url)

Both add rows to the current ``db.session`` (they commit with the change that caused them).
``flask outbox work`` sends them (``casework/outbox/worker.py``); the channels are small
adapters in ``casework/outbox/channels.py``; settings and the service set-up are in the
README, "Messages and reminders".
"""

from __future__ import annotations

from casework.models.outbox import OutboxMessage
from casework.outbox.queue import to_contact, to_user

__all__ = ["OutboxMessage", "to_contact", "to_user"]
