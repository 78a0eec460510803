"""Import of past activity: template, dry run with row-level Vietnamese errors, all or nothing,
and the hostile-file protections of the case import."""

from __future__ import annotations

import io
import zipfile

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from casework.extensions import db
from casework.models.activity import ActivityRecord, ActivitySubmission, UnitYearCounts

HEAD = ["Mã đơn vị", "Loại", "Ngày", "Hình thức", "Cán bộ", "Hội viên, phụ nữ",
        "Cán bộ liên quan", "Cơ quan phối hợp", "Tên, chủ đề", "Ngày kết thúc", "Đường dẫn"]


def _book(rows, title="Hoạt động") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    ws.append(HEAD)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _post(client, data: bytes, action: str, name="hoat-dong.xlsx"):
    token = client.csrf_token("/activity/import")
    return client.post("/activity/import", data={
        "csrf_token": token, "action": action, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data")


def _records() -> int:
    return db.session.scalar(select(func.count()).select_from(ActivityRecord)) or 0


GOOD = [
    ["C1", "tuyen_truyen", "15/03/2024", "hop", 8, 250, None, "Công an xã", "Phòng ngừa", None,
     None],
    ["C1", "bai_dang", "02/04/2024", "fanpage", None, None, None, None, None, None,
     "https://www.facebook.com/x/posts/1"],
    ["C1", "so_lieu_nam", "01/01/2024", None, 10, 1800, 2, None, None, None, None],
]


def test_the_template_downloads_with_its_sheet(client, org, make_user, login):
    login(client, make_user("supervisor", unit=org.d1))
    response = client.get("/activity/import/template.xlsx")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.data))
    assert wb.sheetnames[0] == "Hoạt động"
    assert [c.value for c in wb.worksheets[0][1]] == HEAD


def test_dry_run_then_import_all_or_nothing(client, org, make_user, login):
    login(client, make_user("supervisor", unit=org.d1))
    bad = [*GOOD, ["C3", "tuyen_truyen", "15/03/2024", "hop", 1, 1, None, None, None, None,
                   None],
           ["C2", "ve_tinh", "15/03/2024", None, None, None, None, None, None, None, None],
           ["C2", "tuyen_truyen", "15/03/2099", "hop", "-4", "abc", None, None, None, None,
            None]]
    response = _post(client, _book(bad), "import")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Dòng 5" in page  # C3 is in the other district
    assert "không có đơn vị" in page
    assert "Dòng 6" in page
    assert "Dòng 7" in page
    assert _records() == 0
    response = _post(client, _book(GOOD), "check")
    assert response.status_code == 200
    assert _records() == 0
    response = _post(client, _book(GOOD), "import")
    assert response.status_code == 200
    assert _records() == 2
    counts = db.session.scalar(select(UnitYearCounts))
    assert (counts.year, counts.officers, counts.concerned_officers, counts.members) == \
        (2024, 10, 2, 1800)
    found = db.session.scalar(select(ActivitySubmission))
    assert (found.period_key, found.status) == ("2024H1", "approved")


def test_hostile_files_are_refused_with_a_message(client, org, make_user, login):
    login(client, make_user("supervisor", unit=org.d1))
    macro = io.BytesIO()
    with zipfile.ZipFile(macro, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/vbaProject.bin", b"\x00" * 10)
    for data, name in ((macro.getvalue(), "a.xlsm"), (b"not a workbook", "a.xlsx"),
                       (_book([["=1+1", "tuyen_truyen"]]), "a.xlsx"),
                       (_book(GOOD, title="Sheet"), "a.xlsx"), (b"", "a.xlsx")):
        response = _post(client, data, "import", name)
        assert response.status_code == 400, name
        assert "alert--error" in response.get_data(as_text=True)
    assert _records() == 0
