"""Target 6 code lists and their labels (DOMAIN.md "Target 6")."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

CHANNELS: dict[str, Any] = {
    "in_person": _l("In person"),
    "phone": _l("Phone or hotline"),
    "letter": _l("Letter"),
    "online": _l("The union's online form"),
    "passed_on": _l("Passed on by another unit or agency"),
}
STAFF_CHANNELS = ("in_person", "phone", "letter", "passed_on")

CLASSES: dict[str, Any] = {
    "crime": _l("Tip-off about a crime"),
    "union_complaint": _l("Complaint for the union to settle"),
    "other_authority": _l("Complaint for another authority"),
    "outside_subject": _l("Outside the subject"),
    "no_content": _l("No actionable content"),
    "duplicate": _l("Duplicate of another item"),
}
#: Classes handled by filing (no content, outside the subject, duplicate).
FILED_CLASSES = ("outside_subject", "no_content", "duplicate")

#: The handling each class takes (DOMAIN.md lifecycle).
HANDLING_FOR_CLASS: dict[str, str] = {
    "crime": "forwarded_police",
    "union_complaint": "settled",
    "other_authority": "forwarded_authority",
    "outside_subject": "filed",
    "no_content": "filed",
    "duplicate": "filed",
}
HANDLINGS: dict[str, Any] = {
    "forwarded_police": _l("Forwarded to the police"),
    "settled": _l("Answered or settled"),
    "forwarded_authority": _l("Forwarded to another authority"),
    "filed": _l("Filed"),
}
FILE_REASONS: dict[str, Any] = {
    "no_content": _l("No content to act on"),
    "outside_subject": _l("Outside the subject"),
    "duplicate": _l("Duplicate of another item"),
}
EVENT_KINDS: dict[str, Any] = {
    "received": _l("Received"),
    "verified": _l("Verified"),
    "classified": _l("Classified"),
    "forwarded_police": _l("Forwarded to the police"),
    "acknowledged": _l("Acknowledged by the police"),
    "settled": _l("Answered or settled"),
    "forwarded_authority": _l("Forwarded to another authority"),
    "filed": _l("Filed"),
    "transferred": _l("Transferred to another unit"),
    "case_opened": _l("Case opened from this item"),
}
STATUSES: dict[str, Any] = {
    "received": _l("Received"),
    "verified": _l("Verified"),
    "classified": _l("Classified"),
    "handled": _l("Handled"),
}
