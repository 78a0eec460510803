"""Who saw her file, and whose files one account saw: both read off the audit trail.

* :func:`case_access` — every event that touched one woman's rows (her case and the cases
  merged into it, and every row carrying her subject: consents, needs, notes, referrals with
  what partners were sent and opened, import matches), in the order they happened, with who
  (username, unit or partner) and which fields, as labels.
* :func:`women_touched` — the breach answer: for a set of accounts and a time window, the
  women whose records those accounts opened, changed, exported or received, with what.

Both resolve audit targets to cases the same way (:func:`targets_to_cases`), so the two answers
agree with each other and with the raw trail. Nothing here writes except the callers' audit
events; labels come from ``casework/blueprints/supervision/labels.py`` (one wording).
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from casework.crypto.fields import encrypted_models
from casework.crypto.models import Subject
from casework.extensions import db
from casework.models.audit import AuditEvent
from casework.models.case import Case
from casework.models.org import OrgUnit
from casework.models.provider import ServiceProvider
from casework.models.user import User
from casework.services.effective_dates import LOCAL_ZONE

#: How an event touched her data (the four verbs of the issue), by action code.
OPENED = frozenset({"viewed", "case.viewed", "referral.partner_viewed",
                    "rights.access_viewed"})
EXPORTED = frozenset({"case.exported", "case.consent_form_printed"})
RECEIVED = frozenset({"referral.shared", "import.case_matched", "import.match_queued"})
KINDS = ("opened", "changed", "exported", "received")
_CHUNK = 500


def kind_of(action: str) -> str:
    if action in OPENED:
        return "opened"
    if action in EXPORTED:
        return "exported"
    if action in RECEIVED:
        return "received"
    return "changed"


@dataclass
class AccessRow:
    """One line of her access list: no personal data, only who, when, what and field names."""

    seq: int
    at: datetime
    action: str
    kind: str
    actor_id: int | None
    username: str
    display_name: str
    role: str
    place: str  # the unit's name, or the partner's name for a partner account
    target_type: str
    fields: list[str] = field(default_factory=list)
    outcome: str = "ok"
    case_number: str = ""

    @property
    def when(self) -> str:
        """dd/mm/yyyy HH:MM in Vietnam's time (as the ``datetime`` filter, without Babel's
        per-call cost on a list of hundreds of rows)."""
        return self.at.astimezone(LOCAL_ZONE).strftime("%d/%m/%Y %H:%M")


def _models_with_subject() -> list[type[Any]]:
    """The application's encrypted models tied to a subject (tables of its own schema: a
    model registered on another metadata, such as a test's, has no table here)."""
    return [m for m in encrypted_models()
            if hasattr(m, "subject_id") and m.__table__.metadata is db.metadata]


def her_targets(case: Case) -> dict[str, str]:
    """Every audit target id that is one of her rows -> her case number.

    Her rows: this case, the cases merged into it, and every encrypted row (any model in the
    crypto registry, so a new table is covered without editing this) of their subjects; plus
    the subjects themselves (erasure, key rotation).
    """
    return targets_of_cases([case])


def targets_of_cases(cases: Sequence[Case]) -> dict[str, str]:
    """:func:`her_targets` for several cases at once (one query per encrypted model)."""
    if not cases:
        return {}
    merged = list(db.session.scalars(select(Case).where(
        Case.merged_into_id.in_([c.id for c in cases]))))
    numbers = {c.id: c.case_number for c in cases}
    everyone = [*cases, *merged]
    subjects = {c.subject_id: numbers.get(c.merged_into_id or c.id, c.case_number)
                for c in everyone}
    targets: dict[str, str] = {str(c.id): subjects[c.subject_id] for c in everyone}
    targets.update({str(s): number for s, number in subjects.items()})
    for model in _models_with_subject():
        rows: Any = db.session.execute(
            select(model.id, model.subject_id).where(model.subject_id.in_(list(subjects))))
        for row_id, subject_id in rows:
            targets[str(row_id)] = subjects[subject_id]
    return targets


def _events_for_targets(targets: Iterable[str], extra: Any = None) -> list[AuditEvent]:
    ids = sorted(set(targets))
    found: dict[int, AuditEvent] = {}
    for start in range(0, len(ids), _CHUNK):
        query = select(AuditEvent).where(AuditEvent.target_id.in_(ids[start:start + _CHUNK]))
        if extra is not None:
            query = query.where(*extra)
        for event in db.session.scalars(query):
            found[event.seq] = event
    return [found[seq] for seq in sorted(found)]


def describe(events: Sequence[AuditEvent], numbers: dict[str, str]) -> list[AccessRow]:
    """Audit events as access rows: users, units and partners resolved in three queries."""
    user_ids = {e.actor_user_id for e in events if e.actor_user_id is not None}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
    unit_ids = {e.actor_unit_id for e in events if e.actor_unit_id is not None}
    unit_ids |= {u.org_unit_id for u in users.values() if u.org_unit_id is not None}
    units = dict(db.session.execute(select(OrgUnit.id, OrgUnit.name)
                                    .where(OrgUnit.id.in_(unit_ids))).all())
    provider_ids = {u.provider_id for u in users.values() if u.provider_id is not None}
    providers = dict(db.session.execute(select(ServiceProvider.id, ServiceProvider.name)
                                        .where(ServiceProvider.id.in_(provider_ids))).all())
    rows = []
    for e in events:
        user = users.get(e.actor_user_id) if e.actor_user_id is not None else None
        if user is not None and user.provider_id is not None:
            place = str(providers.get(user.provider_id, ""))
        else:
            unit_id = e.actor_unit_id if e.actor_unit_id is not None else (
                user.org_unit_id if user is not None else None)
            place = str(units.get(unit_id, "")) if unit_id is not None else ""
        try:
            names = [str(n) for n in json.loads(e.fields or "[]")]
        except ValueError:
            names = []
        rows.append(AccessRow(
            seq=e.seq, at=e.occurred_at, action=e.action, kind=kind_of(e.action),
            actor_id=e.actor_user_id, username=user.username if user else "",
            display_name=user.display_name if user else "", role=e.actor_role or "",
            place=place, target_type=e.target_type or "", fields=names, outcome=e.outcome,
            case_number=numbers.get(e.target_id or "", "")))
    return rows


def case_access(case: Case) -> list[AccessRow]:
    """Everyone who opened, changed, exported or received her data, oldest first."""
    targets = her_targets(case)
    return describe(_events_for_targets(targets), targets)


# --- The breach answer ------------------------------------------------------------------------

def targets_to_cases(target_ids: Iterable[str]) -> dict[str, Case]:
    """Which case each audit target belongs to (targets that are no woman's row are left out).

    A row of a woman maps to the case holding her subject; a case merged into another maps to
    itself (its own number is what the paper trail knows).
    """
    ids: list[uuid.UUID] = []
    for raw in set(target_ids):
        try:
            ids.append(uuid.UUID(raw))
        except (TypeError, ValueError):
            continue
    if not ids:
        return {}
    by_subject: dict[uuid.UUID, uuid.UUID] = {}
    direct: dict[uuid.UUID, uuid.UUID] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        for case_id in db.session.scalars(select(Case.id).where(Case.id.in_(chunk))):
            direct[case_id] = case_id
        for subject_id in db.session.scalars(select(Subject.id).where(Subject.id.in_(chunk))):
            by_subject[subject_id] = subject_id
        for model in _models_with_subject():
            if model is Case:
                continue
            found: Any = db.session.execute(
                select(model.id, model.subject_id).where(model.id.in_(chunk)))
            for row_id, subject_id in found:
                by_subject[row_id] = subject_id
    case_of_subject = {}
    if by_subject:
        case_of_subject = {c.subject_id: c for c in db.session.scalars(
            select(Case).where(Case.subject_id.in_(set(by_subject.values()))))}
    cases = {c.id: c for c in db.session.scalars(select(Case).where(Case.id.in_(direct)))}
    out: dict[str, Case] = {}
    for row_id, case_id in direct.items():
        out[str(row_id)] = cases[case_id]
    for row_id, subject_id in by_subject.items():
        if subject_id in case_of_subject and str(row_id) not in out:
            out[str(row_id)] = case_of_subject[subject_id]
    return out


@dataclass
class WomanTouched:
    """One woman in the breach answer: her case number and what the accounts did with it."""

    case_number: str
    unit: str
    first_at: datetime
    last_at: datetime
    kinds: set[str] = field(default_factory=set)
    actions: set[str] = field(default_factory=set)
    fields: set[str] = field(default_factory=set)
    events: list[int] = field(default_factory=list)  # audit sequence numbers, for the record


def women_touched(events_query: Any, actor_ids: Iterable[int], start: datetime,
                  end: datetime) -> list[WomanTouched]:
    """The women whose records ``actor_ids`` opened, changed, exported or received in
    ``[start, end)``, read from ``events_query`` (the caller's scoped audit query).

    Every event of those accounts in the window whose target is one of a woman's rows counts;
    the result lists each woman once, by case number, with the event sequence numbers.
    """
    ids = sorted(set(actor_ids))
    if not ids:
        return []
    events = list(db.session.scalars(
        events_query.where(AuditEvent.actor_user_id.in_(ids), AuditEvent.occurred_at >= start,
                           AuditEvent.occurred_at < end, AuditEvent.target_id.is_not(None))
        .order_by(AuditEvent.seq)))
    cases = targets_to_cases(e.target_id for e in events if e.target_id)
    units = dict(db.session.execute(select(OrgUnit.id, OrgUnit.name).where(
        OrgUnit.id.in_({c.org_unit_id for c in cases.values()}))).all()) if cases else {}
    found: dict[uuid.UUID, WomanTouched] = {}
    for e in events:
        case = cases.get(e.target_id or "")
        if case is None:
            continue
        row = found.get(case.id)
        if row is None:
            row = found[case.id] = WomanTouched(case.case_number, str(units.get(
                case.org_unit_id, "")), e.occurred_at, e.occurred_at)
        row.last_at = e.occurred_at
        row.kinds.add(kind_of(e.action))
        row.actions.add(e.action)
        with contextlib.suppress(ValueError):
            row.fields.update(str(n) for n in json.loads(e.fields or "[]"))
        row.events.append(e.seq)
    return sorted(found.values(), key=lambda w: w.case_number)


def accounts_of_provider(provider: ServiceProvider) -> list[int]:
    """Every account (active or not) of one partner: a partner breach covers them all."""
    return list(db.session.scalars(select(User.id).where(User.provider_id == provider.id)))


# --- The access log's words -------------------------------------------------------------------

def _like(text: str) -> str:
    """A LIKE pattern that matches ``text`` anywhere, with the wildcards in it escaped."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def users_matching(text: str) -> list[int]:
    """Accounts whose username contains ``text`` (case-insensitive)."""
    return list(db.session.scalars(select(User.id).where(
        User.username.ilike(_like(text.strip()), escape="\\")).limit(200)))


def cases_matching(visible: Any, text: str, limit: int = 20) -> list[Case]:
    """Cases of the scoped query ``visible`` whose number contains ``text``."""
    return list(db.session.scalars(visible.where(
        Case.case_number.ilike(_like(text.strip()), escape="\\"))
        .order_by(Case.case_number).limit(limit)))


def object_names(events: Sequence[AuditEvent]) -> dict[int, str]:
    """What each event's object is called on screen: a case number, a username, a unit's or a
    partner's name; nothing for an object without a name (it is shown by its kind only)."""
    cases = targets_to_cases(e.target_id for e in events if e.target_id)
    int_ids: dict[str, set[int]] = {"user": set(), "org_unit": set(), "provider": set()}
    kinds = {"user": "user", "users": "user", "org_unit": "org_unit", "org_units": "org_unit",
             "provider": "provider", "service_providers": "provider"}
    for e in events:
        kind = kinds.get(e.target_type or "")
        if kind and e.target_id and e.target_id.isdigit() and len(e.target_id) < 10:
            int_ids[kind].add(int(e.target_id))
    names: dict[str, dict[int, str]] = {
        "user": dict(db.session.execute(select(User.id, User.username)
                                        .where(User.id.in_(int_ids["user"]))).all()),
        "org_unit": dict(db.session.execute(select(OrgUnit.id, OrgUnit.name)
                                            .where(OrgUnit.id.in_(int_ids["org_unit"]))).all()),
        "provider": dict(db.session.execute(
            select(ServiceProvider.id, ServiceProvider.name)
            .where(ServiceProvider.id.in_(int_ids["provider"]))).all()),
    }
    out: dict[int, str] = {}
    for e in events:
        case = cases.get(e.target_id or "")
        kind = kinds.get(e.target_type or "")
        if case is not None:
            out[e.seq] = case.case_number
        elif kind and e.target_id and e.target_id.isdigit() and len(e.target_id) < 10:
            out[e.seq] = str(names[kind].get(int(e.target_id), ""))
    return out


def actor_places(events: Sequence[AuditEvent], users: dict[int, User]) -> dict[int, str]:
    """The unit (or, for a partner account, the partner) each event's actor acted from."""
    unit_ids = {e.actor_unit_id for e in events if e.actor_unit_id is not None}
    units = dict(db.session.execute(select(OrgUnit.id, OrgUnit.name)
                                    .where(OrgUnit.id.in_(unit_ids))).all())
    provider_ids = {u.provider_id for u in users.values() if u.provider_id is not None}
    providers = dict(db.session.execute(select(ServiceProvider.id, ServiceProvider.name)
                                        .where(ServiceProvider.id.in_(provider_ids))).all())
    out: dict[int, str] = {}
    for e in events:
        user = users.get(e.actor_user_id) if e.actor_user_id is not None else None
        if user is not None and user.provider_id is not None:
            out[e.seq] = str(providers.get(user.provider_id, ""))
        elif e.actor_unit_id is not None:
            out[e.seq] = str(units.get(e.actor_unit_id, ""))
    return out


def username_is(username: str) -> Any:
    """The condition for one account by its exact user name."""
    return User.username == username.strip()
