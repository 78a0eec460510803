"""Admin screens: accounts and organisation units, including bad input."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from casework.extensions import db
from casework.models.org import OrgUnit
from casework.models.user import User


@pytest.fixture
def admin_client(app, make_user, login):
    admin = make_user("admin")
    client = app.test_client()
    login(client, admin)
    client.admin = admin
    return client


def _user_count() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


LINK_RE = re.compile(r'value="https?://[^"/]+(/account/set-password/[A-Za-z0-9_-]{43})"')


def test_admin_creates_an_account_without_choosing_its_password(admin_client, org, app):
    response = admin_client.submit(
        "/admin/users/new",
        {
            "username": "Can.Bo.Moi",
            "display_name": "Cán bộ mới",
            "email": "",
            "role": "caseworker",
            "org_unit": str(org.c2.id),
            "provider": "0",
            # An old form's field, or a hand-made request: ignored, never becomes a password.
            "password": "a long enough temporary passphrase",
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "can.bo.moi"))
    assert user.org_unit_id == org.c2.id
    assert user.password_hash.startswith("$argon2id$")
    other = app.test_client()
    refused = other.submit(
        "/login", {"username": "can.bo.moi", "password": "a long enough temporary passphrase"}
    )
    assert refused.status_code == 200  # no password an admin typed opens the account
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    link = LINK_RE.search(page)
    assert link, "the set-password link is shown after creation"
    assert "Chỉ hiển thị lần này" in page
    again = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert link.group(1) not in again  # shown once
    set_page = other.submit(link.group(1), {"password": "her own secret phrase",
                                            "confirm": "her own secret phrase"})
    assert set_page.headers["Location"].endswith("/login")
    logged_in = other.submit("/login", {"username": "can.bo.moi",
                                        "password": "her own secret phrase"})
    assert logged_in.status_code == 302
    assert not logged_in.headers["Location"].endswith("/account/password")


def test_the_new_account_form_has_no_password_field(admin_client):
    page = admin_client.get("/admin/users/new").get_data(as_text=True)
    assert 'type="password"' not in page
    assert 'name="password"' not in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("username", "", "Vui lòng nhập trường này."),
        ("username", "x" * 65, "Tối đa 64 ký tự."),
        ("display_name", "y" * 121, "Tối đa 120 ký tự."),
        ("email", "not-an-address", "Vui lòng nhập địa chỉ thư điện tử hợp lệ."),
        ("role", "superuser", None),
        ("org_unit", "999999", None),
        ("org_unit", "abc", None),
    ],
)
def test_bad_account_input_is_refused_with_a_message_and_nothing_saved(
    admin_client, org, field, value, message
):
    data = {
        "username": "nguoi.moi",
        "display_name": "Người mới",
        "email": "",
        "role": "caseworker",
        "org_unit": str(org.c1.id),
        "provider": "0",
    }
    data[field] = value
    before = _user_count()
    response = admin_client.submit("/admin/users/new", data)
    assert response.status_code == 400  # refused input, as on every form
    body = response.get_data(as_text=True)
    assert 'role="alert"' in body
    if message:
        assert message in body
    assert _user_count() == before


def test_script_in_a_display_name_is_stored_and_shown_escaped(admin_client, org):
    admin_client.submit(
        "/admin/users/new",
        {
            "username": "xss",
            "display_name": "<script>alert(1)</script>",
            "email": "",
            "role": "caseworker",
            "org_unit": str(org.c1.id),
            "provider": "0",
        },
    )
    page = admin_client.get("/admin/users").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_wrongly_encoded_form_data_gets_a_4xx(admin_client, org):
    token = admin_client.csrf_token("/admin/users/new")
    body = b"csrf_token=" + token.encode() + b"&username=%ff%fe&display_name=%c3%28&role=caseworker"
    response = admin_client.post(
        "/admin/users/new", data=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code < 500
    assert _user_count() == 1


def test_partner_account_needs_a_provider(admin_client, org, make_provider):
    provider = make_provider()
    bad = admin_client.submit(
        "/admin/users/new",
        {
            "username": "doitac",
            "display_name": "Đối tác",
            "email": "",
            "role": "partner",
            "org_unit": "0",
            "provider": "0",
        },
    )
    assert "phải thuộc một đơn vị cung cấp dịch vụ" in bad.get_data(as_text=True)
    good = admin_client.submit(
        "/admin/users/new",
        {
            "username": "doitac",
            "display_name": "Đối tác",
            "email": "",
            "role": "partner",
            "org_unit": "0",
            "provider": str(provider.id),
        },
    )
    assert good.status_code == 302


def test_password_link_reset_and_deactivate_then_reactivate(admin_client, make_user, app, login):
    user = make_user("caseworker")
    response = admin_client.submit(
        f"/admin/users/{user.id}/password-link", page=f"/admin/users/{user.id}"
    )
    assert response.status_code == 302
    page = admin_client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert LINK_RE.search(page)
    admin_client.submit(f"/admin/users/{user.id}/deactivate", page=f"/admin/users/{user.id}")
    db.session.refresh(user)
    assert not user.active
    admin_client.submit(f"/admin/users/{user.id}/reactivate", page=f"/admin/users/{user.id}")
    db.session.refresh(user)
    assert user.active


def test_admin_cannot_deactivate_themself(admin_client):
    admin = admin_client.admin
    response = admin_client.submit(
        f"/admin/users/{admin.id}/deactivate",
        page=f"/admin/users/{admin.id}",
        follow_redirects=True,
    )
    assert "Bạn không thể vô hiệu hóa tài khoản của chính mình." in response.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.active


def test_district_admin_cannot_reach_accounts_of_another_district(app, make_user, login, org):
    district_admin = make_user("admin", unit=org.d1)
    outsider = make_user("caseworker", unit=org.c3)
    client = app.test_client()
    login(client, district_admin)
    assert client.get(f"/admin/users/{outsider.id}").status_code == 404
    response = client.submit(f"/admin/users/{outsider.id}/deactivate", page="/admin/users")
    assert response.status_code == 404
    db.session.refresh(outsider)
    assert outsider.active


# --- Organisation units ----------------------------------------------------------------------


def test_create_rename_keeps_history(admin_client, org):
    response = admin_client.submit(
        "/admin/units/new",
        {"code": "c4", "name": "Xã Mới", "kind": "commune", "parent": str(org.d2.id)},
    )
    assert response.status_code == 302
    unit = db.session.scalar(select(OrgUnit).where(OrgUnit.code == "C4"))
    assert unit.path == f"{org.d2.path}{unit.id}/"
    admin_client.submit(
        f"/admin/units/{unit.id}/rename", {"name": "Xã Mới Đổi Tên"}, page=f"/admin/units/{unit.id}"
    )
    db.session.refresh(unit)
    assert unit.name == "Xã Mới Đổi Tên"
    assert [n.name for n in unit.names] == ["Xã Mới", "Xã Mới Đổi Tên"]
    assert unit.name_on(unit.names[0].valid_from) == "Xã Mới"
    page = admin_client.get(f"/admin/units/{unit.id}").get_data(as_text=True)
    assert "Xã Mới" in page
    assert "Tên trước đây" in page


def test_move_a_district_with_its_communes(admin_client, org):
    # Districts were abolished in 2025: communes move up under the province.
    response = admin_client.submit(
        f"/admin/units/{org.c1.id}/move",
        {"parent": str(org.province.id)},
        page=f"/admin/units/{org.c1.id}",
    )
    assert response.status_code == 302
    db.session.expire_all()
    c1 = db.session.get(OrgUnit, org.c1.id)
    assert c1.path == f"{org.province.path}{c1.id}/"
    assert c1.depth == 1


def test_move_under_own_subtree_is_refused(admin_client, org):
    response = admin_client.submit(
        f"/admin/units/{org.d1.id}/move",
        {"parent": str(org.c1.id)},
        page=f"/admin/units/{org.d1.id}",
    )
    assert response.status_code == 400
    assert "Không thể" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(OrgUnit, org.d1.id).parent_id == org.province.id


def test_subtree_moves_rewrite_every_descendant_path(app, org):
    from casework.services.errors import DomainError
    from casework.services.org_units import create_unit, move_unit, units_in_scope

    move_unit(org.c1, org.d2, actor=None)  # a commune changes district
    db.session.commit()
    assert sorted(u.code for u in units_in_scope(org.d2)) == ["C1", "C3", "D2"]
    assert [u.code for u in units_in_scope(org.d1)] == ["D1", "C2"]
    with pytest.raises(DomainError):
        move_unit(org.d1, org.d2, actor=None)  # a district cannot sit under a district
    db.session.rollback()
    province2 = create_unit(code="P2", name="Tỉnh Hai", kind="province", parent=None, actor=None)
    move_unit(org.d1, province2, actor=None)
    db.session.commit()
    db.session.expire_all()
    assert sorted(u.code for u in units_in_scope(province2)) == ["C2", "D1", "P2"]
    assert all(u.path.startswith(province2.path) for u in units_in_scope(province2))


def test_deactivate_refused_while_accounts_remain(admin_client, make_user, org):
    make_user("caseworker", unit=org.c3)
    response = admin_client.submit(
        f"/admin/units/{org.c3.id}/deactivate",
        page=f"/admin/units/{org.c3.id}",
        follow_redirects=True,
    )
    assert "tài khoản đang hoạt động" in response.get_data(as_text=True)
    db.session.refresh(org.c3)
    assert org.c3.active


def test_duplicate_unit_code_and_bad_kind(admin_client, org):
    dup = admin_client.submit(
        "/admin/units/new",
        {"code": "C1", "name": "Trùng", "kind": "commune", "parent": str(org.d1.id)},
    )
    assert dup.status_code == 400
    assert "Mã này đã được đơn vị khác sử dụng." in dup.get_data(as_text=True)
    bad = admin_client.submit(
        "/admin/units/new", {"code": "C9", "name": "X", "kind": "galaxy", "parent": str(org.d1.id)}
    )
    assert bad.status_code == 400
    assert 'role="alert"' in bad.get_data(as_text=True)


def test_a_unit_holding_open_cases_cannot_be_deactivated(admin_client, org, make_case):
    make_case(org.c2)
    response = admin_client.submit(
        f"/admin/units/{org.c2.id}/deactivate", page=f"/admin/units/{org.c2.id}",
        follow_redirects=True,
    )
    assert "chuyển các hồ sơ đang mở" in response.get_data(as_text=True)
    db.session.refresh(org.c2)
    assert org.c2.active


def test_deactivation_asks_for_confirmation(admin_client, make_user):
    user = make_user("caseworker")
    page = admin_client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert 'data-confirm="Vô hiệu hóa tài khoản này?' in page


def test_an_admin_cannot_move_or_deactivate_their_own_unit(app, make_user, login, org):
    district_admin = make_user("admin", unit=org.d1)
    client = app.test_client()
    login(client, district_admin)
    page = client.get(f"/admin/units/{org.d1.id}").get_data(as_text=True)
    assert f"/admin/units/{org.d1.id}/move" not in page
    move = client.submit(f"/admin/units/{org.d1.id}/move", {"parent": str(org.d1.id)},
                         page="/admin/units")
    off = client.submit(f"/admin/units/{org.d1.id}/deactivate", page="/admin/units")
    assert (move.status_code, off.status_code) == (404, 404)
    db.session.refresh(org.d1)
    assert org.d1.active
