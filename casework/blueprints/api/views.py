"""``/api/v1``: the figures of every target for a unit and period, read-only, no personal data.

Authentication: ``Authorization: Bearer <token>`` (tokens from *Plan report → API tokens*) or
the signed-in session of a user who may see the figures; either way the caller reads its unit's
subtree only (``casework.authz.api``). Target 5's small counts are hidden as on the report.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, current_app, g, jsonify, request
from sqlalchemy import select

from casework import audit, indicators
from casework.activity import targets, workbook
from casework.authz import api, api_unit_or_404, public
from casework.blueprints.api.openapi import document
from casework.blueprints.work import unit_of_work
from casework.db import utcnow
from casework.extensions import csrf, db
from casework.models.org import UNIT_LEVEL, OrgUnit
from casework.services.effective_dates import today
from casework.services.org_units import subtree_filter
from casework.text import ascii_digits

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # read-only: GET only, no cookies needed with a token


class BadRequest(Exception):
    """A parameter that makes no sense: 400 with a JSON body."""


@bp.errorhandler(BadRequest)
def bad_request(error: BadRequest):  # type: ignore[no-untyped-def]
    return _json({"error": "bad_request", "message": str(error)}, 400)


def _json(body: Any, status: int = 200) -> Any:
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def _unit() -> OrgUnit:
    raw = (request.args.get("unit") or "").strip()
    if raw and (not ascii_digits(raw) or len(raw) > 9):
        raise BadRequest("unit must be a unit id")
    return api_unit_or_404(int(raw) if raw else None)


def _period() -> indicators.Period:
    as_of = today()
    raw_day = (request.args.get("as_of") or "").strip()
    if raw_day:
        try:
            as_of = date.fromisoformat(raw_day[:10])
        except ValueError:
            raise BadRequest("as_of must be a date (YYYY-MM-DD)") from None
        if as_of > today() or as_of < indicators.PLAN_START:
            raise BadRequest("as_of must be between 2021-01-01 and today")
    try:
        return indicators.parse_period((request.args.get("period") or "")[:10], as_of)
    except ValueError:
        raise BadRequest("period must be 2025H1, 2025 or cum, and must have started") from None


def _read(unit: OrgUnit, what: str, period: str = "") -> None:
    token = g.get("api_token")
    with unit_of_work():
        if token is not None:
            token.last_used_at = utcnow()
        audit.record("api.read", target_type="org_unit", target_id=unit.id,
                     details={"what": what, "period": period,
                              "token": token.id if token is not None else None})


def _measure(m: workbook.ShownMeasure, recorded: bool) -> dict[str, Any]:
    hidden = m.hidden or not recorded
    return {"key": m.measure.key, "label": str(m.measure.label),
            "numerator": None if hidden else m.measure.numerator,
            "denominator": None if hidden else m.measure.denominator,
            "hidden": m.hidden, "goal": m.measure.goal, "rate": m.rate if recorded else None,
            "met": m.met if recorded else None}


def figures_body(unit: OrgUnit, period: indicators.Period, t: int) -> dict[str, Any]:
    """The API's figures (the report's, with target 5's small counts hidden)."""
    shown = workbook.shown(targets.all_targets(unit, period), t)
    return {
        "unit": {"id": unit.id, "code": unit.code, "name": unit.name, "kind": unit.kind},
        "period": {"key": period.key, "kind": period.kind, "start": period.start.isoformat(),
                   "end": period.end.isoformat()},
        "small_count_threshold": max(t, 1),
        "targets": [{
            "target": s.target.number, "title": str(s.target.title),
            "recorded": s.target.recorded, "met": s.met,
            "measures": [_measure(m, s.target.recorded) for m in s.measures],
            "units": [{"unit": {"id": r.unit.id, "code": r.unit.code, "name": r.unit.name},
                       "own": r.own,
                       "measures": [_measure(m, s.target.recorded) for m in shown_row.measures]}
                      for r, shown_row in zip(s.target.rows, s.rows, strict=True)],
        } for s in shown],
    }


@bp.get("/figures")
@api
def figures():  # type: ignore[no-untyped-def]
    unit, period = _unit(), _period()
    body = figures_body(unit, period, int(current_app.config["CASEWORK_SMALL_COUNT_SUPPRESSION"]))
    _read(unit, "figures", period.key)
    return _json(body)


@bp.get("/units")
@api
def units():  # type: ignore[no-untyped-def]
    scope: OrgUnit = g.api_scope
    rows = db.session.scalars(select(OrgUnit).where(subtree_filter(scope),
                                                    OrgUnit.active.is_(True))
                              .order_by(OrgUnit.path)).all()
    _read(scope, "units")
    return _json({"units": [{"id": u.id, "code": u.code, "name": u.name, "kind": u.kind,
                             "level": UNIT_LEVEL.get(u.kind, 2), "parent_id": u.parent_id}
                            for u in rows]})


@bp.get("/openapi.json")
@public
def openapi():  # type: ignore[no-untyped-def]
    return _json(document())
