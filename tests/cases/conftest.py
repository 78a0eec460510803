"""Fixtures for the case-records tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def in_request(app):
    """Service tests run inside a request context, as services do in the app (lazy messages
    and the audit collector need one)."""
    with app.test_request_context():
        yield
