"""Checks of the sheets "Nhu cầu" (needs) and "Giới thiệu dịch vụ" (referrals): links to their
case and need (in the workbook or imported earlier), statuses, dates in order, partners, and
the consent warning."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from casework.domain import NEED_ENDED_STATUSES
from casework.models.case import Case
from casework.models.consent import Consent
from casework.models.need import Need
from casework.models.referral import Referral
from casework.services.effective_dates import BEFORE_INTAKE, REFERRAL_BEFORE_IDENTIFIED
from casework.services.imports import spec
from casework.services.imports.checks_base import CHUNK, OUT_OF_ORDER, CheckerBase
from casework.services.imports.plan import CasePlan, ExistingNeed, NeedPlan, ReferralPlan
from casework.services.imports.reader import Row
from casework.services.imports.refs import child_external_ref, ref_of


class NeedChecks(CheckerBase):
    def check_needs(self) -> None:
        sheet = spec.NEEDS
        rows = self.book.rows(sheet.key)
        existing_cases = self._existing_cases(
            r.values.get("case_ref") for r in rows if r.values.get("case_ref")
            not in self.case_plans)
        seen: dict[str, int] = {}
        for row in rows:
            ok = self.row_ok(sheet, row)
            v = row.values
            ref = v.get("need_ref")
            if ref is not None:
                if ref in seen:
                    self.problem(sheet.key, row, "need_ref", _l(
                        "This need reference is already used in row %(row)s.", row=seen[ref]))
                    ok = False
                else:
                    seen[ref] = row.number
            case = self._resolve_case(sheet.key, row, existing_cases) if v.get("case_ref") \
                else None
            ok = ok and case is not None
            if case is not None:
                ok = self.check_date(sheet.key, row, "identified_on", v.get("identified_on"),
                                     not_before=case.intake_date,
                                     before_message=BEFORE_INTAKE) and ok
                status = v.get("status") or "identified"
                ended = v.get("ended_on")
                if status in NEED_ENDED_STATUSES and ended is None:
                    self.problem(sheet.key, row, "ended_on", _l(
                        "Give the date the need ended."))
                    ok = False
                elif status not in NEED_ENDED_STATUSES and ended is not None:
                    self.problem(sheet.key, row, "ended_on", _l(
                        "An end date goes only with the status “declined by her” or “no longer "
                        "needed”."))
                    ok = False
                elif ended is not None and v.get("identified_on") is not None:
                    ok = self.check_date(sheet.key, row, "ended_on", ended,
                                         not_before=v["identified_on"],
                                         before_message=OUT_OF_ORDER) and ok
            if not ok or case is None or ref is None:
                if ref is not None:
                    self._bad_need_refs.setdefault(ref, row.number)
                self.mark_rejected(sheet.key, row)
                continue
            plan = NeedPlan(row=row, case=case,
                            external_ref=child_external_ref(case.unit.code, "nc", ref),
                            values={**v, "status": v.get("status") or "identified"})
            self.need_plans[ref] = plan
            case.needs.append(plan)
        for clash in self._mark_existing(
                sheet.key, Need, [p for c in self.report.cases for p in c.needs], Need.case_id,
                lambda plan: plan.case.existing.id if plan.case.existing else None):
            clash.case.needs.remove(clash)
            ref = clash.values["need_ref"]
            self.need_plans.pop(ref, None)
            self._bad_need_refs.setdefault(ref, clash.row.number)

    def _existing_needs(self, refs: Iterable[str | None]) -> dict[str, ExistingNeed]:
        """Needs imported earlier, by reference, of cases the importer may change now.

        The same scoped read whether or not a need with the reference exists in another
        unit: needs of cases outside :meth:`changeable_cases` are never loaded, so a referral
        naming one is answered exactly like one naming a need that does not exist.
        """
        wanted = {r for r in refs if r}
        if not wanted:
            return {}
        found: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        for row in self.session.execute(
                select(Need.id, Need.external_ref, Need.category, Need.identified_on,
                       Need.ended_on, Need.status, Need.case_id)
                .where(Need.external_ref.like("imp:%:nc:%"),
                       Need.case_id.in_(self.changeable_cases().with_only_columns(Case.id)))):
            ref = str(row[1]).split(":", 3)[3]
            if ref in wanted:
                found[ref].append(row)
        cases = {c.id: c for c in self._load_existing(
            r[6] for rows in found.values() for r in rows)}
        result: dict[str, ExistingNeed] = {}
        for ref, rows in found.items():
            usable = [ExistingNeed(nid, cases[case_id], category, identified, ended, status)
                      for nid, _ext, category, identified, ended, status, case_id in rows
                      if case_id in cases]
            if len(usable) == 1:
                result[ref] = usable[0]
        return result

    def check_referrals(self) -> None:
        sheet = spec.REFERRALS
        rows = self.book.rows(sheet.key)
        existing_needs = self._existing_needs(
            r.values.get("need_ref") for r in rows if r.values.get("need_ref")
            not in self.need_plans)
        seen: dict[str, int] = {}
        for row in rows:
            ok = self.row_ok(sheet, row)
            v = row.values
            ref = v.get("referral_ref")
            if ref is not None:
                if ref in seen:
                    self.problem(sheet.key, row, "referral_ref", _l(
                        "This referral reference is already used in row %(row)s.",
                        row=seen[ref]))
                    ok = False
                else:
                    seen[ref] = row.number
            need = self._resolve_need(row, existing_needs)
            ok = ok and need is not None
            provider = self.providers.get(v.get("provider") or "")
            if v.get("provider") is not None and (provider is None or not provider[1]):
                self.problem(sheet.key, row, "provider", _l(
                    "Unknown partner code: use a code from the sheet “%(sheet)s”.",
                    sheet=spec.CODES_SHEET_TITLE))
                ok = False
            if need is not None and ok:
                ok = self._check_referral_dates(row, need)
                category = need.values.get("category")
                if ok and provider is not None and provider[2] and category not in provider[2]:
                    self.problem(sheet.key, row, "provider", _l(
                        "This partner does not list the need's service category."), "warning")
            if not ok or need is None or provider is None or ref is None:
                self.mark_rejected(sheet.key, row)
                continue
            plan = ReferralPlan(row=row, need=need,
                                external_ref=child_external_ref(need.case.unit.code, "gt", ref),
                                provider_id=provider[0], values=dict(v))
            need.referrals.append(plan)
        for clash in self._mark_existing(
                sheet.key, Referral,
                [r for c in self.report.cases for n in c.needs for r in n.referrals],
                Referral.need_id, lambda plan: plan.need.existing.id if plan.need.existing
                else None):
            clash.need.referrals.remove(clash)

    def _resolve_need(self, row: Row, existing: dict[str, ExistingNeed]) -> NeedPlan | None:
        ref = row.values.get("need_ref")
        if ref is None:
            return None
        if ref in self._bad_need_refs:
            self.problem(spec.REFERRALS.key, row, "need_ref", _l(
                "Its need (row %(row)s of the sheet “%(sheet)s”) has errors.",
                row=self._bad_need_refs[ref], sheet=spec.NEEDS.title))
            return None
        plan = self.need_plans.get(ref)
        if plan is not None:
            return plan
        found = existing.get(ref)
        if found is None:
            self.problem(spec.REFERRALS.key, row, "need_ref", _l(
                "This referral is for a need that does not exist: add the need to the sheet "
                "“%(sheet)s” first.", sheet=spec.NEEDS.title))
            return None
        case = self.case_plans.get(ref_of(found.case))
        if case is None or case.existing is None or case.existing.id != found.case.id:
            # (A new case of this file may carry the same reference in another unit.)
            unit = self.units[found.case.unit_code.upper()]
            case = CasePlan(row=row, ref=ref_of(found.case), unit=unit,
                            external_ref="", values={}, existing=found.case)
            self.report.cases.append(case)
        plan = NeedPlan(row=row, case=case, external_ref="", values={
            "category": found.category, "identified_on": found.identified_on,
            "ended_on": found.ended_on, "status": found.status}, existing=found)
        plan.skip = True
        self.need_plans[ref] = plan
        case.needs.append(plan)
        return plan

    def _check_referral_dates(self, row: Row, need: NeedPlan) -> bool:
        sheet = spec.REFERRALS.key
        v = row.values
        status = v["status"]
        rules = {
            "sent": ((), ("answered_on", "uptake_on", "ended_on")),
            "accepted": (("answered_on",), ("uptake_on", "ended_on")),
            "declined": (("answered_on",), ("uptake_on", "ended_on")),
            "in_service": (("uptake_on",), ("ended_on",)),
            "completed": (("uptake_on", "ended_on"), ()),
            "not_completed": (("ended_on",), ()),
            "cancelled": (("ended_on",), ("uptake_on",)),
        }
        needed, forbidden = rules[status]
        ok = True
        code = v.get("reason_code")
        codes = spec.CODE_LISTS.get(spec.REASON_LIST_BY_STATUS.get(status, ""), {})
        if code is not None and code not in codes:
            self.problem(sheet, row, "reason_code", _l(
                "Unknown reason or outcome code for this status: see the sheet “%(sheet)s”.",
                sheet=spec.CODES_SHEET_TITLE))
            ok = False
        for column in needed:
            if v.get(column) is None:
                self.problem(sheet, row, column, _l("This status needs this date."))
                ok = False
        for column in forbidden:
            if v.get(column) is not None:
                self.problem(sheet, row, column, _l("This date does not go with this status."))
                ok = False
        if not ok:
            return False
        ok = self.check_date(sheet, row, "referred_on", v["referred_on"],
                             not_before=need.values.get("identified_on"),
                             before_message=REFERRAL_BEFORE_IDENTIFIED)
        ended = need.values.get("ended_on")
        if ok and ended is not None and v["referred_on"] > ended:
            self.problem(sheet, row, "referred_on", _l(
                "The referral cannot be made after the need ended."))
            ok = False
        closure = need.case.closure
        closed_on = closure.on if closure else (need.case.existing.closed_on
                                                 if need.case.existing else None)
        if ok and closed_on is not None and v["referred_on"] > closed_on:
            self.problem(sheet, row, "referred_on", _l(
                "The referral cannot be made after the case was closed."))
            ok = False
        previous = v["referred_on"]
        for column in ("answered_on", "uptake_on", "ended_on"):
            if v.get(column) is None:
                continue
            if not self.check_date(sheet, row, column, v[column], not_before=previous,
                                   before_message=OUT_OF_ORDER):
                return False
            previous = v[column]
        return ok


    def check_referral_consents(self) -> None:
        """Warn (never block) when no "share" consent for the referral's service category was
        valid on the day it was made: neither in the workbook nor recorded earlier. Paper
        files often lack the form; the caseworker should find it or note why."""
        existing_ids = [c.existing.id for c in self.report.cases if c.existing is not None]
        recorded: dict[uuid.UUID, list[tuple[str | None, date, date | None, date | None]]] = \
            defaultdict(list)
        for start in range(0, len(existing_ids), CHUNK):
            for cid, category, given, expires, withdrawn in self.session.execute(
                    select(Consent.case_id, Consent.service_category, Consent.given_on,
                           Consent.expires_on, Consent.withdrawn_on)
                    .where(Consent.case_id.in_(existing_ids[start:start + CHUNK]),
                           Consent.purpose == "share")):
                recorded[cid].append((category, given, expires, withdrawn))
        for case in self.report.cases:
            consents = list(recorded.get(case.existing.id, [])) if case.existing else []
            consents.extend((p.values.get("category"), p.values["given_on"],
                             p.values.get("expires_on"), p.values.get("withdrawn_on"))
                            for p in case.consents if p.values.get("purpose") == "share")
            for need in case.needs:
                category = need.values.get("category")
                for referral in need.referrals:
                    if referral.skip:
                        continue
                    on = referral.values["referred_on"]
                    if not any(c == category and given <= on
                               and (expires is None or expires >= on)
                               and (withdrawn is None or withdrawn > on)
                               for c, given, expires, withdrawn in consents):
                        self.problem(spec.REFERRALS.key, referral.row, "referred_on", _l(
                            "No consent to share her details for this service was valid on "
                            "the referral date (sheet “%(sheet)s”). The referral will be "
                            "imported; check the paper consent form.",
                            sheet=spec.CONSENTS.title), "warning")

