"""Headers, CSRF, caching, error pages and the health check."""

from __future__ import annotations

import pytest

from casework.authz import public


def test_security_headers_on_every_response(client):
    for path in ("/login", "/healthz", "/static/css/casework.css", "/does-not-exist"):
        response = client.get(path)
        headers = response.headers
        response.close()
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "http" not in csp  # no third-party origin
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "no-referrer"


def test_pages_are_not_cached(client, make_user, login):
    login(client, make_user("caseworker"))
    assert client.get("/account").headers["Cache-Control"] == "no-store"
    assert client.get("/login").headers["Cache-Control"] == "no-store"


def test_templates_have_no_inline_script_or_third_party_assets(client):
    page = client.get("/login").get_data(as_text=True)
    assert "<script>" not in page
    assert " onclick=" not in page
    assert "style=" not in page
    assert "//cdn" not in page
    assert "https://" not in page


def test_post_without_csrf_token_is_refused_in_vietnamese(client, make_user):
    user = make_user("caseworker")
    response = client.post(
        "/login", data={"username": user.username, "password": "correct horse battery staple"}
    )
    assert response.status_code == 400
    assert "Biểu mẫu đã hết hạn" in response.get_data(as_text=True)


def test_logout_requires_csrf(client, make_user, login):
    login(client, make_user("caseworker"))
    assert client.post("/logout").status_code == 400
    assert client.get("/account").status_code == 200  # still logged in


def test_404_page_is_localised_and_plain(client):
    response = client.get("/cases/00000000-0000-0000-0000-000000000000/nothing")
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.get_data(as_text=True)


def test_unexpected_error_shows_a_reference_and_nothing_else(app, client, caplog):
    phone, name = "0912345678", "Nguyễn Thị Lan"

    @public
    def explode():
        raise RuntimeError(f"secret detail {phone} {name}")

    app.add_url_rule("/_test/explode", "test_explode", explode)
    response = client.get("/_test/explode")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Đã xảy ra lỗi" in body
    assert "Mã tham chiếu lỗi" in body
    assert "secret detail" not in body
    assert "Traceback" not in body
    assert "RuntimeError" not in body
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "RuntimeError" in logged
    assert "0912345678" not in logged
    assert "Nguyễn Thị Lan" not in logged


def test_oversized_request_gets_413_not_500(client):
    token = client.csrf_token("/login")
    response = client.post(
        "/login", data={"csrf_token": token, "username": "x" * (17 * 1024 * 1024), "password": "y"}
    )
    assert response.status_code == 413
    assert "Không thể hoàn tất yêu cầu" in response.get_data(as_text=True)


def test_over_long_field_gets_a_message_not_500(client):
    response = client.submit("/login", {"username": "x" * 100_000, "password": "y"})
    assert response.status_code == 200
    assert "Tối đa 64 ký tự." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/users/abc",
        "/admin/users/-1",
        "/admin/units/99999999999999999999",
        "/login?next=%00",
        "/%ff%fe",
        "/admin/users/1%27%20OR%201=1",
    ],
)
def test_malicious_urls_never_give_500(client, make_user, login, path):
    login(client, make_user("admin"))
    assert client.get(path).status_code in (302, 400, 404)


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_a_lost_race_gives_a_409_page_not_a_500(app, client):
    from sqlalchemy.orm.exc import StaleDataError

    @public
    def lose_race():
        raise StaleDataError("UPDATE statement on table 'cases' expected to update 1 row(s)")

    app.add_url_rule("/_test/stale", "test_stale", lose_race)
    response = client.get("/_test/stale")
    assert response.status_code == 409
    assert "Người khác đã thay đổi hồ sơ này" in response.get_data(as_text=True)
