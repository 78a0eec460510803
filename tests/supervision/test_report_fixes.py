"""Issue 13 defects 13 and 14: a new outcome-audit sample leaves out what was drawn in the
period; the target-5 workbook stores numbers as numbers; the CSV is named in Vietnamese."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from casework.extensions import db


@pytest.fixture
def supervisor(make_user, org):
    return make_user("supervisor", unit=org.province)


def _draw(client, org, scenario, size):
    return client.submit("/supervision/outcomes?period=2024H1",
                         {"unit": org.province.id, "period": "2024H1",
                          "provider": scenario.x.id, "size": size},
                         page="/supervision/outcomes?period=2024H1")


def test_a_new_sample_leaves_out_what_was_already_drawn(client, login, supervisor, scenario,
                                                        org):
    from casework.models.supervision import OutcomeSample

    login(client, supervisor)
    assert _draw(client, org, scenario, 2).status_code == 302
    response = _draw(client, org, scenario, 10)  # 4 in all: 2 left
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Chỉ còn 2" in page
    first, second = db.session.query(OutcomeSample).order_by(OutcomeSample.id).all()
    assert len(first.items) == 2
    assert len(second.items) == 2
    assert not {i.referral_id for i in first.items} & {i.referral_id for i in second.items}
    response = _draw(client, org, scenario, 1)  # none left
    assert response.status_code == 400
    assert "đã được chọn" in response.get_data(as_text=True)
    assert db.session.query(OutcomeSample).count() == 2


def test_the_target5_workbook_holds_numbers_and_marks_hidden_cells(client, login, supervisor,
                                                                   scenario):
    login(client, supervisor)
    response = client.get("/supervision/report.xlsx?period=2024H1")
    wb = load_workbook(io.BytesIO(response.data))
    summary = wb.worksheets[0]
    rows = {row[0].value: row[1] for row in summary.iter_rows() if row[0].value}
    assert rows["Số người được hỗ trợ có nhu cầu"].value == 10
    assert rows["Số người được hỗ trợ có nhu cầu"].number_format == "#,##0"
    target = rows["Chỉ tiêu"]
    assert target.value == pytest.approx(0.8)
    assert target.number_format == "0%"
    hidden = rows["Đã được kết nối dịch vụ"]
    assert hidden.value == "<5"
    assert hidden.fill.start_color.rgb.endswith("D9D9D9")
    assert any("nền xám" in str(c.value) for c in summary["A"])
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert not (isinstance(cell.value, str) and cell.value.endswith(" %")), cell


def test_the_csv_file_name_is_vietnamese(client, login, supervisor, scenario):
    login(client, supervisor)
    response = client.get("/supervision/export.csv?period=2024H1")
    assert 'filename="du-lieu-khu-dinh-danh-P-2024H1.csv"' in \
        response.headers["Content-Disposition"]
