"""The import workbook's layout: sheets, columns, Vietnamese headers and cell kinds.

One source of truth for the template (``template.py``), the reader (``reader.py``) and the
checks (``validate.py``). Headers are Vietnamese on purpose: the workbook is a paper form's
replacement for Vietnamese union officers, whatever the interface language. A column is found
by its header (folded: case, tone marks and spacing do not matter) or by its key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from casework import domain
from casework.services import referral_flow

# Cell kinds: how the reader converts a raw value.
TEXT, NAME, ID, PHONE, DATE, CODE, REF, YEAR = (
    "text", "name", "id", "phone", "date", "code", "ref", "year")


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = TEXT
    required: bool = False
    max_len: int = 200
    codes: str | None = None  # name of a code list in CODE_LISTS (or "unit" / "provider")
    note: str = ""


@dataclass(frozen=True)
class Sheet:
    key: str
    title: str  # the sheet's (Vietnamese) name in the workbook, at most 31 characters
    columns: tuple[Column, ...]
    note: str = ""
    example: dict[str, object] = field(default_factory=dict)

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)


# Code lists offered in the workbook (unit and provider lists come from the database).
CODE_LISTS: dict[str, dict[str, object]] = {
    "group": domain.CASE_GROUPS,
    "referral_source": domain.REFERRAL_SOURCES,
    "category": domain.SERVICE_CATEGORIES,
    "need_status": {k: v for k, v in domain.NEED_STATUSES.items()
                    if k in ("identified", "declined_by_her", "no_longer_needed")},
    "referral_status": {k: v for k, v in domain.REFERRAL_STATUSES.items()
                        if k not in ("draft", "on_hold")},
    "purpose": domain.CONSENT_PURPOSES,
    "close_reason": domain.CLOSE_REASONS,
    "decline_reason": referral_flow.DECLINE_REASONS,
    "outcome": referral_flow.OUTCOMES,
    "not_completed_reason": referral_flow.NOT_COMPLETED_REASONS,
    "cancel_reason": referral_flow.CANCEL_REASONS,
}
# Which list the referral sheet's "reason / outcome" column uses, by status.
REASON_LIST_BY_STATUS = {"declined": "decline_reason", "completed": "outcome",
                         "not_completed": "not_completed_reason", "cancelled": "cancel_reason"}
CODE_LIST_TITLES = {
    "group": "Nhóm người được hỗ trợ",
    "referral_source": "Nguồn giới thiệu",
    "category": "Loại dịch vụ (nhu cầu)",
    "need_status": "Trạng thái nhu cầu",
    "referral_status": "Trạng thái giới thiệu dịch vụ",
    "purpose": "Mục đích của sự đồng ý",
    "close_reason": "Lý do đóng hồ sơ",
    "decline_reason": "Lý do đối tác từ chối (trạng thái declined)",
    "outcome": "Kết quả (trạng thái completed)",
    "not_completed_reason": "Lý do không hoàn thành (trạng thái not_completed)",
    "cancel_reason": "Lý do hủy giới thiệu (trạng thái cancelled)",
    "unit": "Đơn vị Hội (mã đơn vị)",
    "provider": "Đối tác (mã đối tác)",
}

CASE_REF = Column("case_ref", "Mã hồ sơ gốc", REF, required=True, max_len=40,
                  note="Số hồ sơ trên giấy hoặc trong sổ Excel; không trùng trong cùng đơn vị.")

CASES = Sheet("cases", "Hồ sơ", (
    CASE_REF,
    Column("unit", "Mã đơn vị", CODE, required=True, codes="unit",
           note="Đơn vị Hội tiếp nhận hồ sơ (xem trang Mã hợp lệ)."),
    Column("group", "Nhóm", CODE, required=True, codes="group"),
    Column("intake_date", "Ngày tiếp nhận", DATE, required=True, note="dd/mm/yyyy"),
    Column("full_name", "Họ và tên", NAME, required=True, max_len=200),
    Column("other_names", "Tên gọi khác", NAME, max_len=200),
    Column("date_of_birth", "Ngày sinh", DATE, note="dd/mm/yyyy"),
    Column("birth_year", "Năm sinh", YEAR, note="Khi không biết ngày sinh."),
    Column("national_id", "Số CCCD/CMND", ID, max_len=12, note="12 chữ số."),
    Column("phone", "Số điện thoại", PHONE, max_len=15),
    Column("address", "Địa chỉ", TEXT, max_len=300),
    Column("referral_source", "Nguồn giới thiệu", CODE, required=True, codes="referral_source"),
    Column("family_situation", "Hoàn cảnh gia đình", TEXT, max_len=2000),
    Column("history", "Quá trình, tiền sử", TEXT, max_len=4000),
), note="Mỗi dòng là một hồ sơ.", example={
    "case_ref": "HS-001", "unit": "{unit}", "group": "left_sex_work",
    "intake_date": "15/03/2021", "full_name": "Nguyễn Thị Mẫu", "date_of_birth": "20/05/1995",
    "national_id": "036195000123", "phone": "0912345678", "address": "Xóm 1",
    "referral_source": "union",
})

NEEDS = Sheet("needs", "Nhu cầu", (
    Column("need_ref", "Mã nhu cầu gốc", REF, required=True, max_len=40),
    Column("case_ref", "Mã hồ sơ gốc", REF, required=True, max_len=40),
    Column("category", "Loại dịch vụ", CODE, required=True, codes="category"),
    Column("identified_on", "Ngày xác định", DATE, required=True),
    Column("status", "Trạng thái", CODE, codes="need_status",
           note="Để trống = đã xác định. Đã giới thiệu / đã kết nối suy ra từ trang Giới thiệu."),
    Column("ended_on", "Ngày kết thúc", DATE,
           note="Bắt buộc khi trạng thái là từ chối hoặc không còn nhu cầu."),
    Column("note", "Ghi chú", TEXT, max_len=2000),
), note="Mỗi dòng là một nhu cầu của một hồ sơ.", example={
    "need_ref": "NC-001", "case_ref": "HS-001", "category": "vocational_training",
    "identified_on": "20/03/2021",
})

REFERRALS = Sheet("referrals", "Giới thiệu dịch vụ", (
    Column("referral_ref", "Mã giới thiệu gốc", REF, required=True, max_len=40),
    Column("need_ref", "Mã nhu cầu gốc", REF, required=True, max_len=40),
    Column("provider", "Mã đối tác", CODE, required=True, codes="provider"),
    Column("referred_on", "Ngày giới thiệu", DATE, required=True),
    Column("status", "Trạng thái", CODE, required=True, codes="referral_status"),
    Column("answered_on", "Ngày đối tác trả lời", DATE),
    Column("uptake_on", "Ngày tiếp nhận dịch vụ", DATE,
           note="Ngày người được hỗ trợ bắt đầu sử dụng dịch vụ."),
    Column("ended_on", "Ngày kết thúc", DATE),
    Column("reason_code", "Mã lý do / kết quả", CODE, max_len=40,
           note="Theo trạng thái: xem trang Mã hợp lệ (lý do từ chối, kết quả, lý do hủy...)."),
), note="Mỗi dòng là một lần giới thiệu dịch vụ cho một nhu cầu, với kết quả.", example={
    "referral_ref": "GT-001", "need_ref": "NC-001", "provider": "{provider}",
    "referred_on": "25/03/2021", "status": "completed", "answered_on": "01/04/2021",
    "uptake_on": "10/04/2021", "ended_on": "30/09/2021", "reason_code": "certificate_obtained",
})

CONSENTS = Sheet("consents", "Sự đồng ý", (
    Column("case_ref", "Mã hồ sơ gốc", REF, required=True, max_len=40),
    Column("purpose", "Mục đích", CODE, required=True, codes="purpose"),
    Column("category", "Loại dịch vụ", CODE, codes="category",
           note="Bắt buộc khi mục đích là chia sẻ với đối tác."),
    Column("given_on", "Ngày đồng ý", DATE, required=True),
    Column("text_version", "Phiên bản mẫu giấy", REF, max_len=20),
    Column("expires_on", "Ngày hết hạn", DATE),
    Column("withdrawn_on", "Ngày rút lại", DATE),
), note="Sự đồng ý trên giấy; phương thức ghi là \"giấy, đã nhập\".", example={
    "case_ref": "HS-001", "purpose": "keep_record", "given_on": "15/03/2021",
    "text_version": "giay-2021",
})

TRANSFERS = Sheet("transfers", "Chuyển hồ sơ", (
    Column("case_ref", "Mã hồ sơ gốc", REF, required=True, max_len=40),
    Column("to_unit", "Đơn vị nhận", CODE, required=True, codes="unit"),
    Column("transferred_on", "Ngày chuyển", DATE, required=True),
), note="Hồ sơ chuyển sang đơn vị Hội khác.", example={})

CLOSURES = Sheet("closures", "Đóng hồ sơ", (
    Column("case_ref", "Mã hồ sơ gốc", REF, required=True, max_len=40),
    Column("closed_on", "Ngày đóng", DATE, required=True),
    Column("reason", "Lý do", CODE, required=True, codes="close_reason"),
), note="Hồ sơ đã đóng.", example={})

SHEETS: tuple[Sheet, ...] = (CASES, NEEDS, REFERRALS, CONSENTS, TRANSFERS, CLOSURES)
SHEETS_BY_KEY = {s.key: s for s in SHEETS}
CODES_SHEET_TITLE = "Mã hợp lệ"
GUIDE_SHEET_TITLE = "Hướng dẫn"
ERRORS_HEADER = "Lỗi cần sửa"
