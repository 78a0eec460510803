"""Who reaches which case page: scope by unit subtree, supervisors read-only, partners and admins
never; out-of-scope and made-up ids answer 404 on every case URL."""

from __future__ import annotations

import uuid

import pytest

CASE_GETS = ["", "/edit", "/consents/new", "/consent-form", "/needs/new", "/notes/new",
             "/follow-ups/new", "/transfer", "/close", "/reopen", "/merge", "/data",
             "/data.json", "/erase"]
CASE_POSTS = ["/edit", "/consents/new", "/needs/new", "/notes/new", "/follow-ups/new",
              "/transfer", "/close", "/reopen", "/merge", "/erase",
              f"/consents/{uuid.UUID(int=1)}/withdraw", f"/needs/{uuid.UUID(int=2)}/status",
              f"/follow-ups/{uuid.UUID(int=3)}/done"]  # made-up ids (fixed: same on every worker)
READ_ONLY = {"", "/consent-form", "/data", "/data.json"}


@pytest.fixture
def other_case(make_case, org):
    return make_case(org.c3)  # district D2


@pytest.mark.parametrize("suffix", CASE_GETS)
def test_a_caseworker_gets_404_for_a_case_outside_her_unit(client, make_user, login, org,
                                                          other_case, suffix):
    login(client, make_user("caseworker", unit=org.c1))
    assert client.get(f"/cases/{other_case.id}{suffix}").status_code == 404
    assert client.get(f"/cases/{uuid.uuid4()}{suffix}").status_code == 404


@pytest.mark.parametrize("suffix", CASE_POSTS)
def test_posts_to_a_case_outside_scope_answer_404(client, make_user, login, org, other_case,
                                                 suffix):
    login(client, make_user("caseworker", unit=org.c1))
    response = client.submit(f"/cases/{other_case.id}{suffix}", {"reason": "x"}, page="/account")
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["partner", "admin"])
def test_partners_and_admins_never_reach_a_case(client, make_user, login, make_case, role):
    case = make_case()
    login(client, make_user(role))
    for suffix in CASE_GETS:
        assert client.get(f"/cases/{case.id}{suffix}").status_code == 404, suffix
    assert client.get("/cases?q=0912345678").status_code == 404


def test_a_district_supervisor_reads_her_subtree_only_and_cannot_edit(
        client, make_user, login, org, make_case, other_case):
    case = make_case(org.c2)
    login(client, make_user("supervisor", unit=org.d1))
    assert client.get(f"/cases/{case.id}").status_code == 200
    assert client.get(f"/cases/{other_case.id}").status_code == 404
    for suffix in CASE_GETS:
        expected = 200 if suffix in READ_ONLY | {"/merge", "/erase"} else 404
        assert client.get(f"/cases/{case.id}{suffix}").status_code == expected, suffix


def test_children_of_another_case_answer_404(client, make_user, login, org, make_case,
                                            make_consent):
    mine, theirs = make_case(org.c1), make_case(org.c3)
    consent = make_consent(theirs, "share", "loans")
    login(client, make_user("caseworker", unit=org.c1))
    response = client.submit(f"/cases/{mine.id}/consents/{consent.id}/withdraw", {},
                             page=f"/cases/{mine.id}")
    assert response.status_code == 404


def test_lists_and_search_show_only_cases_in_scope(client, make_user, login, org, make_case):
    make_case(org.c1, full_name="Nguyễn Thị Một", phone="0911111111")
    make_case(org.c3, full_name="Nguyễn Thị Hai", phone="0911111111")
    login(client, make_user("caseworker", unit=org.c1))
    page = client.get("/cases").get_data(as_text=True)
    assert "Một" in page
    assert "Hai" not in page
    page = client.get("/cases?q=091+111+1111").get_data(as_text=True)
    assert "Một" in page
    assert "Hai" not in page
    assert "Nguyễn" not in page  # lists show the given name only


def test_a_merged_case_never_names_a_survivor_held_outside_her_scope(
        client, make_user, login, org, make_case):
    """The merged case's page links its survivor only while the reader may see that case."""
    from casework.extensions import db
    from casework.services import case_lifecycle

    survivor = make_case(org.c1, case_number="C1-SURVIVOR")
    duplicate = make_case(org.c2, case_number="C2-DUPLICATE")
    district = make_user("supervisor", unit=org.d1)
    case_lifecycle.merge_cases(survivor, duplicate, actor=district)
    db.session.commit()
    reader = make_user("caseworker", unit=org.c2)
    login(client, reader)
    # Reader of C2 (the duplicate's unit) does not hold C1's survivor.
    page = client.get(f"/cases/{duplicate.id}").get_data(as_text=True)
    assert str(survivor.id) not in page  # no link to a case she cannot open
    assert "gộp vào một hồ sơ do đơn vị ngoài phạm vi" in page
    other = make_user("caseworker", unit=org.c1, username="cw-c1")
    client2 = client.application.test_client()
    login(client2, other)
    assert client2.get(f"/cases/{duplicate.id}").status_code == 404
