"""The verbs of target 6: receive, verify, classify, handle, transfer, link to a case.

Services validate, flush and audit; they never commit (the view's unit of work does). Every
step is an event with its actor, effective date and an encrypted note. Audit details hold
codes and ids only, never the reporter, the persons named or the summary.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from casework import audit
from casework.crypto import blind_index, hash_token, new_subject, token_digests
from casework.extensions import db
from casework.models.org import OrgUnit
from casework.models.tipoff import (
    PublicHoliday,
    TipOff,
    TipOffCustody,
    TipOffEvent,
    TipOffSettings,
)
from casework.services.effective_dates import LOCAL_ZONE, check_date, clean_text, local_date, today
from casework.services.errors import DomainError, StaleObjectError
from casework.tipoffs.codes import (
    CHANNELS,
    CLASSES,
    FILE_REASONS,
    FILED_CLASSES,
    HANDLING_FOR_CLASS,
)
from casework.tipoffs.deadlines import Rules, deadline

RECEIPT_CONTEXT = "tipoff-receipt"
NOTE_MAX = 2000
SUMMARY_MAX = 5000
NAME_MAX = 200
STALE = _l("Someone else changed this item while you were working on it. Nothing of yours was "
           "saved: check the item below and try again.")


# --- Settings ----------------------------------------------------------------------------------

def current_settings() -> TipOffSettings:
    """The province's deadline row (the migration creates it; defaults if it is missing)."""
    row = db.session.get(TipOffSettings, 1)
    return row if row is not None else TipOffSettings(id=1, crime_working_days=1,
                                                      classify_days=10, settle_days=30)


def rules() -> Rules:
    """Deadlines and public holidays, read once for a computation."""
    row = current_settings()
    days = frozenset(db.session.scalars(select(PublicHoliday.day)))
    return Rules(row.crime_working_days, row.classify_days, row.settle_days, days)


def update_settings(*, crime_working_days: int, classify_days: int, settle_days: int,
                    actor: Any) -> TipOffSettings:
    """Change the deadlines. Raises DomainError for a number outside its range."""
    for value, field, top in ((crime_working_days, "crime_working_days", 60),
                              (classify_days, "classify_days", 365),
                              (settle_days, "settle_days", 365)):
        if value is None or not 1 <= value <= top:
            raise DomainError(_l("Enter a number of days from 1 to %(n)s.", n=top), field)
    if settle_days < classify_days:
        raise DomainError(_l("The settling deadline cannot be shorter than the classification "
                             "deadline."), "settle_days")
    row = db.session.get(TipOffSettings, 1)
    if row is None:
        row = TipOffSettings(id=1)
        db.session.add(row)
    row.crime_working_days, row.classify_days, row.settle_days = (
        crime_working_days, classify_days, settle_days)
    row.updated_by_id = getattr(actor, "id", None)
    audit.record("tipoff.settings_changed", target_type="tipoff_settings", target_id=1,
                 actor=actor, details={"crime_working_days": crime_working_days,
                                       "classify_days": classify_days,
                                       "settle_days": settle_days})
    db.session.flush()
    return row


def add_holiday(day: date | None, name: str | None, *, actor: Any) -> PublicHoliday:
    """Enter a public holiday. Raises DomainError for a missing date or name, or a repeat."""
    if day is None:
        raise DomainError(_l("Enter a date."), "day")
    clean = clean_text(name, limit=120, field="name")
    if not clean:
        raise DomainError(_l("Enter the holiday's name."), "name")
    if db.session.scalar(select(PublicHoliday.id).where(PublicHoliday.day == day)):
        raise DomainError(_l("This day is already a public holiday."), "day")
    row = PublicHoliday(day=day, name=clean)
    db.session.add(row)
    db.session.flush()
    audit.record("tipoff.holiday_added", target_type="public_holiday", target_id=row.id,
                 actor=actor, details={"day": day.isoformat()})
    return row


def remove_holiday(holiday: PublicHoliday, *, actor: Any) -> None:
    audit.record("tipoff.holiday_removed", target_type="public_holiday", target_id=holiday.id,
                 actor=actor, details={"day": holiday.day.isoformat()})
    db.session.delete(holiday)
    db.session.flush()


# --- Receiving ---------------------------------------------------------------------------------

@dataclass
class Received:
    """What the receive form (or the online form) gives."""

    channel: str
    received_at: datetime | None
    summary: str | None
    anonymous: bool = False
    not_to_be_named: bool = False
    reporter_name: str | None = None
    reporter_contact: str | None = None
    persons_named: str | None = None
    note: str | None = None


def _reference(on: date) -> str:
    return f"TB{on.year % 100:02d}-{secrets.token_hex(3).upper()}"


def _event(item: TipOff, kind: str, on: date, actor: Any, note: str | None = None,
           **details: Any) -> TipOffEvent:
    event = TipOffEvent(id=uuid.uuid4(), subject_id=item.subject_id, kind=kind,
                        effective_date=on, actor_id=getattr(actor, "id", None),
                        details=json.dumps(details, sort_keys=True, default=str)
                        if details else None)
    event.note = note
    item.events.append(event)
    return event


def receive(data: Received, *, unit: OrgUnit, actor: Any) -> TipOff:
    """Record an item received by ``unit``. Raises DomainError for bad input."""
    if data.channel not in CHANNELS:
        raise DomainError(_l("Choose a channel from the list."), "channel")
    if data.received_at is None:
        raise DomainError(_l("Enter the date and time received."), "received_at")
    moment = data.received_at
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_ZONE)
    moment = moment.astimezone(UTC)
    on = local_date(moment)
    note = clean_text(data.note, limit=NOTE_MAX, field="note", multiline=True)
    check_date(on, field="received_at", backdate_reason=note, reason_field="note",
               from_2000=True)
    if moment > datetime.now(UTC):
        raise DomainError(_l("The date cannot be in the future."), "received_at")
    summary = clean_text(data.summary, limit=SUMMARY_MAX, field="summary", multiline=True)
    if not summary:
        raise DomainError(_l("Write a short summary of what was reported."), "summary")
    name = clean_text(data.reporter_name, limit=NAME_MAX, field="reporter_name")
    contact = clean_text(data.reporter_contact, limit=NAME_MAX, field="reporter_contact")
    named = clean_text(data.persons_named, limit=SUMMARY_MAX, field="persons_named",
                       multiline=True)
    if data.anonymous and (name or contact):
        raise DomainError(_l("An anonymous item carries no name or contact: clear them or "
                             "untick 'anonymous'."), "anonymous")
    if not unit.active:
        raise DomainError(_l("Choose an active unit."), "unit")
    subject = new_subject()
    db.session.add(subject)
    item = TipOff(id=uuid.uuid4(), subject=subject, reference=_reference(on), org_unit=unit,
                  received_unit=unit, channel=data.channel, received_at=moment, received_on=on,
                  received_by_id=getattr(actor, "id", None), anonymous=data.anonymous,
                  not_to_be_named=bool(data.not_to_be_named and not data.anonymous))
    item.subject_id = subject.id
    item.reporter_name = name
    item.reporter_contact = contact
    item.persons_named = named
    item.summary = summary
    item.custody.append(TipOffCustody(org_unit=unit, from_date=on))
    db.session.add(item)
    _event(item, "received", on, actor, note, channel=data.channel, unit=unit.id)
    db.session.flush()
    audit.record("tipoff.received", target_type="tipoff", target_id=item.id, actor=actor,
                 fields=[f for f, v in (("reporter_name", name), ("reporter_contact", contact),
                                        ("persons_named", named), ("summary", summary)) if v],
                 details={"channel": data.channel, "unit": unit.id})
    return item


def new_receipt_code() -> str:
    """128 random bits for the sender, in groups of four (base32, no padding)."""
    import base64

    raw = base64.b32encode(secrets.token_bytes(16)).decode().rstrip("=")
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def _receipt_digest(code: str) -> str:
    clean = "".join(ch for ch in code.upper() if ch.isalnum())
    return hash_token(clean, RECEIPT_CONTEXT)


def submit_online(data: Received, *, unit: OrgUnit) -> tuple[TipOff, str]:
    """The public form: an item received now through the online channel; returns the receipt
    code, which is stored only as a keyed hash."""
    data.channel = "online"
    data.received_at = datetime.now(UTC)
    item = receive(data, unit=unit, actor=None)
    code = new_receipt_code()
    item.receipt_hash = _receipt_digest(code)
    db.session.flush()
    return item, code


def status_for_receipt(code: str) -> TipOff | None:
    """The item a receipt code names, or None (the caller shows the status only)."""
    clean = "".join(ch for ch in (code or "") if ch.isalnum())
    if not 20 <= len(clean) <= 40 or not clean.isascii():
        return None
    digests = token_digests(clean.upper(), RECEIPT_CONTEXT)  # codes issued before a rotation too
    item: TipOff | None = db.session.scalar(
        select(TipOff).where(TipOff.receipt_hash.in_(digests)))
    return item


def public_status(item: TipOff) -> str:
    """The coarse status a sender may read: received, being handled, or handled."""
    if item.handled_on is not None:
        return "handled"
    if item.verified_on is not None or item.classification is not None:
        return "in_progress"
    return "received"


# --- Steps -------------------------------------------------------------------------------------

def check_version(item: TipOff, expected: int | None) -> None:
    if expected is not None and expected != item.version:
        raise StaleObjectError(STALE)


def _open(item: TipOff) -> None:
    if item.handled_on is not None:
        raise DomainError(_l("This item has been handled; it takes no more steps."))


def _day(on: date | None, item: TipOff, note: str | None, *, not_before: date | None = None,
         field: str = "on") -> date:
    """The step's effective date, checked (not in the future, not before the previous step;
    backdated by more than the configured days: the note must say why)."""
    if on is None:
        raise DomainError(_l("Enter a date."), field)
    check_date(on, field=field, not_before=max(item.received_on, not_before or
                                                      item.received_on),
                      not_before_message=_l("The date cannot be before the item was received "
                                            "or its previous step."),
                      backdate_reason=note, reason_field="note")
    return on


def _note(note: str | None) -> str | None:
    return clean_text(note, limit=NOTE_MAX, field="note", multiline=True)


def verify(item: TipOff, *, on: date | None, has_content: bool, duplicate_of: TipOff | None,
           note: str | None, actor: Any, expected_version: int | None = None) -> None:
    """Verify: is there content to act on, is it a duplicate (then linked and classified as
    one)? Raises DomainError for a handled item, a bad date or a bad duplicate link."""
    check_version(item, expected_version)
    _open(item)
    text = _note(note)
    on = _day(on, item, text)
    if duplicate_of is not None and (duplicate_of.id == item.id
                                     or duplicate_of.duplicate_of_id == item.id):
        raise DomainError(_l("Choose another item as the original."), "duplicate_of")
    item.verified_on = on
    item.duplicate_of_id = duplicate_of.id if duplicate_of is not None else None
    _event(item, "verified", on, actor, text, has_content=has_content,
           duplicate_of=duplicate_of.reference if duplicate_of else None)
    if duplicate_of is not None:
        item.classification, item.classified_on = "duplicate", on
        _event(item, "classified", on, actor, None, classification="duplicate")
    elif not has_content:
        item.classification, item.classified_on = "no_content", on
        _event(item, "classified", on, actor, None, classification="no_content")
    audit.record("tipoff.verified", target_type="tipoff", target_id=item.id, actor=actor,
                 details={"has_content": has_content, "duplicate": duplicate_of is not None})
    db.session.flush()


def classify(item: TipOff, *, classification: str | None, on: date | None, note: str | None,
             actor: Any, expected_version: int | None = None) -> None:
    """Classify (or re-classify before handling). Raises DomainError for an unknown class."""
    check_version(item, expected_version)
    _open(item)
    if classification not in CLASSES or classification == "duplicate":
        raise DomainError(_l("Choose a class from the list."), "classification")
    text = _note(note)
    on = _day(on, item, text, not_before=item.verified_on)
    item.classification, item.classified_on = classification, on
    if item.verified_on is None:
        item.verified_on = on
    _event(item, "classified", on, actor, text, classification=classification)
    audit.record("tipoff.classified", target_type="tipoff", target_id=item.id, actor=actor,
                 details={"classification": classification})
    db.session.flush()


@dataclass
class Handling:
    """The handling form: the fields each kind of handling needs."""

    on: date | None
    note: str | None = None
    police_office: str | None = None
    acknowledged_on: date | None = None
    authority: str | None = None
    sender_told: bool = False
    file_reason: str | None = None


def handle(item: TipOff, action: str, data: Handling, *, actor: Any,
           expected_version: int | None = None) -> None:
    """Handle the item the way its class requires (DOMAIN.md lifecycle).

    Raises DomainError when the item is not classified, the action does not fit its class,
    or a field the action needs is missing or out of order.
    """
    check_version(item, expected_version)
    _open(item)
    if item.classification is None:
        raise DomainError(_l("Classify the item before handling it."))
    if HANDLING_FOR_CLASS.get(item.classification) != action:
        raise DomainError(_l("This handling does not fit the item's class."))
    text = _note(data.note)
    data.on = _day(data.on, item, text, not_before=item.classified_on)
    details: dict[str, Any] = {}
    if action == "forwarded_police":
        office = clean_text(data.police_office, limit=200, field="police_office")
        if not office:
            raise DomainError(_l("Enter the police office that received it."), "police_office")
        if data.acknowledged_on is not None:
            check_date(data.acknowledged_on, field="acknowledged_on", not_before=data.on,
                       require_reason=False,
                       not_before_message=_l("The acknowledgment cannot be before the "
                                             "forwarding."))
        details = {"police_office": office, "acknowledged_on": data.acknowledged_on}
    elif action == "forwarded_authority":
        authority = clean_text(data.authority, limit=200, field="authority")
        if not authority:
            raise DomainError(_l("Enter the authority it was forwarded to."), "authority")
        if not data.sender_told:
            raise DomainError(_l("Tell the sender where it went, then tick the box."),
                              "sender_told")
        details = {"authority": authority, "sender_told": True}
    elif action == "filed":
        reason = data.file_reason or item.classification
        if reason not in FILE_REASONS or item.classification not in FILED_CLASSES:
            raise DomainError(_l("Choose a reason from the list."), "file_reason")
        details = {"reason": reason}
    item.handling, item.handled_on = action, data.on
    _event(item, action, data.on, actor, text, **details)
    audit.record(f"tipoff.{action}", target_type="tipoff", target_id=item.id, actor=actor,
                 details={"classification": item.classification})
    db.session.flush()


def acknowledge(item: TipOff, *, acknowledged_on: date | None, actor: Any,
                expected_version: int | None = None) -> None:
    """Record the police's acknowledgment of a forwarding recorded earlier."""
    check_version(item, expected_version)
    if item.handling != "forwarded_police" or item.handled_on is None:
        raise DomainError(_l("Only a tip-off forwarded to the police is acknowledged."))
    check_date(acknowledged_on, field="acknowledged_on", not_before=item.handled_on,
               require_reason=False,
               not_before_message=_l("The acknowledgment cannot be before the forwarding."))
    if acknowledged_on is None or is_acknowledged(item):
        raise DomainError(_l("The acknowledgment is already recorded."), "acknowledged_on")
    _event(item, "acknowledged", acknowledged_on, actor, None)
    audit.record("tipoff.acknowledged", target_type="tipoff", target_id=item.id, actor=actor)
    db.session.flush()


def is_acknowledged(item: TipOff) -> bool:
    """Whether the police's acknowledgment of the forwarding is recorded (with the forwarding
    or later as an event of its own)."""
    for event in item.events:
        if event.kind == "acknowledged":
            return True
        if event.kind == "forwarded_police" and '"acknowledged_on": "' in (event.details or ""):
            return True
    return False


def transfer(item: TipOff, to_unit: OrgUnit | None, *, on: date | None, note: str | None,
             actor: Any, expected_version: int | None = None) -> None:
    """Pass the item to the unit it belongs to; its history stays with it."""
    check_version(item, expected_version)
    if to_unit is None or not to_unit.active or to_unit.id == item.org_unit_id:
        raise DomainError(_l("Choose another, active unit."), "to_unit")
    text = _note(note)
    holder = next((c for c in item.custody if c.to_date is None), None)
    start = holder.from_date if holder is not None else item.received_on
    on = _day(on, item, text, not_before=start)
    from_unit = item.org_unit_id
    if holder is not None:
        holder.to_date = on
    item.custody.append(TipOffCustody(org_unit=to_unit, from_date=on))
    item.org_unit = to_unit
    _event(item, "transferred", on, actor, text, from_unit=from_unit, to_unit=to_unit.id)
    audit.record("tipoff.transferred", target_type="tipoff", target_id=item.id, actor=actor,
                 details={"from_unit": from_unit, "to_unit": to_unit.id})
    db.session.flush()


def link_case(item: TipOff, case: Any, *, actor: Any) -> None:
    """Note that a case was opened for a woman this item concerns."""
    item.case_id = case.id
    _event(item, "case_opened", today(), actor, None, case=case.case_number)
    audit.record("tipoff.case_linked", target_type="tipoff", target_id=item.id, actor=actor,
                 details={"case": str(case.id)})
    db.session.flush()


# --- Reading -----------------------------------------------------------------------------------

def status(item: TipOff) -> str:
    if item.handled_on is not None:
        return "handled"
    if item.classification is not None:
        return "classified"
    if item.verified_on is not None:
        return "verified"
    return "received"


def deadline_of(item: TipOff, rule_set: Rules) -> date:
    return deadline(item.received_on, item.classification, item.classified_on, rule_set)


def is_overdue(item: TipOff, rule_set: Rules, on: date | None = None) -> bool:
    return item.handled_on is None and deadline_of(item, rule_set) < (on or today())


def possible_duplicates(item: TipOff, within: Any) -> list[TipOff]:
    """Other items in ``within`` (a scoped SELECT) from the same reporter contact."""
    contact = item.reporter_contact
    if not contact:
        return []
    found = blind_index.find(db.session(), TipOff, "reporter_contact", contact, within=within)
    return [t for t in found if t.id != item.id]


def received_at_local(on: date, at: time) -> datetime:
    return datetime.combine(on, at, tzinfo=LOCAL_ZONE)
