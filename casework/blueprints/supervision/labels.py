"""Plain-language labels for the access log: actions, object types, field names, outcomes.

Every action the code records (``audit.record``/``audit.defer``/``record_many`` across
``casework/``, and ``referral.<transition>`` from the referral flow) has a label here; an
action, object type or field without one shows its code, so a new event is never hidden.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

ACTIONS: dict[str, Any] = {
    "access_log.viewed": _l("Opened the access log"),
    "audit_log.verified": _l("Verified the integrity of the log"),
    "authz.denied": _l("Access refused"),
    "viewed": _l("Opened personal data"),
    "login.succeeded": _l("Signed in"),
    "login.failed": _l("Sign-in failed"),
    "logout": _l("Signed out"),
    "mfa.enrolled": _l("Set up the second step of sign-in"),
    "mfa.verified": _l("Passed the second step of sign-in"),
    "mfa.failed": _l("Failed the second step of sign-in"),
    "mfa.reset": _l("Second step of sign-in reset"),
    "mfa.recovery_code_used": _l("Used a recovery code"),
    "user.created": _l("Account created"),
    "user.activated": _l("Account reactivated"),
    "user.deactivated": _l("Account deactivated"),
    "user.password_changed": _l("Password changed"),
    "user.password_reset": _l("Password reset"),
    "user.password_link_issued": _l("Set-password link issued"),
    "user.password_set": _l("Password set with a link"),
    "user.password_link_refused": _l("Set-password link refused"),
    "org_unit.created": _l("Unit created"),
    "org_unit.renamed": _l("Unit renamed"),
    "org_unit.moved": _l("Unit moved"),
    "org_unit.activated": _l("Unit reactivated"),
    "org_unit.deactivated": _l("Unit deactivated"),
    "provider.created": _l("Partner added"),
    "provider.updated": _l("Partner changed"),
    "case.created": _l("Case opened"),
    "case.updated": _l("Case changed"),
    "case.viewed": _l("Case opened for reading"),
    "case.searched": _l("Cases searched"),
    "case.duplicate_check": _l("Checked for an existing case"),
    "case.closed": _l("Case closed"),
    "case.reopened": _l("Case reopened"),
    "case.transferred": _l("Case transferred"),
    "case.merged": _l("Cases merged"),
    "case.erased": _l("Case erased"),
    "case.exported": _l("Case data exported"),
    "case.note_added": _l("Note added"),
    "case.follow_up_added": _l("Follow-up planned"),
    "case.follow_up_done": _l("Follow-up done"),
    "case.consent_form_printed": _l("Consent form printed"),
    "consent.recorded": _l("Consent recorded"),
    "consent.withdrawn": _l("Consent withdrawn"),
    "need.added": _l("Need added"),
    "need.status_changed": _l("Need status changed"),
    "subject.erased": _l("Personal data erased"),
    "referral.drafted": _l("Referral drafted"),
    "referral.shared": _l("Data shared with a partner"),
    "referral.partner_viewed": _l("Partner opened a referral"),
    "referral.send": _l("Referral sent"),
    "referral.accept": _l("Referral accepted"),
    "referral.decline": _l("Referral declined"),
    "referral.hold": _l("Referral put on hold"),
    "referral.confirm_uptake": _l("Uptake confirmed"),
    "referral.complete": _l("Service completed"),
    "referral.not_complete": _l("Service not completed"),
    "referral.cancel": _l("Referral cancelled"),
    "referral.review_agree": _l("Decline reviewed: agreed"),
    "referral.review_refer_elsewhere": _l("Decline reviewed: refer elsewhere"),
    "referral.report_uptake": _l("Uptake reported by the caseworker"),
    "referral.verify_uptake": _l("Reported uptake verified"),
    "referral.reject_uptake": _l("Reported uptake not verified"),
    "partner_link.issued": _l("Partner link made"),
    "partner_link.slip_printed": _l("Referral slip printed (new code)"),
    "partner_link.opened": _l("Partner link opened"),
    "partner_link.code_ok": _l("Slip code entered on a partner link"),
    "partner_link.code_wrong": _l("Wrong slip code on a partner link"),
    "partner_link.refused": _l("Partner link refused"),
    "import.checked": _l("Import file checked"),
    "import.applied": _l("Records imported"),
    "import.failed": _l("Import failed"),
    "import.refused": _l("Import file refused"),
    "import.rate_limited": _l("Import checks paused (too many)"),
    "import.case_matched": _l("Imported record matched a case"),
    "import.match_queued": _l("Imported record queued for review"),
    "import.match_reviews_viewed": _l("Imported records to review viewed"),
    "import.match_reviewed": _l("Imported record reviewed"),
    "import.rejected_downloaded": _l("Rejected rows downloaded"),
    "import.template_downloaded": _l("Import template downloaded"),
    "keys.subject_rotated": _l("A woman's data key replaced"),
    "keys.kek_added": _l("Master key added"),
    "keys.kek_promoted": _l("Master key put in use"),
    "keys.kek_destroyed": _l("Master key destroyed"),
    "keys.rewrap_started": _l("Key re-wrapping started"),
    "keys.rewrap_finished": _l("Key re-wrapping finished"),
    "keys.index_staged": _l("Search index key prepared"),
    "keys.index_switched": _l("Search index key switched"),
    "keys.index_retired": _l("Search index key retired"),
    "report.viewed": _l("Report viewed"),
    "report.exported": _l("Report downloaded"),
    "report.signed_off": _l("Report signed off"),
    "export.deidentified": _l("De-identified data downloaded"),
    "outcome_sample.drawn": _l("Outcome-audit sample drawn"),
    "uptake.verification": _l("Uptake checked by a supervisor"),
    "activity.saved": _l("Union activity recorded"),
    "activity.deleted": _l("Union activity deleted"),
    "activity.counts_saved": _l("Unit counts of officers and members saved"),
    "activity.submitted": _l("Half-year sent for approval"),
    "activity.approved": _l("Half-year approved"),
    "activity.returned": _l("Half-year returned for correction"),
    "activity.imported": _l("Activity imported from a workbook"),
    "api.read": _l("Figures read through the API"),
    "api.denied": _l("API access refused"),
    "api_token.created": _l("API token created"),
    "api_token.revoked": _l("API token revoked"),
    "rights.access_viewed": _l("Opened the list of who saw her file"),
    "rights.breach_report": _l("Breach answer prepared"),
    "rights.retention_viewed": _l("Records due for erasure reviewed"),
    "rights.retention_kept": _l("Record kept past its retention date"),
    "rights.retention_set": _l("Retention schedule changed"),
    "rights.dossier_viewed": _l("Impact assessment dossier printed"),
    "account.message_channels_changed": _l("Message settings changed"),
    "outbox.retry": _l("Undelivered message sent again"),
    "tipoff.received": _l("Tip-off or complaint received"),
    "tipoff.verified": _l("Tip-off or complaint verified"),
    "tipoff.classified": _l("Tip-off or complaint classified"),
    "tipoff.forwarded_police": _l("Tip-off forwarded to the police"),
    "tipoff.acknowledged": _l("Police acknowledgment recorded"),
    "tipoff.settled": _l("Complaint answered or settled"),
    "tipoff.forwarded_authority": _l("Complaint forwarded to another authority"),
    "tipoff.filed": _l("Tip-off or complaint filed"),
    "tipoff.transferred": _l("Tip-off or complaint transferred to another unit"),
    "tipoff.case_linked": _l("Case opened from a tip-off"),
    "tipoff.status_read": _l("Status read with a receipt code"),
    "tipoff.settings_changed": _l("Tip-off deadlines changed"),
    "tipoff.holiday_added": _l("Public holiday added"),
    "tipoff.holiday_removed": _l("Public holiday removed"),
    "tipoff_report.viewed": _l("Target 6 figures opened"),
    "tipoff_report.exported": _l("Target 6 figures exported"),
}

OBJECT_TYPES: dict[str, Any] = {
    "case": _l("case"), "cases": _l("case"),
    "need": _l("need"), "needs": _l("need"),
    "need_events": _l("need history"),
    "referral": _l("referral"), "referrals": _l("referral"),
    "referral_events": _l("referral history"),
    "consent": _l("consent"), "consents": _l("consent"),
    "case_notes": _l("case note"), "case_events": _l("case history"),
    "follow_ups": _l("follow-up"), "late_entry_reasons": _l("late-entry reason"),
    "subject": _l("woman's data key"), "subjects": _l("woman's data key"),
    "org_unit": _l("unit"), "org_units": _l("unit"),
    "user": _l("account"), "users": _l("account"),
    "provider": _l("partner"), "service_providers": _l("partner"),
    "outcome_sample": _l("outcome-audit sample"),
    "import_batch": _l("import file"), "key": _l("key"),
    "audit_log": _l("access log"),
    "api_token": _l("API token"),
    "uptake_verifications": _l("uptake check"),
    "retention_schedule": _l("retention schedule"),
}

FIELDS: dict[str, Any] = {
    "full_name": _l("full name"), "given_name": _l("given name"),
    "other_names": _l("other names"), "date_of_birth": _l("date of birth"),
    "national_id": _l("ID card number"), "phone": _l("phone"), "address": _l("address"),
    "family_situation": _l("family situation"), "history": _l("history"),
    "note": _l("note"), "body": _l("note text"), "title": _l("title"),
    "reason": _l("reason"), "backdate_reason": _l("reason for a late entry"),
    "shared_data": _l("data shared with the partner"), "witness_name": _l("witness name"),
    "age_band": _l("age band"), "need_note": _l("note about the need"),
    "partner_note": _l("note for the partner"),
    "group": _l("support group"), "referral_source": _l("referred by"),
}

OUTCOMES: dict[str, Any] = {"ok": _l("OK"), "denied": _l("Refused"), "failed": _l("Failed")}


def action_label(code: str) -> str:
    return str(ACTIONS.get(code, code))


def object_label(code: str | None) -> str:
    return "" if not code else str(OBJECT_TYPES.get(code, code))


def field_label(code: str) -> str:
    return str(FIELDS.get(code, code))


def outcome_label(code: str) -> str:
    return str(OUTCOMES.get(code, code))


def action_choices() -> list[tuple[str, Any]]:
    """Known actions for the filter, sorted by their label."""
    return sorted(ACTIONS.items(), key=lambda item: str(item[1]))
