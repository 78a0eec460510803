"""Issue 13, defect 15: small things on the supervision pages."""

from __future__ import annotations

import pytest


@pytest.fixture
def supervisor(make_user, org):
    return make_user("supervisor", unit=org.province)


def test_sign_off_is_offered_only_for_a_period_that_has_ended(client, login, supervisor):
    login(client, supervisor)
    running = client.get("/supervision/report?period=cum").get_data(as_text=True)
    ended = client.get("/supervision/report?period=2024H1").get_data(as_text=True)
    assert "/supervision/report/sign-off" not in running  # the running cumulative period
    assert "/supervision/report/sign-off" in ended


def test_the_csv_file_is_named_in_vietnamese(client, login, supervisor):
    login(client, supervisor)
    response = client.get("/supervision/export.csv?period=2024H1")
    assert response.status_code == 200
    assert 'filename="du-lieu-khu-dinh-danh-' in response.headers["Content-Disposition"]


def test_the_as_of_date_is_typed_day_first(client, login, supervisor):
    login(client, supervisor)
    page = client.get("/supervision/?as_of=31/12/2024")
    assert page.status_code == 200
    assert 'value="31/12/2024"' in page.get_data(as_text=True)
