"""The case list reads one page at a time, without counting every case of the area."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from casework.blueprints.listing import PER_PAGE


@pytest.fixture
def many_cases(make_case, org):
    return [make_case(org.c1) for _ in range(PER_PAGE + 3)]


def _numbers(page: str) -> list[str]:
    return re.findall(r'class="case-list__number">([^<]+)<', page)


def test_the_case_list_pages_without_a_count_query(client, make_user, login, org, many_cases,
                                                    app):
    login(client, make_user("caseworker", unit=org.c1))
    from casework.extensions import db

    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        first = client.get("/cases").get_data(as_text=True)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert not [s for s in statements if "count(" in s.lower() and "FROM cases" in s]
    assert len(_numbers(first)) == PER_PAGE
    assert 'rel="next"' in first
    assert "Trang 1" in first
    second = client.get("/cases?page=2").get_data(as_text=True)
    assert len(_numbers(second)) == 3
    assert 'rel="next"' not in second
    assert 'rel="prev"' in second
    assert not set(_numbers(first)) & set(_numbers(second))
    # A page past the end shows the first page, not an error.
    assert _numbers(client.get("/cases?page=99").get_data(as_text=True)) == _numbers(first)


def test_earlier_imports_are_paged(client, make_user, login, org):
    from casework.extensions import db
    from casework.models.imports import ImportBatch

    worker = make_user("caseworker", unit=org.c1)
    for n in range(23):
        db.session.add(ImportBatch(user_id=worker.id, org_unit_id=org.c1.id, source="web",
                                   mode="all", status="completed", file_mac=f"{n:064d}"))
    db.session.commit()
    login(client, worker)
    first = client.get("/imports/").get_data(as_text=True)
    second = client.get("/imports/?page=2").get_data(as_text=True)
    rows = re.compile(r"/imports/batches/")
    assert len(rows.findall(first)) == 20
    assert 'rel="next"' in first
    assert len(rows.findall(second)) == 3
