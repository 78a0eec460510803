"""Her data pack, to take away: everything held, the consent history, and who saw her file.

The printable page is ``templates/cases/data.html`` (the "print all her data" button); this
module gives the Vietnamese labels both use and writes the XLSX through
``casework/spreadsheets.py``. Producing either is audited as ``case.exported`` with its format.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook

from casework import domain, spreadsheets
from casework.blueprints.supervision import labels
from casework.labels import role_label
from casework.models.case import Case
from casework.services import access_history, subject_rights
from casework.services.effective_dates import LOCAL_ZONE

KIND_LABELS: dict[str, Any] = {
    "opened": _l("opened"), "changed": _l("changed"), "exported": _l("exported or printed"),
    "received": _l("received"),
}
SECTION_LABELS: dict[str, Any] = {
    "episodes": _l("Periods of support"), "custody": _l("Units that held her case"),
    "consents": _l("Consent history"), "needs": _l("Needs"), "notes": _l("Notes and contacts"),
    "follow_ups": _l("Follow-ups"), "referrals": _l("Referrals to partners"),
}
COLUMN_LABELS: dict[str, Any] = {
    "opened_on": _l("Opened on"), "closed_on": _l("Closed on"), "close_reason": _l("Reason"),
    "unit": _l("Unit"), "from": _l("From"), "to": _l("To"), "purpose": _l("Purpose"),
    "service_category": _l("Service category"), "given_on": _l("Given on"),
    "method": _l("How"), "text_version": _l("Form version"), "expires_on": _l("Expires on"),
    "withdrawn_on": _l("Withdrawn on"), "shared_fields": _l("Details shared"),
    "witness_name": _l("Witness"), "category": _l("Service category"), "status": _l("Status"),
    "identified_on": _l("Identified on"), "ended_on": _l("Ended on"), "note": _l("Note"),
    "kind": _l("Kind"), "on": _l("Date"), "text": _l("Text"), "due_on": _l("Due on"),
    "done_on": _l("Done on"), "title": _l("Title"), "partner": _l("Partner"),
    "referred_on": _l("Referred on"), "uptake_on": _l("Service started on"),
}
_CODES = {"purpose": domain.CONSENT_PURPOSES, "service_category": domain.SERVICE_CATEGORIES,
          "category": domain.SERVICE_CATEGORIES, "method": domain.CONSENT_METHODS,
          "close_reason": domain.CLOSE_REASONS, "status": None}


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))


def column_label(key: str) -> str:
    return str(COLUMN_LABELS.get(key, labels.field_label(key)))


def cell_text(section: str, key: str, value: Any) -> str:
    """One value of the pack as she reads it: codes as labels, dates as dd/mm/yyyy."""
    if value is None or value == "":
        return ""
    if key == "status":
        codes = (domain.REFERRAL_STATUSES if section == "referrals" else domain.NEED_STATUSES)
        return str(domain.label(codes, value))
    if key in ("shared_fields",):
        return ", ".join(labels.field_label(v) for v in str(value).split(",") if v)
    table = _CODES.get(key)
    if table:
        return str(domain.label(table, value))
    text = str(value)
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        return f"{text[8:10]}/{text[5:7]}/{text[0:4]}"
    return text


def pack(case: Case, *, actor: Any, fmt: str) -> dict[str, Any]:
    """Everything for the pack: her data (audited export) and the access list."""
    data = subject_rights.export_data(case, actor=actor, fmt=fmt)
    return {"data": data, "access": access_history.case_access(case)}


def workbook(case: Case, *, actor: Any) -> bytes:
    """The pack as an XLSX in Vietnamese: her details, each section, and who saw her file."""
    content = pack(case, actor=actor, fmt="xlsx")
    data, rows = content["data"], content["access"]
    wb = Workbook()
    ws = wb.active
    ws.title = _("Her details")
    spreadsheets.append(ws, [_("Data held about her"), data["case_number"], data["unit"]])
    spreadsheets.append(ws, [])
    for key, value in data["personal"].items():
        spreadsheets.append(ws, [labels.field_label(key), cell_text("", key, value)])
    spreadsheets.append(ws, [column_label("category"),
                             str(domain.label(domain.CASE_GROUPS, data["group"]))])
    spreadsheets.append(ws, [_("Intake date"), cell_text("", "on", data["intake_date"])])
    for section, title in SECTION_LABELS.items():
        sheet = wb.create_sheet(str(title)[:31])
        items = data[section]
        if not items:
            spreadsheets.append(sheet, ["—"])
            continue
        keys = list(items[0].keys())
        spreadsheets.append(sheet, [column_label(k) for k in keys])
        for item in items:
            spreadsheets.append(sheet, [cell_text(section, k, item[k]) for k in keys])
    sheet = wb.create_sheet(_("Who saw her file")[:31])
    table = [[_("When"), _("Who"), _("Unit or partner"), _("What"), _("Action"), _("Fields")]]
    said: dict[tuple[str, str], str] = {}  # each label translated once, not once per row

    def word(kind: str, code: str) -> str:
        if (kind, code) not in said:
            said[(kind, code)] = {"kind": kind_label, "action": labels.action_label,
                                  "field": labels.field_label}[kind](code)
        return said[(kind, code)]

    system = _("System")
    table += [[row.at.astimezone(LOCAL_ZONE).strftime("%d/%m/%Y %H:%M"),
               row.username or system, row.place, word("kind", row.kind),
               word("action", row.action), ", ".join(word("field", n) for n in row.fields)]
              for row in rows]
    # Cell by cell with known row numbers: append() looks up the last row each time (slow on
    # a long access list).
    for r, values in enumerate(table, start=1):
        for c, value in enumerate(values, start=1):
            spreadsheets.put(sheet, r, c, value)
    return spreadsheets.save(wb)


def words() -> dict[str, Any]:
    """The label functions the access list's templates use, each code translated once per
    page (a long access list would otherwise translate the same words thousands of times)."""

    def once(function: Any) -> Any:
        said: dict[str, str] = {}

        def label(code: str) -> str:
            if code not in said:
                said[code] = str(function(code))
            return said[code]

        return label

    return {"action_label": once(labels.action_label), "object_label": once(labels.object_label),
            "field_label": once(labels.field_label), "outcome_label": once(labels.outcome_label),
            "kind_label": once(kind_label), "role_word": once(role_label)}
