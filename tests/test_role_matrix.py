"""The authorisation matrix, exercised on every route for every role with real objects.

``tests/test_route_guards.py`` says, per endpoint, which roles may open it. Here each role signs
in and requests every endpoint once (GET where the route has one, else a POST carrying a valid
CSRF token and nothing else), with the ids of real objects that role's unit or provider holds
(the world of ``tests/test_hostile_walk.py``): a role outside the matrix gets 404, a role in it
never does, and nobody gets a 5xx. Routes that end the session or retire objects go last.
"""

from __future__ import annotations

import pytest

from tests.test_hostile_walk import _order, _path, _rules, world  # noqa: F401  (the fixture)
from tests.test_route_guards import ALL, PUBLIC, ROUTES

SKIPPED = PUBLIC | {"static"}  # public: tests/test_route_guards.py covers them


@pytest.mark.parametrize("role", ALL)
def test_every_route_answers_each_role_as_the_matrix_says(
    app, client, login, world, role  # noqa: F811  (world: the walk's fixture)
):
    login(client, world.users[role])
    token = client.csrf_token("/account")
    rules = _rules(app)
    wrong = []
    exercised = 0
    for endpoint in sorted(set(ROUTES) - SKIPPED, key=_order):
        rule = rules[endpoint]
        path = _path(rule, {**world.url_args, **world.by_endpoint.get(endpoint, {})})
        if "GET" in rule.methods:
            response = client.get(path)
        else:
            response = client.post(path, data={"csrf_token": token})
        exercised += 1
        allowed = role in ROUTES[endpoint][0]
        status = response.status_code
        if status >= 500 or (allowed and status == 404) or (not allowed and status != 404):
            wrong.append((endpoint, path, status, "allowed" if allowed else "denied"))
    assert exercised == len(set(ROUTES) - SKIPPED)
    assert wrong == []
