"""The read-only API: its OpenAPI document, tokens, scope, and the same figures as the report."""

from __future__ import annotations

import io
import re

import pytest
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate as validate_spec
from openpyxl import load_workbook
from sqlalchemy import select

from casework.extensions import db
from casework.models.activity import ApiToken

TOKEN_RE = re.compile(r'<code class="token">(cwk_[A-Za-z0-9_\-]+)</code>')


def _schema(client, name):
    document = client.get("/api/v1/openapi.json").get_json()
    return OAS31Validator({"$ref": f"#/components/schemas/{name}",
                           "components": document["components"]})


def _new_token(client, unit_id, name="Hệ thống tỉnh"):
    response = client.submit("/activity/tokens", {"name": name, "unit": str(unit_id)})
    assert response.status_code == 200
    return TOKEN_RE.search(response.get_data(as_text=True)).group(1)


def test_the_document_is_valid_openapi_and_public(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    validate_spec(response.get_json())


def test_a_token_reads_the_hand_counted_figures(app, client, activity_world, login):
    world = activity_world
    login(client, world.sup[world.org.province])
    token = _new_token(client, world.org.province.id)
    stored = db.session.scalar(select(ApiToken))
    assert token not in stored.token_hash  # only the digest is kept
    reader = app.test_client()
    response = reader.get("/api/v1/figures?period=2025",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    body = response.get_json()
    _schema(client, "Figures").validate(body)
    measures = {(t["target"], m["key"]): (m["numerator"], m["denominator"], m["met"])
                for t in body["targets"] for m in t["measures"]}
    assert measures[(2, "officers")] == (45, 59, False)
    assert measures[(2, "members")] == (1980, 2800, True)
    assert measures[(3, "districts")] == (2, 2, True)
    assert measures[(8, "units")] == (2, 6, False)
    assert measures[(6, "tipoffs")] == (0, 0, None)  # the register holds no item here
    units = reader.get("/api/v1/units", headers={"Authorization": f"Bearer {token}"})
    _schema(client, "Units").validate(units.get_json())
    assert len(units.get_json()["units"]) == 6
    # The workbook says the same.
    xlsx = client.get("/activity/report.xlsx?period=2025").data
    rows = {(r[0], r[2]): (r[3], r[4]) for r in load_workbook(io.BytesIO(xlsx)).worksheets[0]
            .iter_rows(min_row=7, values_only=True) if isinstance(r[0], int)}
    for target in body["targets"]:
        if not target["recorded"]:
            continue
        for m in target["measures"]:
            assert rows[(target["target"], m["label"])] == (m["numerator"], m["denominator"])


def test_a_district_token_reads_its_district_only(app, client, activity_world, login):
    world = activity_world
    login(client, world.sup[world.org.d1])
    token = _new_token(client, world.org.d1.id)
    reader = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    assert reader.get("/api/v1/figures?period=2025H2", headers=auth).status_code == 200
    assert reader.get(f"/api/v1/figures?unit={world.org.c1.id}", headers=auth).status_code \
        == 200
    for unit in (world.org.province, world.org.d2, world.org.c3):
        assert reader.get(f"/api/v1/figures?unit={unit.id}", headers=auth).status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer cwk_nope", "Basic YTpi", "Bearer \x00",
                                    "Bearer " + "x" * 5000])
def test_no_or_a_wrong_token_is_401_in_json(client, org, header):
    headers = {"Authorization": header} if header else {}
    response = client.get("/api/v1/figures", headers=headers)
    assert response.status_code in (400, 401)
    if response.status_code == 401:
        assert response.get_json()["error"] == "unauthorised"


def test_a_revoked_token_stops_working(app, client, org, make_user, login):
    login(client, make_user("supervisor"))
    token = _new_token(client, org.province.id)
    auth = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/units", headers=auth).status_code == 200
    stored = db.session.scalar(select(ApiToken))
    assert client.submit(f"/activity/tokens/{stored.id}/revoke", {},
                         page="/activity/tokens").status_code == 302
    assert app.test_client().get("/api/v1/units", headers=auth).status_code == 401


def test_the_session_works_for_supervisors_only(client, org, make_user, login):
    login(client, make_user("caseworker"))
    assert client.get("/api/v1/figures").status_code == 404
    other = client.application.test_client()
    login(other, make_user("supervisor"))
    response = other.get("/api/v1/figures?period=2025H1")
    assert response.status_code == 200
    _schema(other, "Figures").validate(response.get_json())


@pytest.mark.parametrize("query", ["period=2099", "period=%00", "period=cumx", "unit=abc",
                                   "unit=99999999999", "as_of=2099-01-01", "as_of=x",
                                   "unit=²"])
def test_hostile_parameters_get_a_json_400_or_404(client, org, make_user, login, query):
    login(client, make_user("supervisor"))
    response = client.get(f"/api/v1/figures?{query}")
    assert response.status_code in (400, 404)
    if response.status_code == 400 and response.is_json:
        _schema(client, "Error").validate(response.get_json())
